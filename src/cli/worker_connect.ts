/**
 * The worker side of the Slurm (TCP) transport: dial the scheduler, present
 * the token, then run the calls it sends through a {@linkcode Relay} on a
 * local executor, which enforces each call's limits as it does locally.
 * Used by `baton worker --connect`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  Relay,
  RELAY_EXECUTORS,
  type RelayExecutor,
  unsendableResult,
} from "../executors/relay.ts";
import type { FunctionRef } from "../wire/messages.ts";
import { encodeError } from "../wire/codec.ts";
import { FrameConnection, writeAll } from "../executors/slurm/connection.ts";
import {
  type FromRemote,
  type Hello,
  PROTOCOL_VERSION,
  type ToRemote,
} from "../executors/slurm/wire.ts";
import { type Duration, parseDuration } from "../units.ts";

/**
 * Options of {@linkcode connectWorker}.
 *
 * @example
 * ```ts ignore
 * // needs a baton endpoint (Scheduler.withSlurm or withSge) listening at login1:40123
 * import { connectWorker } from "./worker_connect.ts";
 * await connectWorker({ connect: "login1:40123", token: Deno.env.get("BATON_TOKEN")!, concurrency: 4 });
 * ```
 */
export interface ConnectOptions {
  /** The scheduler's endpoint, `HOST:PORT` (`[::1]:PORT` for IPv6). */
  connect: string;
  /** The token the scheduler gave the job. */
  token: string;
  /** Calls run at once, each in its own process (default 1). */
  concurrency?: number;
  /**
   * Run calls in subprocesses (default, hard limits), Web Workers, or this
   * process's own thread (`"sequential"`: no isolation, the fastest).
   */
  executor?: RelayExecutor;
  /** The Slurm job id to report (default: `SLURM_JOB_ID` from the environment). */
  jobId?: string;
  /** How long to keep trying to reach the scheduler (default `"60s"`). */
  connectTimeout?: Duration;
  /** Where progress lines go (default: stderr). */
  log?: (line: string) => void;
}

const USAGE = "usage: baton worker --connect HOST:PORT [--token T (or BATON_TOKEN)] " +
  "[--concurrency N] [--executor processes|workers|sequential] [--job-id ID] [--connect-timeout 60s]";

/**
 * Reads worker options from command-line arguments; the token may come from
 * the `BATON_TOKEN` environment variable instead of `--token` (so that `ps`
 * does not show it). Throws a `TypeError` naming a bad value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConnectArgs } from "./worker_connect.ts";
 * const argv = ["--connect", "login1:40123", "--token", "s3cret", "--concurrency", "4"];
 * assert.equal(parseConnectArgs(argv).concurrency, 4);
 * ```
 */
export function parseConnectArgs(
  args: string[],
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): ConnectOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        connect: { type: "string" },
        token: { type: "string" },
        concurrency: { type: "string" },
        executor: { type: "string" },
        "job-id": { type: "string" },
        "connect-timeout": { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new TypeError(`${(error as Error).message}; ${USAGE}`);
  }
  if (!values.connect) throw new TypeError(`--connect HOST:PORT is required; ${USAGE}`);
  parseAddress(values.connect);
  const token = values.token ?? env("BATON_TOKEN");
  if (!token) throw new TypeError(`a token is required: --token T or BATON_TOKEN; ${USAGE}`);
  const options: ConnectOptions = { connect: values.connect, token };
  if (values.concurrency !== undefined) {
    const n = Number(values.concurrency);
    if (!Number.isInteger(n) || n < 1) {
      throw new TypeError(
        `--concurrency must be a positive integer, got ${JSON.stringify(values.concurrency)}`,
      );
    }
    options.concurrency = n;
  }
  if (values.executor !== undefined) {
    if (!(RELAY_EXECUTORS as readonly string[]).includes(values.executor)) {
      throw new TypeError(
        `--executor must be ${RELAY_EXECUTORS.map((k) => `"${k}"`).join(", ")}, got ${
          JSON.stringify(values.executor)
        }`,
      );
    }
    options.executor = values.executor as RelayExecutor;
  }
  if (values["job-id"] !== undefined) options.jobId = values["job-id"];
  if (values["connect-timeout"] !== undefined) {
    parseDuration(values["connect-timeout"]);
    options.connectTimeout = values["connect-timeout"];
  }
  return options;
}

/**
 * Dials the scheduler, authenticates, and runs its calls until it says
 * goodbye or the connection ends. Resolves with an exit code: 0 after a
 * goodbye, 1 when the connection was lost or refused.
 *
 * @example
 * ```ts ignore
 * // needs a baton endpoint to connect to (what an HPC job runs)
 * import { connectWorker, parseConnectArgs } from "./worker_connect.ts";
 * Deno.exit(await connectWorker(parseConnectArgs(Deno.args)));
 * ```
 */
export async function connectWorker(options: ConnectOptions): Promise<number> {
  const log = options.log ?? ((line: string) => console.error(`baton worker: ${line}`));
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const [hostname, port] = parseAddress(options.connect);
  const conn = await dial(hostname, port, parseDuration(options.connectTimeout ?? "60s"), log);
  const hello: Hello = {
    baton: PROTOCOL_VERSION,
    token: options.token,
    jobId: options.jobId ?? Deno.env.get("SLURM_JOB_ID"),
    concurrency,
    host: Deno.hostname(),
    pid: Deno.pid,
  };
  try {
    await writeAll(conn, new TextEncoder().encode(JSON.stringify(hello) + "\n"));
  } catch (error) {
    conn.close();
    log(`could not greet ${options.connect}: ${(error as Error).message}`);
    return 1;
  }
  const session = new Session(conn, options.executor ?? "processes", concurrency, log);
  const code = await session.done;
  await session.relay.shutdown(false);
  return code;
}

