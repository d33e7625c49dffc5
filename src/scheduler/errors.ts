/**
 * Errors raised by the scheduler and its futures. `CancelledError` and
 * `ThrownValueError` cross the boundary, so they live in `src/wire/errors.ts`
 * and are re-exported here.
 *
 * @module
 */

import { describeValue, ThrownValueError } from "../wire/errors.ts";

export { CancelledError, ThrownValueError } from "../wire/errors.ts";

/**
 * Thrown by `submit()` when the scheduler is not running.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler, SchedulerNotRunningError } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * assert.throws(() => scheduler.submit(() => 1), SchedulerNotRunningError);
 * ```
 * @category Core
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
 * A task's plugin refused a call that had to run: `scheduler.map()` over a
 * task whose `Limiter` refuses calls over its limit, for instance.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SubmitRefusedError } from "@baton/baton";
 * assert.match(new SubmitRefusedError("train", [3]).message, /^Task "train" refused/);
 * ```
 * @category Core
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

/** Turns anything thrown into an `Error`. */
export function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new ThrownValueError(thrown);
}
