/**
 * A pool of Web Workers.
 *
 * @module
 */

import { checkOptions } from "../options.ts";
import type { Call, Executor, ExecutorHost, ExecutorInfo } from "./executor.ts";
import {
  type Permissions,
  refuseKernelLimits,
  type ResolvedLimits,
  resolvePermissions,
} from "./limits.ts";
import { Pool, type Transport, type TransportEvents } from "./pool.ts";
import { WorkerCrashedError } from "../wire/errors.ts";
import { assertWorkerOptions } from "./worker_options.ts";
import type { FromWorker, ResultTuple } from "../wire/messages.ts";
import type { CommFrame } from "../wire/frames.ts";

/**
 * Options of `Scheduler.withWorkers(n, options)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.withWorkers(2, { permissions: { net: false }, prefetch: 1 });
 * assert.deepEqual(await scheduler.map((x: number) => x * 2, [1, 2, 3]), [2, 4, 6]);
 * ```
 * @category Executors
 */
export interface WorkerExecutorOptions {
  /** Permissions of every worker (a task's own `permissions` replace them for its calls). */
  permissions?: Permissions;
  /**
   * Calls handed to each worker at once. By default it adapts to the number
   * in flight: at least 4, and up to each worker's share of every call
   * queued or running (at most 64), so the next calls are already there when
   * one finishes and no round trip is lost between tiny calls. A number fixes
   * it. An idle worker takes back calls that wait behind a long (async) one;
   * a worker busy in synchronous code cannot hand them back, so use 1 for
   * long, uneven jobs.
   */
  prefetch?: number;
}

/** The least each worker holds, by default, when calls wait. */
const DEFAULT_PREFETCH = 4;
/**
 * The most each worker holds by default: deep enough that a worker never
 * drains between two tiny calls (64 in flight on 2 workers: 32 each), shallow
 * enough that stealing rebalances quickly.
 */
const MAX_PREFETCH = 64;

const ENTRY = new URL("../../workers/web_worker.ts", import.meta.url);

/**
 * Runs calls on `n` Web Workers. Wall-time limits are cooperative (the call's
 * `this.signal` aborts and the future rejects at the deadline, but a busy loop
 * keeps its worker: such a worker is reported once on stderr, and no longer
 * keeps the program alive after the run); CPU and memory limits are refused —
 * use processes. A worker that ends itself (`Deno.exit()`, `self.close()`, an
 * escaped error) rejects its call with `WorkerCrashedError` and is replaced.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler, WorkerExecutor } from "@baton/baton";
 * const scheduler = new Scheduler({ executor: new WorkerExecutor(2) });
 * assert.deepEqual(await scheduler.map((x: number) => x * x, [1, 2, 3]), [1, 4, 9]);
 * ```
 * @category Executors
 */
export class WorkerExecutor implements Executor {
  /** Always `"workers"`. */
  readonly kind = "workers";
  readonly #size: number;
  readonly #permissions?: Permissions;
  readonly #pool: Pool;
  readonly #keys = new WeakMap<object, string>();

  /** A pool of `n` workers. */
  constructor(n: number, options: WorkerExecutorOptions = {}) {
    checkOptions(options, ["permissions", "prefetch"], "Scheduler.withWorkers()");
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`The number of workers must be a positive integer, got ${n}`);
    }
    const prefetch = options.prefetch ?? DEFAULT_PREFETCH;
    if (!Number.isInteger(prefetch) || prefetch < 1) {
      throw new RangeError(`prefetch must be a positive integer, got ${prefetch}`);
    }
    this.#size = n;
    this.#permissions = options.permissions;
    if (resolvePermissions(options.permissions)) assertWorkerOptions();
    this.#pool = new Pool({
      size: n,
      prefetch,
      // Only the default adapts: a prefetch the caller chose is kept.
      maxPrefetch: options.prefetch === undefined ? MAX_PREFETCH : undefined,
      label: "worker",
      onWallTime: "signal",
      keyOf: (call) => this.#keyOf(call.permissions ?? this.#permissions),
      spawn: (key, events) => spawnWorker(key, events),
    });
  }

  /** Refuses CPU and memory limits; checks that permissions can be applied. */
  validate({ limits, permissions }: { limits: ResolvedLimits; permissions?: Permissions }): void {
    refuseKernelLimits(
      limits,
      "Web Workers",
      " (Deno cannot stop a busy worker, and one out of memory ends the process)",
    );
    if (resolvePermissions(permissions)) assertWorkerOptions();
  }

  /** Starts accepting calls; workers start on demand. */
  start(host: ExecutorHost): void {
    this.#pool.start(host);
  }

  /** Queues a call. */
  execute(call: Call): void {
    this.#pool.execute(call);
  }

  /** Delivers a comm frame to a running call. */
  sendComm(call: Call, frame: CommFrame): void {
    this.#pool.sendComm(call.id, frame);
  }

  /** Cancels a queued or running call (a running one ends its worker). */
  cancel(call: Call, reason?: Error): boolean {
    return this.#pool.cancel(call.id, reason);
  }

  /** Drops the queue, optionally waits for running calls, ends the workers. */
  shutdown(wait: boolean): Promise<void> {
    return this.#pool.shutdown(wait);
  }

  /** A snapshot for rendering. */
  info(): ExecutorInfo {
    return this.#pool.info(this.kind, { maxWorkers: this.#size });
  }

  #keyOf(permissions: Permissions | undefined): string {
    if (permissions === undefined) return "";
    if (typeof permissions === "string") return permissions;
    let key = this.#keys.get(permissions);
    if (key === undefined) {
      key = JSON.stringify(resolvePermissions(permissions));
      this.#keys.set(permissions, key);
    }
    return key;
  }
}