/** One connection's life: welcome, calls, goodbye. */
class Session {
  readonly done: Promise<number>;
  readonly relay: Relay;
  readonly #connection: FrameConnection<ToRemote, FromRemote>;
  readonly #log: (line: string) => void;
  /** Functions by the key the scheduler gave them: it sends each in full once. */
  readonly #functions = new Map<number, FunctionRef>();
  /** The function name of each call, for the error of a result that cannot be sent. */
  readonly #names = new Map<number, string>();
  #chain: Promise<void> = Promise.resolve();
  #welcomed = false;
  #bye = false;

  constructor(
    conn: Deno.Conn,
    executor: RelayExecutor,
    concurrency: number,
    log: (line: string) => void,
  ) {
    this.#log = log;
    this.relay = new Relay({ executor, concurrency }, (message) => {
      if (message.t === "started") return;
      const name = this.#names.get(message.id);
      if (message.t === "ok" || message.t === "err") this.#names.delete(message.id);
      this.#send(message, name);
    });
    const ended = Promise.withResolvers<number>();
    this.done = ended.promise;
    this.#connection = new FrameConnection<ToRemote, FromRemote>(
      conn,
      (message) => {
        this.#chain = this.#chain.then(() => this.#onMessage(message)).catch((error) => {
          log(`protocol error: ${(error as Error)?.message ?? error}`);
          this.#connection.close();
        });
      },
      (why) => {
        if (this.#bye) log("the scheduler is done; exiting");
        else if (!this.#welcomed) log(`the scheduler refused this worker (${why})`);
        else log(`lost the scheduler: ${why}`);
        ended.resolve(this.#bye ? 0 : 1);
      },
    );
  }

  async #onMessage(message: ToRemote): Promise<void> {
    if (message.t === "welcome") {
      this.#welcomed = true;
      await this.relay.start();
      this.#log(`connected as ${message.id}`);
      return;
    }
    if (!this.#welcomed) throw new Error(`"${message.t}" before the welcome`);
    switch (message.t) {
      case "bye":
        this.#bye = true;
        this.#connection.close();
        return;
      case "call":
        return await this.#run(message);
      case "comm":
        return this.relay.comm(message.id, message.frame);
      case "cancel":
        this.relay.cancel(message.id, message.reason);
        return;
      case "steal":
        if (this.relay.steal(message.id)) this.#send({ t: "dropped", id: message.id });
        return;
    }
  }

  async #run(message: Extract<ToRemote, { t: "call" }>): Promise<void> {
    try {
      const fn = this.#function(message.fn);
      this.#names.set(message.id, fn.name);
      await this.relay.run({
        id: message.id,
        fn,
        args: message.args,
        limits: message.limits,
        permissions: message.permissions,
        comm: message.comm,
        output: message.output,
      });
    } catch (error) {
      this.#names.delete(message.id);
      this.#send({ t: "err", id: message.id, error: encodeError(error) });
    }
  }

  #function(wanted: FunctionRef | number): FunctionRef {
    if (typeof wanted !== "number") {
      this.#functions.set(wanted.key, wanted);
      return wanted;
    }
    const known = this.#functions.get(wanted);
    if (!known) throw new Error(`The worker does not know function #${wanted}`);
    return known;
  }

  #send(message: FromRemote, name = ""): void {
    try {
      this.#connection.send(message);
    } catch (error) {
      if (message.t === "ok") {
        this.#send({ t: "err", id: message.id, error: unsendableResult(name, error) });
      } else this.#log(`could not send a ${message.t}: ${(error as Error).message}`);
    }
  }
}

/**
 * Splits `HOST:PORT` or `[IPv6]:PORT`; throws a `TypeError` naming the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAddress } from "./worker_connect.ts";
 * assert.deepEqual(parseAddress("[::1]:4000"), ["::1", 4000]);
 * assert.deepEqual(parseAddress("login1:40123"), ["login1", 40123]);
 * ```
 */
export function parseAddress(address: string): [hostname: string, port: number] {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new TypeError(
      `--connect must be HOST:PORT (or [IPv6]:PORT) with a port from 1 to 65535, got ${
        JSON.stringify(address)
      }`,
    );
  }
  return [match[1] ?? match[2], port];
}

/** Connects, retrying while the scheduler is not (yet) reachable, until `timeout` ms. */
async function dial(
  hostname: string,
  port: number,
  timeout: number,
  log: (line: string) => void,
): Promise<Deno.TcpConn> {
  const deadline = performance.now() + timeout;
  for (let attempt = 1;; attempt++) {
    try {
      return await Deno.connect({ hostname, port });
    } catch (error) {
      if (performance.now() >= deadline) {
        throw new Error(
          `Could not reach the scheduler at ${hostname}:${port} within ${timeout}ms: ${
            (error as Error).message
          }`,
        );
      }
      if (attempt === 1) log(`waiting for ${hostname}:${port} (${(error as Error).message})`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * attempt)));
    }
  }
}
