/**
 * The Limiter plugin: caps how often and how concurrently a task runs.
 *
 * @module
 */

import { checkOptions } from "../options.ts";
import { Event } from "../events/event.ts";
import type { AnyTask } from "../scheduler/task.ts";
import type { Plugin } from "./plugin.ts";

/**
 * Options of {@linkcode Limiter}.
 *
 * @example
 * ```ts ignore
 * new Limiter({ maxCalls: 100, maxConcurrent: 4, notWhileRunning: [otherTask] });
 * ```
 */
export interface LimiterOptions {
  /** Successful submissions allowed in total. */
  maxCalls?: number;
  /** Calls allowed to be queued or running at once. */
  maxConcurrent?: number;
  /** Refuse calls while any of these tasks has a call queued or running. */
  notWhileRunning?: AnyTask | AnyTask[];
}

function positive(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`Limiter ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Refuses submissions over a call limit, over a concurrency limit, or while
 * other tasks run. A refused `submit()` returns `undefined` and the task
 * emits one of the limiter's events instead. Only successful submissions
 * count as calls.
 *
 * @example
 * ```ts
 * import { Limiter, Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.withWorkers(2);
 * const task = scheduler.task((x: number) => x, {
 *   plugins: [new Limiter({ maxConcurrent: 2, maxCalls: 10 })],
 * });
 * task.on(Limiter.CONCURRENT_LIMIT_REACHED, (_task, x) => console.log("refused", x));
 * ```
 */
export class Limiter implements Plugin {
  /** A call was refused over `maxCalls`: (task, ...args). */
  // deno-lint-ignore no-explicit-any
  static readonly CALL_LIMIT_REACHED: Event<[task: AnyTask, ...args: any[]]> = new Event(
    "call-limit-reached",
  );
  /** A call was refused over `maxConcurrent`: (task, ...args). */
  // deno-lint-ignore no-explicit-any
  static readonly CONCURRENT_LIMIT_REACHED: Event<[task: AnyTask, ...args: any[]]> = new Event(
    "concurrent-limit-reached",
  );
  /** A call was refused because another task runs: (otherTask, task, ...args). */
  static readonly DISABLED_DUE_TO_RUNNING_TASK: Event<
    // deno-lint-ignore no-explicit-any
    [other: AnyTask, task: AnyTask, ...args: any[]]
  > = new Event("disabled-due-to-running-task");

  /** Always `"limiter"`. */
  readonly name = "limiter";
  /** The events it emits on its task. */
  readonly events: readonly Event<unknown[]>[] = [
    Limiter.CALL_LIMIT_REACHED,
    Limiter.CONCURRENT_LIMIT_REACHED,
    Limiter.DISABLED_DUE_TO_RUNNING_TASK,
  ] as Event<unknown[]>[];
  /** Successful submissions so far. */
  calls = 0;
  readonly #maxCalls?: number;
  readonly #maxConcurrent?: number;
  readonly #notWhileRunning: AnyTask[];
  #task?: AnyTask;

  /** Creates a limiter; at least one option is needed. */
  constructor(options: LimiterOptions) {
    checkOptions(options, ["maxCalls", "maxConcurrent", "notWhileRunning"], "new Limiter()", {
      max_calls: "use maxCalls",
      max_concurrent: "use maxConcurrent",
    });
    this.#maxCalls = positive("maxCalls", options?.maxCalls);
    this.#maxConcurrent = positive("maxConcurrent", options?.maxConcurrent);
    const others = options?.notWhileRunning;
    this.#notWhileRunning = others === undefined ? [] : Array.isArray(others) ? others : [others];
    if (
      this.#maxCalls === undefined && this.#maxConcurrent === undefined &&
      this.#notWhileRunning.length === 0
    ) {
      throw new TypeError(
        "Limiter needs at least one of maxCalls, maxConcurrent or notWhileRunning",
      );
    }
  }

  /** Binds to `task`; a limiter serves one task. */
  attach(task: AnyTask): void {
    if (this.#task) {
      throw new Error(
        `This Limiter is already attached to task "${this.#task.name}"; make one per task`,
      );
    }
    if (this.#notWhileRunning.includes(task)) {
      throw new Error(
        `Task "${task.name}" names itself in notWhileRunning, so it could never run`,
      );
    }
    this.#task = task;
    task.onSubmitted(() => this.calls++, { hidden: true, name: "limiter-count" });
  }

  /** Refuses the call (returning `undefined`) when a limit is reached. */
  preSubmit(
    fn: (...args: never[]) => unknown,
    args: unknown[],
  ): [(...args: never[]) => unknown, unknown[]] | undefined {
    const task = this.#task!;
    if (this.#maxCalls !== undefined && this.calls >= this.#maxCalls) {
      task.emit(Limiter.CALL_LIMIT_REACHED, task, ...args);
      return undefined;
    }
    if (this.#maxConcurrent !== undefined && task.nRunning >= this.#maxConcurrent) {
      task.emit(Limiter.CONCURRENT_LIMIT_REACHED, task, ...args);
      return undefined;
    }
    const other = this.#notWhileRunning.find((t) => t.running());
    if (other) {
      task.emit(Limiter.DISABLED_DUE_TO_RUNNING_TASK, other, task, ...args);
      return undefined;
    }
    return [fn, args];
  }

  /** Live state, e.g. `Calls 3/10, Concurrent 1/2`. */
  describe(): string {
    const parts: string[] = [];
    if (this.#maxCalls !== undefined) parts.push(`Calls ${this.calls}/${this.#maxCalls}`);
    if (this.#maxConcurrent !== undefined) {
      parts.push(`Concurrent ${this.#task?.nRunning ?? 0}/${this.#maxConcurrent}`);
    }
    if (this.#notWhileRunning.length) {
      parts.push(`Not while running: ${this.#notWhileRunning.map((t) => t.name).join(", ")}`);
    }
    return parts.join(", ");
  }
}
