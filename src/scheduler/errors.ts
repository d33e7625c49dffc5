/**
 * Errors raised by the scheduler and its futures. `CancelledError` and
 * `ThrownValueError` cross the boundary, so they live in `src/wire/errors.ts`
 * and are re-exported here.
 *
 * @module
 */

import { ThrownValueError } from "../wire/errors.ts";

export { CancelledError, ThrownValueError } from "../wire/errors.ts";

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

/** Turns anything thrown into an `Error`. */
export function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new ThrownValueError(thrown);
}
