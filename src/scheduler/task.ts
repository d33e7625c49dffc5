/**
 * A function bound to a scheduler, with events of its own.
 *
 * @module
 */

import { checkOptions, quote } from "../options.ts";
import { emitFew, Emitter, type Subscriber } from "../events/emitter.ts";
import {
  CpuTimeLimitError,
  type LimitError,
  MemoryLimitError,
  WallTimeLimitError,
} from "../wire/errors.ts";
import type { OutputStream } from "../wire/messages.ts";
import {
  type Limits,
  type Permissions,
  type ResolvedLimits,
  resolveLimits,
} from "../executors/limits.ts";
import type { Plugin } from "../plugins/plugin.ts";
import { Comm } from "../comm/comm.ts";
import { TaskEvents } from "./events.ts";
import type { Future } from "./future.ts";
import { adoptTask, type Scheduler, submitForTask } from "./scheduler.ts";

/**
 * Options for `scheduler.task(fn, options)`.
 *
 * @example
 * ```ts
 * import { Limiter, Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * const train = (lr: number) => 1 - lr;
 * scheduler.task(train, {
 *   name: "train",
 *   limits: { wallTime: "1h" },
 *   plugins: [new Limiter({ maxConcurrent: 2 })],
 * });
 * ```
 * @category Core
 */
export interface TaskOptions {
  /** Display name; defaults to the function's name. */
  name?: string;
  /** Plugins, applied in order (one plugin alone is accepted too). */
  plugins?: Plugin | readonly Plugin[];
  /** Per-call resource limits, enforced by the executor. */
  limits?: Limits;
  /** Permissions for the task's code, enforced by the executor. */
  permissions?: Permissions;
  /** Give each call a {@linkcode Comm} channel as its first argument. */
  comm?: boolean;
  /**
   * Fulfil every call with a {@linkcode TrialReport} instead of its result:
   * errors, limit hits and crashes become `"fail"`/`"crashed"` reports
   * delivered as results (cancellations stay cancellations).
   */
  report?: boolean;
}

const TASK_OPTIONS = ["name", "plugins", "limits", "permissions", "comm", "report"] as const;
const LIMITER = "tasks take no call limits themselves: use plugins: [new Limiter({ maxCalls: n })]";
const CONCURRENCY =
  "tasks take no concurrency limit themselves: use plugins: [new Limiter({ maxConcurrent: n })]";
const TASK_HINTS = {
  callLimit: LIMITER,
  call_limit: LIMITER,
  concurrentLimit: CONCURRENCY,
  concurrent_limit: CONCURRENCY,
  memoryLimit: 'use limits: { memory: "512MB" }',
  retries: "use plugins: [new Retry({ attempts: n })]",
  attempts: "use plugins: [new Retry({ attempts: n })]",
  memory_limit: 'use limits: { memory: "512MB" }',
  wallTimeLimit: 'use limits: { wallTime: "10s" }',
  wall_time_limit: 'use limits: { wallTime: "10s" }',
  cpuTimeLimit: 'use limits: { cpuTime: "10s" }',
  cpu_time_limit: 'use limits: { cpuTime: "10s" }',
};

function pluginList(plugins: TaskOptions["plugins"]): readonly Plugin[] {
  if (plugins === undefined) return [];
  const list = Array.isArray(plugins) ? plugins : [plugins];
  for (const plugin of list) {
    if (typeof plugin?.attach !== "function") {
      throw new TypeError(
        `plugins must be a plugin or an array of plugins (objects with attach(task)), got ${
          quote(plugin)
        }`,
      );
    }
  }
  return [...list];
}

/**
 * A task of any signature, where the exact types do not matter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AnyTask, Scheduler } from "@baton/baton";
 * function describe(task: AnyTask): string {
 *   return `${task.name}: ${task.nRunning} running`;
 * }
 * const scheduler = Scheduler.sequential();
 * assert.equal(describe(scheduler.task((x: number) => x, { name: "double" })), "double: 0 running");
 * ```
 * @category Core
 */
// deno-lint-ignore no-explicit-any
export type AnyTask = Task<any, any>;