/**
 * How long a worker that was told to stop may take to show it is not stuck in
 * synchronous code. Generous: on a loaded machine a free worker can take
 * hundreds of ms to answer, and one declared stuck is ended before the abort
 * handlers of its call run. Only a run with a stuck worker waits this long.
 */
const PROBE_MS = 1_000;
/** Tasks already reported as stuck: once each. */
const reportedStuck = new Set<string>();

/**
 * Deno's own un-ref of a Worker (the one `node:worker_threads`' `unref()`
 * uses; it has no public name), found by what it does. After it, a worker
 * that `terminate()` could not stop no longer keeps the program alive.
 * `undefined` if a Deno version lacks it.
 */
const unrefWorker: ((worker: Worker) => void) | undefined = (() => {
  try {
    for (const symbol of Object.getOwnPropertySymbols(Worker.prototype)) {
      const method = (Worker.prototype as unknown as Record<symbol, unknown>)[symbol];
      if (
        typeof method === "function" &&
        /unrefOpPromise/.test(Function.prototype.toString.call(method))
      ) return (worker: Worker) => method.call(worker, false);
    }
  } catch { /* a Deno without it */ }
  return undefined;
})();

function spawnWorker(key: string, events: TransportEvents): Transport {
  const permissions = key === "" || key === "inherit"
    ? undefined
    : key === "none"
    ? "none"
    : JSON.parse(key);
  const worker = new Worker(ENTRY, {
    type: "module",
    ...(permissions ? { deno: { permissions } } : {}),
  } as WorkerOptions);
  let dead = false;
  let pong: (() => void) | undefined;
  worker.onmessage = (event: MessageEvent<FromWorker | ResultTuple>) => {
    const data = event.data;
    // Most messages are answers, in their compact form (see `ResultTuple`).
    if (Array.isArray(data)) return events.result((data as ResultTuple)[0], data[1]);
    const message = data as FromWorker;
    if (message.t === "ready") events.ready();
    else if (message.t === "pong") pong?.();
    else events.message(message);
  };
  const die = (message: string) => {
    if (dead) return;
    dead = true;
    worker.terminate();
    events.exit(new WorkerCrashedError(message));
  };
  worker.onerror = (event) => {
    // Without preventDefault an error inside the worker would end the main process.
    event.preventDefault();
    die(`A Web Worker failed: ${event.message ?? "unknown error"}; it was replaced`);
  };
  worker.onmessageerror = () => die("A Web Worker sent a message that could not be read");
  return {
    post: (message) => worker.postMessage(message),
    postCall: (call) => worker.postMessage(call),
    kill: (unanswered) => {
      if (dead) return;
      dead = true;
      if (!unanswered) {
        worker.terminate();
        return;
      }
      // terminate() cannot stop a worker busy in synchronous code: find out
      // whether this one is (a free event loop answers at once), and say so.
      const answered = Promise.withResolvers<boolean>();
      pong = () => answered.resolve(true);
      const timer = setTimeout(() => answered.resolve(false), PROBE_MS);
      worker.postMessage({ t: "ping" });
      return answered.promise.then((responsive) => {
        clearTimeout(timer);
        worker.terminate();
        if (responsive) return;
        unrefWorker?.(worker);
        reportStuck(unanswered);
      });
    },
  };
}

function reportStuck(call: Call): void {
  const task = call.task ?? (call.fn.name || "anonymous");
  if (reportedStuck.has(task)) return;
  reportedStuck.add(task);
  console.error(
    `baton: a Web Worker running task "${task}" is stuck in synchronous code and did not stop ` +
      `when told to (its wall time passed, or it was cancelled). Deno cannot stop a busy Web ` +
      `Worker: it keeps one CPU busy ${
        unrefWorker
          ? "until this program exits (it no longer keeps the program alive)"
          : "and this program cannot exit until that call returns"
      }. Run "${task}" on Scheduler.withProcesses(n), whose limits kill the process.`,
  );
}
