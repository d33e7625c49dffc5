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
 * ```ts ignore
 * if (future.status === "rejected") console.error(future.error);
 * ```
 */
export type FutureStatus = "pending" | "running" | "fulfilled" | "rejected" | "cancelled";

let nextId = 1;

/** Sets a future's outcome; only the scheduler calls it. */
export let settleFuture: (
  future: Future,
  status: "running" | "fulfilled" | "rejected" | "cancelled",
  outcome?: unknown,
) => void;

/**
 * One submitted call. It is awaitable (`await future` gives the result or
 * throws the error), but a rejected future that nobody awaits is never an
 * unhandled rejection: the promise is only made when someone asks for it.
 *
 * @example
 * ```ts
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * scheduler.onStart(async () => {
 *   const future = scheduler.submit((x: number) => x * 2, 21);
 *   console.log(await future, future.status); // 42 "fulfilled"
 * });
 * await scheduler.run();
 * ```
 */
export class Future<T = unknown> implements PromiseLike<T> {
  /** Unique, increasing id. */
  readonly id: number = nextId++;
  /** The function that was submitted. */
  readonly fn: (...args: never[]) => unknown;
  /** The arguments it was called with. */
  readonly args: readonly unknown[];
  /** The task it was submitted through, if any. */
  readonly task?: AnyTask;
  #status: FutureStatus = "pending";
  #attempts = 0;
  #value?: unknown;
  #error?: unknown;
  #promise?: PromiseWithResolvers<unknown>;
  readonly #onCancel: (future: Future) => boolean;

  static {
    settleFuture = (future, status, outcome) => future.#settle(status, outcome);
  }

  /** Made by the scheduler's `submit()`; `onCancel` asks it to cancel. */
  constructor(
    fn: (...args: never[]) => unknown,
    args: readonly unknown[],
    task: AnyTask | undefined,
    onCancel: (future: Future) => boolean,
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
   * How many times the call started: 1 normally, more when an executor ran
   * it again (a distributed worker died and the job was retried elsewhere).
   */
  get attempts(): number {
    return this.#attempts;
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

  #settle(status: "running" | "fulfilled" | "rejected" | "cancelled", outcome?: unknown): void {
    if (this.done) return;
    this.#status = status;
    if (status === "running") {
      this.#attempts++;
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