/** How a call of a task ended, as the scheduler reports it to the task. */
export type TaskOutcome = "result" | "exception" | "cancelled";

/** Reports a settled future to its task; only the scheduler calls it. */
export let reportToTask: (
  task: AnyTask,
  future: Future,
  outcome: TaskOutcome,
  value?: unknown,
) => void;

/**
 * Asks the task's plugins whether a submitted call must wait before it runs;
 * returns what to wait for, if anything. Only the scheduler calls it.
 */
export function admission(task: AnyTask, future: Future): PromiseLike<unknown> | undefined {
  const waits: PromiseLike<void>[] = [];
  for (const plugin of task.plugins) {
    const wait = plugin.admit?.(future);
    if (wait && typeof wait.then === "function") waits.push(wait);
  }
  return waits.length === 0 ? undefined : waits.length === 1 ? waits[0] : Promise.all(waits);
}

/**
 * Asks the task's plugins, in order, whether a failed attempt runs again;
 * returns the delay in milliseconds of the first that says so. Only the
 * scheduler calls it.
 */
export function retryDelay(
  task: AnyTask,
  future: Future,
  error: unknown,
  attempt: number,
): number | undefined {
  for (const plugin of task.plugins) {
    const delay = plugin.retryAfter?.(future, error, attempt);
    if (delay === undefined) continue;
    if (typeof delay !== "number" || !(delay >= 0) || !Number.isFinite(delay)) {
      throw new TypeError(
        `Plugin "${plugin.name}" asked for a retry after ${
          quote(delay)
        } ms; retryAfter() must return a finite number ≥ 0 or undefined`,
      );
    }
    return delay;
  }
  return undefined;
}

let nextTaskNumber = 1;

/**
 * A function bound to a scheduler. `submit(...args)` runs it on the
 * scheduler's executor; its events (`submitted`, `done`, `result`,
 * `exception`, `cancelled`, and the limit events) fire only for its own calls,
 * after the scheduler's.
 *
 * Subclass it to add events of your own:
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Event, Scheduler, Task } from "@baton/baton";
 *
 * class SeedTask extends Task<[seed: number], number> {
 *   static LONGEST_RUN = new Event<[seed: number, ms: number]>("longest-run");
 *   onLongestRun = this.subscriber(SeedTask.LONGEST_RUN);
 *   #longest = 0;
 *   constructor(fn: (seed: number) => number, scheduler: Scheduler) {
 *     super(fn, scheduler);
 *     this.onResult((future, ms) => {
 *       if (ms > this.#longest) {
 *         this.#longest = ms;
 *         this.onLongestRun.emit(future.args[0], ms);
 *       }
 *     });
 *   }
 * }
 * const scheduler = Scheduler.sequential();
 * const task = new SeedTask((seed) => seed * 10, scheduler); // stands in for a timed run
 * const records: number[] = [];
 * task.onLongestRun((seed) => records.push(seed));
 * await scheduler.map(task, [2, 1, 3]);
 * assert.deepEqual(records, [2, 3]);
 * ```
 * @category Core
 */
export class Task<A extends unknown[] = unknown[], R = unknown> extends Emitter {
  /** A call was submitted: (future, ...args). */
  static readonly SUBMITTED: typeof TaskEvents.SUBMITTED = TaskEvents.SUBMITTED;
  /** A call finished, whatever its outcome: (future). */
  static readonly DONE: typeof TaskEvents.DONE = TaskEvents.DONE;
  /** A call returned: (future, result). */
  static readonly RESULT: typeof TaskEvents.RESULT = TaskEvents.RESULT;
  /** A call threw: (future, error). */
  static readonly EXCEPTION: typeof TaskEvents.EXCEPTION = TaskEvents.EXCEPTION;
  /** A call was cancelled: (future). */
  static readonly CANCELLED: typeof TaskEvents.CANCELLED = TaskEvents.CANCELLED;
  /** A running call printed `text` to `stream` (`"stdout"` or `"stderr"`): (future, text, stream). */
  static readonly OUTPUT: typeof TaskEvents.OUTPUT = TaskEvents.OUTPUT;
  /** A call hit its wall-time or CPU-time limit: (future, error). */
  static readonly TIMEOUT: typeof TaskEvents.TIMEOUT = TaskEvents.TIMEOUT;
  /** A call hit its wall-time limit: (future, error). */
  static readonly WALL_TIME_LIMIT_REACHED: typeof TaskEvents.WALL_TIME_LIMIT_REACHED =
    TaskEvents.WALL_TIME_LIMIT_REACHED;
  /** A call hit its CPU-time limit: (future, error). */
  static readonly CPU_TIME_LIMIT_REACHED: typeof TaskEvents.CPU_TIME_LIMIT_REACHED =
    TaskEvents.CPU_TIME_LIMIT_REACHED;
  /** A call hit its memory limit: (future, error). */
  static readonly MEMORY_LIMIT_REACHED: typeof TaskEvents.MEMORY_LIMIT_REACHED =
    TaskEvents.MEMORY_LIMIT_REACHED;

