/**
 * `baton worker`: a long-running process that takes jobs from a Redis queue
 * and runs them on a local process (or Web Worker) pool.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RedisWorker, type RedisWorkerOptions } from "../executors/redis/worker.ts";
import {
  type Limits,
  PERMISSION_KINDS,
  type Permissions,
  resolveLimits,
  resolvePermissions,
} from "../executors/limits.ts";

const USAGE = `Usage: baton worker --redis URL --queue NAME [options]

Takes jobs from a BullMQ queue filled by Scheduler.withRedis({ connection, queue })
and runs them on a local pool, until SIGTERM or SIGINT (running jobs finish first;
a second signal ends them at once and BullMQ gives them to another worker).

Options:
  --redis URL            Redis server, e.g. redis://127.0.0.1:6379 (required)
  --queue NAME           queue to serve (required)
  --concurrency N        jobs at once, one process or worker each (default 1)
  --executor KIND        processes (hard limits, default), workers (Web Workers), or
                         sequential (this process's thread: no isolation, fastest)
  --permissions SPEC     default permissions of the pool: none, inherit, a list of
                         kinds granted in full (read,net), or JSON ({"read":["/data"]})
  --limits SPEC          default limits, e.g. wallTime=10s,cpuTime=5s,memory=512MB
  --lock-duration DUR    a dead worker's jobs move to others within about this long plus
                         the stalled interval (default 2s); a thread of its own renews it
  --heartbeat DUR        how often that thread renews the locks (default 500ms)
  --stalled-interval DUR how often to look for jobs of dead workers (default 1s)
  --max-stalls N         times a job may lose its worker before it fails (default 1)
  --name NAME            name shown in BullMQ as processedBy (default host:pid)
  -h, --help             show this help
`;

/** A bad command line: the message says which value and what is accepted. */
class UsageError extends Error {}

/**
 * Runs `baton worker …` with the arguments after `worker`; resolves with the
 * exit code: 0 after a clean shutdown, 2 for bad arguments.
 *
 * @example
 * ```ts ignore
 * // needs a Redis server, and serves until Ctrl-C
 * import { workerCommand } from "./worker_command.ts";
 * Deno.exit(await workerCommand(["--redis", "redis://127.0.0.1:6379", "--queue", "jobs"]));
 * ```
 */
export async function workerCommand(args: string[]): Promise<number> {
  let options: RedisWorkerOptions;
  try {
    const parsed = parseWorkerArgs(args);
    if (parsed === "help") {
      console.log(USAGE);
      return 0;
    }
    options = parsed;
  } catch (error) {
    console.error(`baton worker: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  let worker: RedisWorker;
  try {
    worker = new RedisWorker(options);
  } catch (error) {
    console.error(`baton worker: ${(error as Error).message}`);
    return 2;
  }
  const stopped = Promise.withResolvers<void>();
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) {
      console.error(`baton worker ${worker.name}: stopping after ${worker.active} running job(s)`);
      worker.close(false).then(stopped.resolve, stopped.reject);
    } else {
      console.error(`baton worker ${worker.name}: stopping now`);
      worker.close(true).then(stopped.resolve, stopped.reject);
    }
  };
  Deno.addSignalListener("SIGTERM", onSignal);
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    await worker.start();
    console.log(
      `baton worker ${worker.name}: serving queue "${worker.queue}", ` +
        `concurrency ${options.concurrency ?? 1} (${options.executor ?? "processes"})`,
    );
    await stopped.promise;
    return 0;
  } catch (error) {
    console.error(`baton worker: ${(error as Error)?.message ?? error}`);
    await worker.close(true).catch(() => {});
    return 1;
  } finally {
    Deno.removeSignalListener("SIGTERM", onSignal);
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}

/** Parses the arguments after `worker`; `"help"` for `--help`. Throws on bad values. */
export function parseWorkerArgs(args: string[]): RedisWorkerOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        redis: { type: "string" },
        queue: { type: "string" },
        concurrency: { type: "string" },
        executor: { type: "string" },
        permissions: { type: "string" },
        limits: { type: "string" },
        "lock-duration": { type: "string" },
        heartbeat: { type: "string" },
        "stalled-interval": { type: "string" },
        "max-stalls": { type: "string" },
        name: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  if (!values.redis) throw new UsageError("--redis URL is required, e.g. redis://127.0.0.1:6379");
  if (!values.queue) throw new UsageError("--queue NAME is required");
  const executor = values.executor ?? "processes";
  if (executor !== "processes" && executor !== "workers" && executor !== "sequential") {
    throw new UsageError(
      `--executor must be processes, workers or sequential, got "${executor}"`,
    );
  }
  const options: RedisWorkerOptions = {
    connection: values.redis,
    queue: values.queue,
    concurrency: integer("--concurrency", values.concurrency, 1),
    executor,
    maxStalls: integer("--max-stalls", values["max-stalls"], 0),
  };
  if (values.permissions !== undefined) options.permissions = permissions(values.permissions);
  if (values.limits !== undefined) options.limits = limits(values.limits);
  if (values["lock-duration"] !== undefined) options.lockDuration = values["lock-duration"];
  if (values.heartbeat !== undefined) options.heartbeat = values.heartbeat;
  if (values["stalled-interval"] !== undefined) {
    options.stalledInterval = values["stalled-interval"];
  }
  if (values.name !== undefined) options.name = values.name;
  return options;
}

function integer(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min) {
    throw new UsageError(`${flag} must be an integer of at least ${min}, got "${text}"`);
  }
  return n;
}

function permissions(text: string): Permissions {
  let result: Permissions;
  if (text === "none" || text === "inherit") result = text;
  else if (text.trim().startsWith("{")) {
    try {
      result = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`--permissions is not valid JSON: ${(error as Error).message}`);
    }
  } else {
    const granted: Record<string, boolean> = {};
    for (const kind of text.split(",").map((k) => k.trim())) {
      if (!(PERMISSION_KINDS as readonly string[]).includes(kind)) {
        throw new UsageError(
          `Unknown permission "${kind}" in --permissions; accepted: none, inherit, ` +
            `${PERMISSION_KINDS.join(", ")} (comma-separated) or a JSON object`,
        );
      }
      granted[kind] = true;
    }
    result = granted;
  }
  try {
    resolvePermissions(result);
  } catch (error) {
    throw new UsageError(`--permissions: ${(error as Error).message}`);
  }
  return result;
}

function limits(text: string): Limits {
  const result: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const [key, value] = pair.split("=").map((s) => s.trim());
    if (!key || !value) {
      throw new UsageError(
        `--limits must look like wallTime=10s,cpuTime=5s,memory=512MB, got "${text}"`,
      );
    }
    result[key] = value;
  }
  try {
    resolveLimits(result);
  } catch (error) {
    throw new UsageError(`--limits: ${(error as Error).message}`);
  }
  return result;
}
