/**
 * The Limiter plugin: caps how often and how concurrently a task runs.
 *
 * @module
 */

import { checkOptions, quote } from "../options.ts";
import { Event } from "../events/event.ts";
import type { Future } from "../scheduler/future.ts";
import type { AnyTask } from "../scheduler/task.ts";
import type { Plugin } from "./plugin.ts";

/**
 * Options of {@linkcode Limiter}.
 *
 * @example
 * ```ts
 * import { Limiter, Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * const otherTask = scheduler.task(() => "cleanup");
 * scheduler.task((x: number) => x, {
 *   plugins: [new Limiter({ maxCalls: 100, maxConcurrent: 4, notWhileRunning: [otherTask] })],
 * });
 * // calls over 2 wait instead of being refused
 * scheduler.task((x: number) => x, { plugins: [new Limiter({ maxConcurrent: 2, queue: true })] });
 * ```
 * @category Extending
 */
export interface LimiterOptions {
  /** Successful submissions allowed in total (queued ones count). */
  maxCalls?: number;
  /** Calls allowed to be queued or running at once. */
  maxConcurrent?: number;
  /**
   * With `maxConcurrent`: calls over the limit wait for a slot, in
   * submission order (their futures stay pending), instead of being refused.
   */
  queue?: boolean;
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
 * With `queue: true`, a call over `maxConcurrent` is not refused: `submit()`
 * returns its future at once, and the call waits for a slot, first come
 * first served (a call waiting for a retry keeps its slot). `maxCalls` and
 * `notWhileRunning` still refuse.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Limiter, Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.withWorkers(2);
 * const task = scheduler.task((x: number) => x, {
 *   plugins: [new Limiter({ maxCalls: 2 })],
 * });
 * const refused: number[] = [];
 * task.on(Limiter.CALL_LIMIT_REACHED, (_task, x) => refused.push(x as number));
 * scheduler.onStart(() => {
 *   for (const x of [1, 2, 3]) task.submit(x);
 * });
 * await scheduler.run();
 * assert.deepEqual(refused, [3]);
 * ```
 * @category Extending
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
  readonly #queue: boolean;
  /** Calls let through and not finished yet (queue mode). */
  readonly #active = new Set<Future>();
  /** Calls waiting for a slot, oldest first (queue mode). */
  #waiting: { readonly future: Future; readonly admit: () => void }[] = [];
  #task?: AnyTask;

  /** Creates a limiter; at least one option is needed. */
  constructor(options: LimiterOptions) {
    checkOptions(
      options,
      ["maxCalls", "maxConcurrent", "notWhileRunning", "queue"],
      "new Limiter()",
      { max_calls: "use maxCalls", max_concurrent: "use maxConcurrent", wait: "use queue: true" },
    );
    this.#maxCalls = positive("maxCalls", options?.maxCalls);
    this.#maxConcurrent = positive("maxConcurrent", options?.maxConcurrent);
    this.#queue = options?.queue ?? false;
    if (typeof this.#queue !== "boolean") {
      throw new TypeError(`Limiter queue must be true or false, got ${quote(options.queue)}`);
    }
    if (this.#queue && this.#maxConcurrent === undefined) {
      throw new TypeError(
        "Limiter queue: true makes calls over maxConcurrent wait: it needs maxConcurrent",
      );
    }
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
    if (this.#queue) {
      const release = (future: Future) => this.#release(future);
      task.onDone(release, { hidden: true, name: "limiter-release" });
      task.onCancelled(release, { hidden: true, name: "limiter-release" });
    }
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
    if (
      !this.#queue && this.#maxConcurrent !== undefined && task.nRunning >= this.#maxConcurrent
    ) {
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

  /** In queue mode, lets the call run if a slot is free, else makes it wait for one. */
  admit(future: Future): Promise<void> | undefined {
    if (!this.#queue) return undefined;
    if (this.#active.size < this.#maxConcurrent!) {
      this.#active.add(future);
      return undefined;
    }
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiting.push({ future, admit: resolve });
    return promise;
  }

  /** Calls waiting for a slot (queue mode). */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** A call finished or was cancelled: its slot goes to the oldest waiting call. */
  #release(future: Future): void {
    if (!this.#active.delete(future)) {
      this.#waiting = this.#waiting.filter((w) => w.future !== future);
      return;
    }
    while (this.#waiting.length > 0 && this.#active.size < this.#maxConcurrent!) {
      const next = this.#waiting.shift()!;
      this.#active.add(next.future);
      next.admit();
    }
  }

  /** Live state, e.g. `Calls 3/10, Concurrent 1/2`. */
  describe(): string {
    const parts: string[] = [];
    if (this.#maxCalls !== undefined) parts.push(`Calls ${this.calls}/${this.#maxCalls}`);
    if (this.#maxConcurrent !== undefined) {
      const running = this.#queue ? this.#active.size : this.#task?.nRunning ?? 0;
      const waiting = this.#queue ? `, ${this.#waiting.length} waiting` : "";
      parts.push(`Concurrent ${running}/${this.#maxConcurrent}${waiting}`);
    }
    if (this.#notWhileRunning.length) {
      parts.push(`Not while running: ${this.#notWhileRunning.map((t) => t.name).join(", ")}`);
    }
    return parts.join(", ");
  }
}