  /** Unique id, e.g. `collatz-1`: the name and a number, shown in renderings. */
  readonly id: string;
  /** The function (for a `report: true` task, the one given, whose results become reports). */
  readonly fn: (...args: A) => R;
  /** The scheduler it runs on. */
  readonly scheduler: Scheduler;
  /** Limits in milliseconds and bytes. */
  readonly limits: ResolvedLimits;
  /** Permissions for its code (undefined: the executor's). */
  readonly permissions?: Permissions;
  /** Its plugins, in order. */
  readonly plugins: readonly Plugin[];
  /** Whether each call gets a comm channel as its first argument. */
  readonly comm: boolean;
  /** Whether calls fulfil with a {@linkcode TrialReport} (`report: true`). */
  readonly report: boolean;
  /** Its calls that have not finished yet. */
  readonly futures: Set<Future<Awaited<R>, A>> = new Set();

  /** Subscribes to `submitted`. */
  readonly onSubmitted: Subscriber<[future: Future<Awaited<R>, A>, ...args: A]> = this.subscriber(
    TaskEvents.SUBMITTED,
  ) as never;
  /** Subscribes to `done`. */
  readonly onDone: Subscriber<[future: Future<Awaited<R>, A>]> = this.subscriber(
    TaskEvents.DONE,
  ) as never;
  /** Subscribes to `result`. */
  readonly onResult: Subscriber<[future: Future<Awaited<R>, A>, result: Awaited<R>]> = this
    .subscriber(TaskEvents.RESULT) as never;
  /** Subscribes to `exception`. */
  readonly onException: Subscriber<[future: Future<Awaited<R>, A>, error: Error]> = this.subscriber(
    TaskEvents.EXCEPTION,
  ) as never;
  /** Subscribes to `cancelled`. */
  readonly onCancelled: Subscriber<[future: Future<Awaited<R>, A>]> = this.subscriber(
    TaskEvents.CANCELLED,
  ) as never;
  /**
   * Subscribes to `output`: what a running call prints (console, and on
   * processes `Deno.stdout`/`Deno.stderr`), one piece at a time. Subscribe
   * before submitting: a call captures its output when someone listens as it
   * is submitted.
   */
  readonly onOutput: Subscriber<
    [future: Future<Awaited<R>>, text: string, stream: OutputStream]
  > = this.subscriber(TaskEvents.OUTPUT) as never;
  /** Subscribes to `timeout` (wall-time or CPU-time limit). */
  readonly onTimeout: Subscriber<[future: Future<Awaited<R>, A>, error: LimitError]> = this
    .subscriber(TaskEvents.TIMEOUT) as never;
  /** Subscribes to `wall-time-limit-reached`. */
  readonly onWallTimeLimitReached: Subscriber<
    [future: Future<Awaited<R>, A>, error: WallTimeLimitError]
  > = this.subscriber(TaskEvents.WALL_TIME_LIMIT_REACHED) as never;
  /** Subscribes to `cpu-time-limit-reached`. */
  readonly onCpuTimeLimitReached: Subscriber<
    [future: Future<Awaited<R>, A>, error: CpuTimeLimitError]
  > = this.subscriber(TaskEvents.CPU_TIME_LIMIT_REACHED) as never;
  /** Subscribes to `memory-limit-reached`. */
  readonly onMemoryLimitReached: Subscriber<
    [future: Future<Awaited<R>, A>, error: MemoryLimitError]
  > = this.subscriber(TaskEvents.MEMORY_LIMIT_REACHED) as never;

