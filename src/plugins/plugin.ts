/**
 * The plugin interface: code that attaches to a task and can change or veto
 * its submissions and add events of its own.
 *
 * @module
 */

import type { Event } from "../events/event.ts";
import type { AnyTask } from "../scheduler/task.ts";

/**
 * A task plugin. `attach` runs when the task is created; `preSubmit` runs
 * before each submission, in plugin order, and returns the (possibly changed)
 * function and arguments, or `undefined` to veto the call.
 *
 * @example
 * ```ts
 * import { type Plugin, Scheduler } from "@baton/baton";
 * const onlyPositive: Plugin = {
 *   name: "only-positive",
 *   attach() {},
 *   preSubmit: (fn, args) => ((args[0] as number) > 0 ? [fn, args] : undefined),
 * };
 * const scheduler = Scheduler.sequential();
 * const task = scheduler.task((x: number) => x, { plugins: [onlyPositive] });
 * ```
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
  /** Events the plugin emits on the task; the task declares them. */
  readonly events?: readonly Event<unknown[]>[];
  /** One line of live state for renderings, e.g. `Calls 3/10`. */
  describe?(): string;
}
