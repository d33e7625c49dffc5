/**
 * Errors raised by the scheduler and its futures.
 *
 * @module
 */

/**
 * Thrown by `submit()` when the scheduler is not running.
 *
 * @example
 * ```ts
 * import { Scheduler, SchedulerNotRunningError } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * try {
 *   scheduler.submit(() => 1);
 * } catch (error) {
 *   error instanceof SchedulerNotRunningError; // true
 * }
 * ```
 */
export class SchedulerNotRunningError extends Error {
  /** Creates the error for the scheduler called `scheduler`. */
  constructor(scheduler: string) {
    super(
      `Scheduler "${scheduler}" is not running: submit compute from a callback such as ` +
        `scheduler.onStart(() => task.submit(...)), while run() is in progress`,
    );
    this.name = "SchedulerNotRunningError";
  }
}

/**
 * The error a cancelled future rejects with.
 *
 * @example
 * ```ts
 * import { CancelledError } from "@baton/baton";
 * new CancelledError(3).message; // "Future 3 was cancelled"
 * ```
 */
export class CancelledError extends Error {
  /** Creates the error for the future `id`. */
  constructor(id: number, why?: string) {
    super(`Future ${id} was cancelled${why ? `: ${why}` : ""}`);
    this.name = "CancelledError";
  }
}

/**
 * A task's plugin refused a call that had to run: `scheduler.map()` over a
 * task whose `Limiter` refuses calls over its limit, for instance.
 *
 * @example
 * ```ts
 * import { SubmitRefusedError } from "@baton/baton";
 * new SubmitRefusedError("train", [3]).message.startsWith('Task "train" refused'); // true
 * ```
 */
export class SubmitRefusedError extends Error {
  /** The arguments of the refused call. */
  readonly args: readonly unknown[];

  /** Creates the error for task `task` and the call's `args`. */
  constructor(task: string, args: readonly unknown[]) {
    super(
      `Task "${task}" refused the call with ${describeValue(args)}: one of its plugins ` +
        `vetoed it (a Limiter over its limit?). To wait for a slot instead, use ` +
        `new Limiter({ maxConcurrent: n, queue: true }) or map's concurrency option`,
    );
    this.name = "SubmitRefusedError";
    this.args = args;
  }
}

/**
 * A value that was thrown but is not an `Error`, wrapped so that every
 * `future-exception` carries a message and a stack.
 *
 * @example
 * ```ts
 * import { ThrownValueError } from "@baton/baton";
 * new ThrownValueError(42).value; // 42
 * ```
 */
export class ThrownValueError extends Error {
  /** What was thrown. */
  readonly value: unknown;
  /** Wraps `value`. */
  constructor(value: unknown, stack?: string) {
    super(`A non-Error value was thrown: ${describeValue(value)}`);
    this.name = "ThrownValueError";
    this.value = value;
    if (stack) this.stack = `${this.name}: ${this.message}\n${stack}`;
  }
}

function describeValue(value: unknown): string {
  try {
    return typeof value === "string" ? JSON.stringify(value) : Deno.inspect(value, { depth: 2 });
  } catch {
    return String(value);
  }
}

/** Turns anything thrown into an `Error`. */
export function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new ThrownValueError(thrown);
}