  static {
    reportToTask = (task, future, outcome, value) => task.#report(future, outcome, value);
  }

  /**
   * Creates a task of `scheduler`. Limits and permissions the scheduler's
   * executor cannot enforce are refused here, with an error that says which
   * executor can.
   */
  constructor(fn: (...args: A) => R, scheduler: Scheduler, options: TaskOptions = {}) {
    if (typeof fn !== "function") {
      throw new TypeError(`A task needs a function, got ${typeof fn}`);
    }
    checkOptions(options, TASK_OPTIONS, "scheduler.task()", TASK_HINTS);
    super(options.name ?? (fn.name || "anonymous"));
    this.id = `${this.name}-${nextTaskNumber++}`;
    this.fn = fn;
    this.scheduler = scheduler;
    this.limits = resolveLimits(options.limits);
    this.permissions = options.permissions;
    scheduler.executor.validate({ limits: this.limits, permissions: this.permissions });
    this.plugins = pluginList(options.plugins);
    this.comm = options.comm === true;
    if (options.report !== undefined && typeof options.report !== "boolean") {
      throw new TypeError(
        `scheduler.task(): report must be true or false, got ${quote(options.report)}`,
      );
    }
    this.report = options.report === true;
    if (this.comm) this.addEvent(Comm.OPEN, Comm.MESSAGE, Comm.REQUEST, Comm.CLOSE);
    this.callbackHost = adoptTask(scheduler, this);
    for (const plugin of this.plugins) {
      if (plugin.events) this.addEvent(...plugin.events);
      plugin.attach(this);
    }
  }

  /**
   * Runs the function with `args` on the scheduler's executor. Returns the
   * future, or `undefined` when a plugin vetoed the call (the task then
   * emits nothing).
   *
   * @throws {SchedulerNotRunningError} when the scheduler is not running.
   */
  submit(...args: A): Future<Awaited<R>, A> | undefined {
    let fn = this.fn as unknown as (...args: never[]) => unknown;
    let callArgs: unknown[] = args;
    for (const plugin of this.plugins) {
      if (!plugin.preSubmit) continue;
      const next = plugin.preSubmit(fn, callArgs);
      if (next === undefined) return undefined;
      [fn, callArgs] = next;
    }
    return submitForTask(
      this.scheduler,
      this,
      fn,
      callArgs,
    ) as Future<Awaited<R>, A>;
  }

  /** How many calls have not finished yet. */
  get nRunning(): number {
    return this.futures.size;
  }

  /** Whether any call has not finished yet. */
  running(): boolean {
    return this.futures.size > 0;
  }

  /** Emits the events of a settled call, after the scheduler's. */
  #report(future: Future, outcome: TaskOutcome, value: unknown): void {
    const f = future as unknown as Future<Awaited<R>, A>;
    this.futures.delete(f);
    if (outcome === "cancelled") {
      emitFew(this, TaskEvents.CANCELLED, 1, f);
      return;
    }
    emitFew(this, TaskEvents.DONE, 1, f);
    if (outcome === "result") {
      emitFew(this, TaskEvents.RESULT, 2, f, value);
      return;
    }
    this.emit(TaskEvents.EXCEPTION, f, value);
    const limitEvent = value instanceof WallTimeLimitError
      ? TaskEvents.WALL_TIME_LIMIT_REACHED
      : value instanceof CpuTimeLimitError
      ? TaskEvents.CPU_TIME_LIMIT_REACHED
      : value instanceof MemoryLimitError
      ? TaskEvents.MEMORY_LIMIT_REACHED
      : undefined;
    if (limitEvent && limitEvent !== TaskEvents.MEMORY_LIMIT_REACHED) {
      this.emit(TaskEvents.TIMEOUT, f, value);
    }
    if (limitEvent) this.emit(limitEvent, f, value);
  }
}
