/**
 * The plugin interface: code that attaches to a task and can change, veto,
 * hold back or retry its calls, and add events of its own.
 *
 * @module
 */

import type { Event } from "../events/event.ts";
import type { Future } from "../scheduler/future.ts";
import type { AnyTask } from "../scheduler/task.ts";

/**
 * A task plugin. Every hook is optional but `attach`; the task calls them in
 * plugin order:
 *
 * - `attach(task)` once, when the task is created: subscribe to its events here.
 * - `preSubmit(fn, args)` before each submission: return the (possibly
 *   changed) function and arguments, or `undefined` to veto the call
 *   (`submit()` then returns `undefined` and the task emits nothing).
 * - `admit(future)` after the call was submitted (its `submitted` events have
 *   fired), before it goes to the executor: return a promise to hold it back
 *   until the promise resolves (its future stays `"pending"`); a rejection
 *   fails the call with that error. How the queueing `Limiter` waits for a slot.
 * - `retryAfter(future, error, attempt)` when an attempt failed, before any
 *   event about it, while the scheduler runs: return a delay in milliseconds
 *   to run the call again on the same future after it, or `undefined` to let
 *   the failure stand. `attempt` is the attempt that failed (1 for the first
 *   call). The first plugin that returns a delay wins; the task then emits
 *   `retry` (future, error, attempt, delayMs). How `Retry` works.
 * - `describe()`: one line of live state for renderings.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Plugin, Scheduler } from "@baton/baton";
 * const onlyPositive: Plugin = {
 *   name: "only-positive",
 *   attach() {},
 *   preSubmit: (fn, args) => ((args[0] as number) > 0 ? [fn, args] : undefined),
 * };
 * const scheduler = Scheduler.sequential();
 * const task = scheduler.task((x: number) => x, { plugins: [onlyPositive] });
 * scheduler.onStart(() => {
 *   assert.equal(task.submit(-1), undefined); // refused
 *   assert.ok(task.submit(1));
 * });
 * await scheduler.run();
 * ```
 * @category Extending
 */
export interface Plugin {
  /** Shown in renderings. */
  readonly name: string;
  /** Called once, when the task is created. */
  attach(task: AnyTask): void;
  /** Changes or vetoes a submission. */
  preSubmit?(
    fn: (...args: never[]) => unknown,
    args: unknown[],
  ): [fn: (...args: never[]) => unknown, args: unknown[]] | undefined;
  /** Holds a submitted call back until the returned promise resolves. */
  admit?(future: Future): void | PromiseLike<void>;
  /** Asks for a failed attempt to run again after this many milliseconds. */
  retryAfter?(future: Future, error: unknown, attempt: number): number | undefined;
  /** Events the plugin emits on the task; the task declares them. */
  readonly events?: readonly Event<unknown[]>[];
  /** One line of live state for renderings, e.g. `Calls 3/10`. */
  describe?(): string;
}
