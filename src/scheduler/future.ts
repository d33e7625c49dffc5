/**
 * The handle on one call: its status, its outcome, and a way to await it.
 *
 * @module
 */

import { CancelledError } from "../wire/errors.ts";
import type { AnyTask } from "./task.ts";

/**
 * Where a future is in its life.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * scheduler.onStart(() => {
 *   scheduler.submit(() => {
 *     throw new RangeError("diverged");
 *   });
 * });
 * scheduler.onFutureDone((future) => {
 *   assert.equal(future.status, "rejected");
 *   assert.ok(future.error instanceof RangeError);
 * });
 * await scheduler.run({ onException: "continue" });
 * ```
 * @category Core
 */
export type FutureStatus = "pending" | "running" | "fulfilled" | "rejected" | "cancelled";

let nextId = 1;
/** The clock's origin, read once (its getter checks its receiver on each call). */
const ORIGIN = performance.timeOrigin;

/** A fresh id from the sequence futures take theirs from (each attempt's call gets one). */
export function takeId(): number {
  return nextId++;
}

/**
 * Sets a future's outcome; only the scheduler calls it. `"pending"` puts a
 * failed attempt's future back to waiting for its retry. For `"running"`,
 * `outcome` is the worker's label and `at` the `performance.now()` of the
 * start, when the executor knows them.
 */
export let settleFuture: (
  future: Future,
  status: FutureStatus,
  outcome?: unknown,
  at?: number,
) => void;

/**
 * One submitted call. It is awaitable (`await future` gives the result or
 * throws the error), but a rejected future that nobody awaits is never an
 * unhandled rejection: the promise is only made when someone asks for it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * scheduler.onStart(async () => {
 *   const future = scheduler.submit((x: number) => x * 2, 21);
 *   assert.equal(await future, 42);
 *   assert.equal(future.status, "fulfilled");
 * });
 * await scheduler.run();
 * ```
 * @category Core
 */
export class Future<T = unknown, A extends readonly unknown[] = readonly unknown[]>
  implements PromiseLike<T> {
  /** Unique, increasing id. */
  readonly id: number = takeId();
  /** The function that was submitted. */
  readonly fn: (...args: never[]) => unknown;
  /** The arguments it was called with, typed from the task's parameters. */
  readonly args: A;
  /** The task it was submitted through, if any. */
  readonly task?: AnyTask;
  #status: FutureStatus = "pending";
  #attempts = 0;
  #startedAt?: number;
  #worker?: string;
  #value?: unknown;
  #error?: unknown;
  #promise?: PromiseWithResolvers<unknown>;
  // deno-lint-ignore no-explicit-any
  readonly #onCancel: (future: Future<any, any>) => boolean;

  static {
    settleFuture = (future, status, outcome, at) => future.#settle(status, outcome, at);
  }

  /** Made by the scheduler's `submit()`; `onCancel` asks it to cancel. */
  constructor(
    fn: (...args: never[]) => unknown,
    args: A,
    task: AnyTask | undefined,
    // deno-lint-ignore no-explicit-any
    onCancel: (future: Future<any, any>) => boolean,
  ) {
    this.fn = fn;
    this.args = args;
    this.task = task;
    this.#onCancel = onCancel;
  }

  /** `"pending"` (queued), `"running"`, `"fulfilled"`, `"rejected"` or `"cancelled"`. */
  get status(): FutureStatus {
    return this.#status;
  }

  /**
   * How many times the call started: 1 normally, more when a `Retry` plugin
   * ran it again after a failure, or an executor did (a distributed worker
   * died and the job was retried elsewhere).
   */
  get attempts(): number {
    return this.#attempts;
  }

  /**
   * When the latest attempt started (milliseconds since the epoch);
   * `undefined` while queued. With `submit` and done times it gives the wait
   * and the run time that the monitor's explorer and timeline show.
   */
  get startedAt(): number | undefined {
    return this.#startedAt;
  }

  /**
   * The worker that ran the latest attempt, as in `executor.info().workers`
   * (`"worker-1"`, `"process-2"`, `"main"`), when the executor says.
   */
  get worker(): string | undefined {
    return this.#worker;
  }

  /** The result, once fulfilled. */
  get value(): T | undefined {
    return this.#value as T | undefined;
  }

  /** The error, once rejected (a `CancelledError` once cancelled). */
  get error(): unknown {
    return this.#error;
  }

  /** Whether it has an outcome. */
  get done(): boolean {
    return this.#status === "fulfilled" || this.#status === "rejected" ||
      this.#status === "cancelled";
  }

  /**
   * Cancels the call if it has not finished; returns whether it was cancelled.
   * Emits `future-cancelled` (and the task's `cancelled`).
   */
  cancel(): boolean {
    if (this.done) return false;
    return this.#onCancel(this);
  }

  /** Awaits the outcome. */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return (this.#ensurePromise().promise as Promise<T>).then(onFulfilled, onRejected);
  }

  /** A short description, e.g. `Future#3(collatz, fulfilled)`. */
  toString(): string {
    return `Future#${this.id}(${this.fn.name || "anonymous"}, ${this.#status})`;
  }

  #ensurePromise(): PromiseWithResolvers<unknown> {
    if (!this.#promise) {
      this.#promise = Promise.withResolvers<unknown>();
      if (this.#status === "fulfilled") this.#promise.resolve(this.#value);
      else if (this.#status === "rejected" || this.#status === "cancelled") {
        this.#promise.reject(this.#error);
      }
    }
    return this.#promise;
  }

  #settle(status: FutureStatus, outcome?: unknown, at?: number): void {
    if (this.done) return;
    this.#status = status;
    if (status === "pending") return;
    if (status === "running") {
      this.#attempts++;
      // The monotonic clock, as milliseconds since the epoch (what the monitor's times are);
      // the executor's own reading when it gives one.
      this.#startedAt = ORIGIN + (at ?? performance.now());
      this.#worker = outcome as string | undefined;
      return;
    }
    if (status === "fulfilled") {
      this.#value = outcome;
      this.#promise?.resolve(outcome);
    } else {
      this.#error = status === "cancelled" ? (outcome ?? new CancelledError(this.id)) : outcome;
      this.#promise?.reject(this.#error);
    }
  }
}
