/**
 * The small interface every executor implements: sequential, Web Workers,
 * subprocesses, and distributed engines.
 *
 * @module
 */

import type { Permissions, ResolvedLimits } from "./limits.ts";
import type { CommFrame } from "../wire/frames.ts";
import type { OutputMode, OutputStream } from "../wire/messages.ts";

/**
 * What a task function sees as `this`: a signal that aborts when the call's
 * wall-time limit is reached (reason: the `WallTimeLimitError` its future
 * rejects with) or the call is cancelled (reason: its `CancelledError`), on
 * every executor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler, type TaskContext, WallTimeLimitError } from "@baton/baton";
 * const scheduler = Scheduler.withWorkers(1);
 * const poll = scheduler.task(async function poll(this: TaskContext, _round: number) {
 *   while (!this.signal.aborted) await new Promise((r) => setTimeout(r, 10));
 * }, { limits: { wallTime: "50ms" } });
 * const [settled] = await scheduler.map(poll, [1], { settle: true });
 * assert.ok(settled.status === "rejected" && settled.reason instanceof WallTimeLimitError);
 * ```
 * @category Executors
 */
export interface TaskContext {
  /** Aborts at the wall-time deadline or on cancellation. */
  readonly signal: AbortSignal;
}

/**
 * One call handed to an executor.
 *
 * @example
 * ```ts
 * import type { Call } from "@baton/baton";
 * const call: Call = { id: 1, fn: (x: number) => x * 2, args: [21], limits: {} };
 * ```
 * @category Executors
 */
export interface Call {
  /** The id of the call's future. */
  readonly id: number;
  /** The function to run. */
  readonly fn: (...args: never[]) => unknown;
  /** Its arguments. */
  readonly args: readonly unknown[];
  /** Limits to enforce, in milliseconds and bytes. */
  readonly limits: ResolvedLimits;
  /** Permissions to run under (undefined: the executor's own). */
  readonly permissions?: Permissions;
  /** Whether the function gets a comm channel as its first argument. */
  readonly comm?: boolean;
  /**
   * What happens to the call's console output: `"capture"` reports it
   * through {@linkcode ExecutorHost.output}, `"discard"` drops it; absent,
   * it is written where the call runs, as usual.
   */
  readonly output?: OutputMode;
  /** The name of the call's task, for messages. */
  readonly task?: string;
}

/**
 * How an executor reports back to the scheduler. Each call is reported at most once as settled.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Call, type ExecutorHost, SequentialExecutor } from "@baton/baton";
 * const events: string[] = [];
 * const settled = Promise.withResolvers<void>();
 * const host: ExecutorHost = {
 *   started: (call) => events.push(`started ${call.id}`),
 *   fulfilled: (call, value) => (events.push(`${call.id} = ${value}`), settled.resolve()),
 *   rejected: (call, error) => (events.push(`${call.id} failed: ${error}`), settled.resolve()),
 *   comm: () => {},
 * };
 * const executor = new SequentialExecutor();
 * await executor.start(host);
 * const call: Call = { id: 1, fn: (x: number) => x * 2, args: [21], limits: {} };
 * executor.execute(call);
 * await settled.promise;
 * await executor.shutdown(true);
 * assert.deepEqual(events, ["started 1", "1 = 42"]);
 * ```
 * @category Executors
 */
export interface ExecutorHost {
  /**
   * The call began to run (again, for each retry: the future counts
   * `attempts`), on `worker` (its `WorkerInfo.id`) at `at` (its
   * `performance.now()`), when the executor knows them.
   */
  started(call: Call, worker?: string, at?: number): void;
  /** The call returned `value`. */
  fulfilled(call: Call, value: unknown): void;
  /** The call failed with `error`. */
  rejected(call: Call, error: unknown): void;
  /** The call's compute side sent a comm frame. */
  comm(call: Call, frame: CommFrame): void;
  /** The call wrote `text` to `stream` (calls with `output: "capture"` only). */
  output?(call: Call, text: string, stream: OutputStream): void;
}

/**
 * One worker (thread or process) as shown in renderings and the monitor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler, type WorkerInfo } from "@baton/baton";
 * const scheduler = Scheduler.withWorkers(2);
 * let workers: readonly WorkerInfo[] = [];
 * scheduler.onStart(() => scheduler.submit((x: number) => x * 2, 21));
 * scheduler.onFutureDone(() => (workers = scheduler.executor.info().workers));
 * await scheduler.run();
 * // Workers start on demand: one call needed one worker.
 * assert.ok(workers.length >= 1 && workers.every((w) => /^worker-\d+$/.test(w.id)));
 * ```
 * @category Executors
 */
export interface WorkerInfo {
  /** Stable label, e.g. `worker-1`. */
  readonly id: string;
  /** Whether it is running a call. */
  readonly busy: boolean;
  /** Calls handed to it and not yet answered. */
  readonly inFlight: number;
  /** Operating-system process id, for processes. */
  readonly pid?: number;
}

/**
 * A snapshot of an executor for rendering.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.withWorkers(2);
 * const info = scheduler.executor.info();
 * assert.equal(info.kind, "workers");
 * assert.equal(info.queued, 0);
 * ```
 * @category Executors
 */
export interface ExecutorInfo {
  /** e.g. `"sequential"`, `"workers"`, `"processes"`. */
  readonly kind: string;
  /** Options worth showing, e.g. `{ maxWorkers: 2 }`. */
  readonly options: Record<string, unknown>;
  /** Calls waiting for a worker. */
  readonly queued: number;
  /** The live workers. */
  readonly workers: readonly WorkerInfo[];
}

/**
 * Runs calls somewhere and reports their outcome through an {@linkcode ExecutorHost}.
 *
 * Contract: after `start()`, `execute()` queues a call; the executor reports
 * `started` then exactly one of `fulfilled`/`rejected`, unless `cancel()`
 * returned `true` for it or `shutdown()` has resolved, after which the call
 * is never reported again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler, SequentialExecutor } from "@baton/baton";
 * const scheduler = new Scheduler({ executor: new SequentialExecutor() });
 * assert.equal(scheduler.executor.kind, "sequential");
 * ```
 * @category Executors
 */
export interface Executor {
  /** e.g. `"sequential"`, `"workers"`, `"processes"`. */
  readonly kind: string;
  /** Throws when the executor cannot enforce `limits` or `permissions`, saying which one can. */
  validate(options: { limits: ResolvedLimits; permissions?: Permissions }): void;
  /** Prepares to run calls (spawns workers lazily or eagerly). */
  start(host: ExecutorHost): void | Promise<void>;
  /** Queues a call. */
  execute(call: Call): void;
  /** Delivers a comm frame to a running call's compute side (dropped if it is not running). */
  sendComm(call: Call, frame: CommFrame): void;
  /**
   * Cancels a queued or running call; returns `true` if it will never be
   * reported. `reason` (the future's `CancelledError`) is what the call's
   * signal aborts with where the call can still see it.
   */
  cancel(call: Call, reason?: Error): boolean;
  /**
   * Stops taking calls. With `wait`, resolves once every running call has
   * been reported (queued ones are dropped); without, kills what runs at once.
   */
  shutdown(wait: boolean): Promise<void>;
  /** A snapshot for rendering. */
  info(): ExecutorInfo;
}
