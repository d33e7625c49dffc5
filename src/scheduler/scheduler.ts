/**
 * The scheduler: runs compute on an executor and turns every step into an event.
 *
 * @module
 */

import { checkOptions, quote } from "../options.ts";
import { startTimer, stopTimer, type Timer } from "../timers.ts";
import { type CallbackHost, emitFew, Emitter, type Subscriber } from "../events/emitter.ts";
import type { Call, Executor, ExecutorHost } from "../executors/executor.ts";
import { SequentialExecutor } from "../executors/sequential.ts";
import { WorkerExecutor, type WorkerExecutorOptions } from "../executors/workers.ts";
import { ProcessExecutor, type ProcessExecutorOptions } from "../executors/processes.ts";
import { SlurmExecutor, type SlurmOptions } from "../executors/slurm/mod.ts";
import { SgeExecutor, type SgeOptions } from "../executors/sge/mod.ts";
import { RedisExecutor, type RedisExecutorOptions } from "../executors/redis/mod.ts";
import { type Duration, parseDuration } from "../units.ts";
import { Comm, Msg } from "../comm/comm.ts";
import { isErrorOf } from "../wire/codec.ts";
import type { OutputStream } from "../wire/messages.ts";
import { CancelledError, SchedulerNotRunningError, SubmitRefusedError, toError } from "./errors.ts";
import { SchedulerEvents, TaskEvents } from "./events.ts";
import { Future, settleFuture, takeId } from "./future.ts";
import { renderScheduler } from "./render.ts";
import { toReport, type TrialReport } from "./report.ts";
import { acquireScheduler } from "./lease.ts";
import {
  completions,
  iterate,
  type MapCompletion,
  type MapOptions,
  resolveMapOptions,
} from "./map.ts";
import {
  admission,
  type AnyTask,
  reportToTask,
  retryDelay,
  Task,
  type TaskOptions,
} from "./task.ts";

/**
 * What to do with an error: stop and reject `run()`, stop and resolve, or go on.
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
 * const exit = await scheduler.run({ onException: "end", onCancelled: "continue" });
 * assert.equal(exit.code, "exception");
 * assert.ok(exit.error instanceof RangeError);
 * ```
 * @category Core
 */
export type ExceptionAction = "raise" | "end" | "continue";

/**
 * A class of errors, for the `[ErrorClass, action]` form of a policy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LimitError, Scheduler, WallTimeLimitError } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * scheduler.onStart(() => {
 *   scheduler.submit(() => {
 *     throw new WallTimeLimitError(1000);
 *   });
 * });
 * // A limit error does not stop the run; anything else would.
 * const exit = await scheduler.run({ onException: [[LimitError, "continue"]] });
 * assert.equal(exit.code, "exhausted");
 * ```
 * @category Core
 */
// deno-lint-ignore no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => unknown;

/**
 * An action for every error, or `[ErrorClass, action]` pairs: first `instanceof` match wins, none = `"raise"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LimitError, Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * scheduler.onStart(() => {
 *   scheduler.submit(() => {
 *     throw new TypeError("bad config");
 *   });
 * });
 * const exit = await scheduler.run({ onException: [[LimitError, "continue"], [Error, "end"]] });
 * assert.equal(exit.code, "exception");
 * ```
 * @category Core
 */
export type ExceptionPolicy =
  | ExceptionAction
  | ReadonlyArray<readonly [ErrorClass, ExceptionAction]>;

/**
 * How a run ended.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * scheduler.onStart(() => scheduler.callLater("10ms", () => {}));
 * const exit = await scheduler.run({ timeout: "1ms", endOnEmpty: false });
 * assert.equal(exit.code, "timeout");
 * ```
 * @category Core
 */
export type ExitCode = "stopped" | "timeout" | "exhausted" | "cancelled" | "exception";

/**
 * What `run()` resolves with.
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
 * const { code, error } = await scheduler.run({ onException: "end" });
 * assert.equal(code, "exception");
 * assert.ok(error instanceof RangeError);
 * ```
 * @category Core
 */
export interface ExitState {
  /** Why it ended. */
  code: ExitCode;
  /** The error, for `"exception"` and `"cancelled"`. */
  error?: unknown;
}

/**
 * Options of `scheduler.run()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * const exit = await scheduler.run({ timeout: "10m", wait: false, onException: "end" });
 * assert.equal(exit.code, "exhausted");
 * ```
 * @category Core
 */
export interface RunOptions {
  /** End with `"timeout"` after this long (emitting `timeout`). */
  timeout?: Duration;
  /** End with `"exhausted"` when nothing is queued, running or pending (default `true`). */
  endOnEmpty?: boolean;
  /** On ending, wait for running compute (default `true`); `false` cancels it. */
  wait?: boolean;
  /** What an error in a task or a main-process callback does (default `"raise"`). */
  onException?: ExceptionPolicy;
  /** What a cancelled future does while running (default `"raise"`). */
  onCancelled?: ExceptionPolicy;
}

/**
 * Options of `new Scheduler(...)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler, WorkerExecutor } from "@baton/baton";
 * const scheduler = new Scheduler({ executor: new WorkerExecutor(2), name: "search" });
 * assert.deepEqual(await scheduler.map((x: number) => x + 1, [1, 2]), [2, 3]);
 * ```
 * @category Core
 */
export interface SchedulerOptions {
  /** Where compute runs. */
  executor: Executor;
  /** Display name (default `"scheduler"`). */
  name?: string;
  /**
   * Copy what calls print to this terminal (default `true`). With `false`,
   * their output only reaches `output`/`future-output` listeners (and is
   * dropped where nobody listens).
   */
  echo?: boolean;
}

/**
 * Options of `scheduler.stop()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * const reasons: string[] = [];
 * scheduler.onStart(() => scheduler.stop({ reason: "found a good enough model" }));
 * scheduler.onStop((reason) => reasons.push(reason));
 * const exit = await scheduler.run();
 * assert.equal(exit.code, "stopped");
 * assert.deepEqual(reasons, ["found a good enough model"]);
 * ```
 * @category Core
 */
export interface StopOptions {
  /** Why (passed to `stop` callbacks); default `"stop() was called"`. */
  reason?: string;
  /** An error to pass along to `stop` callbacks, for logging. */
  error?: unknown;
}

/**
 * A timer made by `callLater`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * scheduler.onStart(() => {
 *   const later = scheduler.callLater("30s", () => scheduler.stop());
 *   assert.equal(later.cancel(), true);
 * });
 * assert.equal((await scheduler.run()).code, "exhausted");
 * ```
 * @category Core
 */
export interface LaterHandle {
  /** Cancels it if it has not fired; returns whether it was cancelled. */
  cancel(): boolean;
}

/**
 * A call as the scheduler tracks it, and the `Call` the executor is handed:
 * one object per attempt, not two. The first attempt has the future's id;
 * each retry is a fresh record with a fresh id, so a late answer of a
 * failed attempt cannot settle the next.
 */
interface InFlight extends Call {
  readonly future: Future;
  /** The task it was submitted through (`task` is the task's name, for executors). */
  readonly owner?: AnyTask;
  /** The main process's end of the call's comm channel. */
  channel?: Comm;
  /** Attempts that failed so far. */
  failures: number;
  /** Set while the call is not with the executor: held by a plugin, or between attempts. */
  waiting?: "admission" | "retry";
  /** The timer of the next attempt. */
  retryTimer?: Timer;
}

interface ActiveRun {
  readonly options: Required<Omit<RunOptions, "timeout">> & { timeout?: number };
  readonly ended: PromiseWithResolvers<void>;
  exit?: ExitState;
  raise: boolean;
  timer?: Timer;
}

const ACTIONS = ["raise", "end", "continue"];
/** The limits of a call without a task: shared, executors only read them. */
const NO_LIMITS: Call["limits"] = Object.freeze({});

/** Submits a task's call; only `Task` calls it. */
export let submitForTask: (
  scheduler: Scheduler,
  task: AnyTask,
  fn: (...args: never[]) => unknown,
  args: unknown[],
) => Future;

/** Registers a task with its scheduler and returns where its callbacks report. */
export let adoptTask: (scheduler: Scheduler, task: AnyTask) => CallbackHost;

/**
 * The results `scheduler.mapUnordered()` yields, in the order calls finish:
 * the item, its position in the input, and its result.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * const train = (lr: number) => 1 - lr;
 * const configs = [0.25, 0.5];
 * const lines: string[] = [];
 * for await (const { index, item, value } of scheduler.mapUnordered(train, configs)) {
 *   lines.push(`${index + 1}/${configs.length} ${item} ${value}`);
 * }
 * assert.deepEqual(lines.sort(), ["1/2 0.25 0.75", "2/2 0.5 0.5"]);
 * ```
 * @category Core
 */
export interface MapResult<T, R> {
  /** The item's position in the input. */
  readonly index: number;
  /** The item. */
  readonly item: T;
  /** What the call returned. */
  readonly value: R;
}

/**
 * What `scheduler.mapUnordered(..., { settle: true })` yields: the item,
 * its position, and its outcome as a `PromiseSettledResult`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * const train = (lr: number) => {
 *   if (lr > 1) throw new RangeError("diverged");
 *   return 1 - lr;
 * };
 * const failed: number[] = [];
 * for await (const r of scheduler.mapUnordered(train, [0.5, 2], { settle: true })) {
 *   if (r.status === "rejected") failed.push(r.item);
 * }
 * assert.deepEqual(failed, [2]);
 * ```
 * @category Core
 */
export type MapSettled<T, R> =
  & { readonly index: number; readonly item: T }
  & PromiseSettledResult<R>;

/**
 * What `map` and `mapUnordered` call once per item: a function of one
 * argument, or a task of one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type MapTarget, Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * const byFunction: MapTarget<number, number> = (x: number) => x * 2;
 * const byTask: MapTarget<number, number> = scheduler.task((x: number) => x * 2);
 * assert.deepEqual(await scheduler.map(byFunction, [1, 2]), [2, 4]);
 * assert.deepEqual(await scheduler.map(byTask, [1, 2]), [2, 4]);
 * ```
 * @category Core
 */
export type MapTarget<T, R> = ((item: T) => R) | Task<[item: T], R>;

/**
 * Runs compute on an executor and emits an event for every step. It is an
 * {@linkcode Emitter}: `scheduler.on("future-result", cb)` is the same as
 * `scheduler.onFutureResult(cb)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 *
 * function collatz(n: number): number {
 *   return n % 2 === 0 ? n / 2 : 3 * n + 1;
 * }
 * const scheduler = Scheduler.sequential();
 * const task = scheduler.task(collatz);
 * const answers: number[] = [12];
 * scheduler.onStart(() => task.submit(12));
 * task.onResult((_future, n) => {
 *   answers.push(n);
 *   if (n !== 1) task.submit(n);
 * });
 * const exit = await scheduler.run({ timeout: "10s" });
 * assert.deepEqual(answers, [12, 6, 3, 10, 5, 16, 8, 4, 2, 1]);
 * assert.equal(exit.code, "exhausted");
 * ```
 * @category Core
 */
export class Scheduler extends Emitter {
  /** Emitted first when `run()` starts. */
  static readonly START: typeof SchedulerEvents.START = SchedulerEvents.START;
  /** A future was submitted: (future). */
  static readonly FUTURE_SUBMITTED: typeof SchedulerEvents.FUTURE_SUBMITTED =
    SchedulerEvents.FUTURE_SUBMITTED;
  /** A future finished with a result or an error: (future). */
  static readonly FUTURE_DONE: typeof SchedulerEvents.FUTURE_DONE = SchedulerEvents.FUTURE_DONE;
  /** A future returned: (future, result). */
  static readonly FUTURE_RESULT: typeof SchedulerEvents.FUTURE_RESULT =
    SchedulerEvents.FUTURE_RESULT;
  /** A future threw: (future, error). */
  static readonly FUTURE_EXCEPTION: typeof SchedulerEvents.FUTURE_EXCEPTION =
    SchedulerEvents.FUTURE_EXCEPTION;
  /** A future was cancelled: (future). */
  static readonly FUTURE_CANCELLED: typeof SchedulerEvents.FUTURE_CANCELLED =
    SchedulerEvents.FUTURE_CANCELLED;
  /** A running future printed `text` to `stream`: (future, text, stream). */
  static readonly FUTURE_OUTPUT: typeof SchedulerEvents.FUTURE_OUTPUT =
    SchedulerEvents.FUTURE_OUTPUT;
  /** Nothing is queued, running or pending. */
  static readonly EMPTY: typeof SchedulerEvents.EMPTY = SchedulerEvents.EMPTY;
  /** The run's timeout was reached. */
  static readonly TIMEOUT: typeof SchedulerEvents.TIMEOUT = SchedulerEvents.TIMEOUT;
  /** The scheduler was stopped: (reason, error?). */
  static readonly STOP: typeof SchedulerEvents.STOP = SchedulerEvents.STOP;
  /** The run is ending; the executor is about to shut down. */
  static readonly FINISHING: typeof SchedulerEvents.FINISHING = SchedulerEvents.FINISHING;
  /** The run has ended and the executor is shut down. */
  static readonly FINISHED: typeof SchedulerEvents.FINISHED = SchedulerEvents.FINISHED;

  /** Where compute runs. */
  readonly executor: Executor;
  /**
   * Whether what calls print is copied to this terminal (default `true`);
   * read when each call is submitted.
   */
  echo: boolean;
  /** The tasks made for this scheduler, in creation order. */
  readonly tasks: AnyTask[] = [];

  /** Subscribes to `start`. */
  readonly onStart: Subscriber<[]> = this.subscriber(SchedulerEvents.START);
  /** Subscribes to `future-submitted`. */
  readonly onFutureSubmitted: Subscriber<[future: Future]> = this.subscriber(
    SchedulerEvents.FUTURE_SUBMITTED,
  );
  /** Subscribes to `future-done`. */
  readonly onFutureDone: Subscriber<[future: Future]> = this.subscriber(
    SchedulerEvents.FUTURE_DONE,
  );
  /** Subscribes to `future-result`. */
  readonly onFutureResult: Subscriber<[future: Future, result: unknown]> = this.subscriber(
    SchedulerEvents.FUTURE_RESULT,
  );
  /** Subscribes to `future-exception`. */
  readonly onFutureException: Subscriber<[future: Future, error: unknown]> = this.subscriber(
    SchedulerEvents.FUTURE_EXCEPTION,
  );
  /** Subscribes to `future-cancelled`. */
  readonly onFutureCancelled: Subscriber<[future: Future]> = this.subscriber(
    SchedulerEvents.FUTURE_CANCELLED,
  );
  /**
   * Subscribes to `future-output`: what a running future prints, one piece
   * at a time (subscribe before submitting, see {@linkcode Task.onOutput}).
   */
  readonly onFutureOutput: Subscriber<[future: Future, text: string, stream: OutputStream]> = this
    .subscriber(SchedulerEvents.FUTURE_OUTPUT);
  /** Subscribes to `empty`. */
  readonly onEmpty: Subscriber<[]> = this.subscriber(SchedulerEvents.EMPTY);
  /** Subscribes to `timeout`. */
  readonly onTimeout: Subscriber<[]> = this.subscriber(SchedulerEvents.TIMEOUT);
  /** Subscribes to `stop`. */
  readonly onStop: Subscriber<[reason: string, error?: unknown]> = this.subscriber(
    SchedulerEvents.STOP,
  );
  /** Subscribes to `finishing`. */
  readonly onFinishing: Subscriber<[]> = this.subscriber(SchedulerEvents.FINISHING);
  /** Subscribes to `finished`. */
  readonly onFinished: Subscriber<[]> = this.subscriber(SchedulerEvents.FINISHED);

  /** What is queued, running or waiting, by its current call's id. */
  readonly #inFlight = new Map<number, InFlight>();
  /** Futures that were retried, by future id: their calls no longer have the future's id. */
  readonly #retried = new Map<number, InFlight>();
  readonly #timers = new Set<Timer>();
  #pendingCallbacks = 0;
  #submitCount = 0;
  #submitCountAtEmpty = -1;
  #emptyCheckQueued = false;
  /** Made once: every future's `cancel()` comes here. */
  readonly #cancelFuture = (future: Future): boolean => this.#cancelEntry(future, true);
  #answering?: { failure?: unknown };
  #run?: ActiveRun;
  #lastExit?: ExitState;
  #accepting = false;
  readonly #host: ExecutorHost = {
    started: (call, worker, at) => {
      const entry = this.#inFlight.get(call.id);
      if (!entry) return;
      settleFuture(entry.future, "running", worker, at);
      if (entry.owner && entry.comm) {
        // A retried call gets a fresh channel; the old one's frames are void.
        entry.channel?.shutdown("the call started again");
        this.#openComm(entry, entry.owner);
      }
    },
    comm: (call, frame) => this.#inFlight.get(call.id)?.channel?.receive(frame),
    output: (call, text, stream) => this.#output(call, text, stream),
    fulfilled: (call, value) => this.#settle(call.id, "result", value),
    rejected: (call, error) => this.#settle(call.id, "exception", toError(error)),
  };

  static {
    submitForTask = (scheduler, task, fn, args) => scheduler.#submit(fn, args, task);
    adoptTask = (scheduler, task) => {
      scheduler.tasks.push(task);
      return scheduler.callbackHost!;
    };
  }

  /** Creates a scheduler on `executor`. */
  constructor(options: SchedulerOptions) {
    checkOptions(options, ["executor", "name", "echo"], "new Scheduler()");
    super(options?.name ?? "scheduler");
    if (!options?.executor) {
      throw new TypeError(
        "new Scheduler({ executor }) needs an executor; or use Scheduler.sequential(), " +
          "Scheduler.withWorkers(n) or Scheduler.withProcesses(n)",
      );
    }
    this.executor = options.executor;
    this.echo = options.echo ?? true;
    if (typeof this.echo !== "boolean") {
      throw new TypeError(`echo must be true or false, got ${Deno.inspect(options.echo)}`);
    }
    this.callbackHost = {
      error: (error) => {
        // A failing comm-request callback also fails the request it was answering.
        if (this.#answering) this.#answering.failure ??= error;
        return this.#handleError(error);
      },
      pending: (promise) => this.#trackCallback(promise),
    };
  }

  /**
   * A scheduler that runs calls in the main thread, one at a time, each off
   * the current stack.
   */
  static sequential(options: { name?: string; echo?: boolean } = {}): Scheduler {
    checkOptions(options, ["name", "echo"], "Scheduler.sequential()");
    return new Scheduler({
      executor: new SequentialExecutor(),
      name: options.name,
      echo: options.echo,
    });
  }

  /** A scheduler on a pool of `n` Web Workers. */
  static withWorkers(
    n: number,
    options: WorkerExecutorOptions & { name?: string; echo?: boolean } = {},
  ): Scheduler {
    const { name, echo, ...rest } = options ?? {};
    return new Scheduler({ executor: new WorkerExecutor(n, rest), name, echo });
  }

  /**
   * A scheduler on a pool of `n` subprocesses (`deno run`), reused across
   * calls, with hard wall-time, CPU-time and memory limits and a permission
   * sandbox.
   */
  static withProcesses(
    n: number,
    options: ProcessExecutorOptions & { name?: string; echo?: boolean } = {},
  ): Scheduler {
    const { name, echo, ...rest } = options ?? {};
    return new Scheduler({ executor: new ProcessExecutor(n, rest), name, echo });
  }

  /**
   * A scheduler on Slurm jobs: it listens on a token-protected TCP endpoint
   * and submits `workers` jobs (`sbatch`) that dial back and run calls on
   * their own process executors; `{ min, max }` scales with the queue.
   * The end of `run()` cancels every job it submitted.
   */
  static withSlurm(options: SlurmOptions & { name?: string; echo?: boolean }): Scheduler {
    const { name, echo, ...slurm } = options ?? {};
    return new Scheduler({ executor: new SlurmExecutor(slurm as SlurmOptions), name, echo });
  }

  /**
   * A scheduler on Grid Engine jobs: like {@linkcode Scheduler.withSlurm},
   * with `qsub`, `qstat`, `qdel` and `qacct`. The end of `run()` deletes
   * every job it submitted.
   */
  static withSge(options: SgeOptions & { name?: string; echo?: boolean }): Scheduler {
    const { name, echo, ...sge } = options ?? {};
    return new Scheduler({ executor: new SgeExecutor(sge as SgeOptions), name, echo });
  }

  /**
   * A scheduler whose calls become BullMQ jobs on a Redis queue, run by
   * `baton worker --redis URL --queue NAME` processes on any machine (or by
   * `workers: n` local ones). Futures settle from BullMQ's events.
   */
  static withRedis(options: RedisExecutorOptions & { name?: string; echo?: boolean }): Scheduler {
    const { name, echo, ...rest } = options ?? {};
    return new Scheduler({ executor: new RedisExecutor(rest as RedisExecutorOptions), name, echo });
  }

  /**
   * Makes a {@linkcode Task} of `fn` whose calls fulfil with a
   * {@linkcode TrialReport}: failures, limits and crashes become reports.
   */
  task<A extends unknown[], R>(
    fn: (comm: Comm, ...args: A) => R,
    options: TaskOptions & { comm: true; report: true },
  ): Task<A, TrialReport<Awaited<R>>>;
  /** Makes a {@linkcode Task} of `fn`, which receives a {@linkcode Comm} as its first argument. */
  task<A extends unknown[], R>(
    fn: (comm: Comm, ...args: A) => R,
    options: TaskOptions & { comm: true },
  ): Task<A, R>;
  /**
   * Makes a {@linkcode Task} of `fn` whose calls fulfil with a
   * {@linkcode TrialReport}: failures, limits and crashes become reports.
   */
  task<A extends unknown[], R>(
    fn: (...args: A) => R,
    options: TaskOptions & { report: true },
  ): Task<A, TrialReport<Awaited<R>>>;
  /** Makes a {@linkcode Task} of `fn` on this scheduler. */
  task<A extends unknown[], R>(fn: (...args: A) => R, options?: TaskOptions): Task<A, R>;
  task<A extends unknown[], R>(fn: (...args: A) => R, options?: TaskOptions): Task<A, R> {
    return new Task(fn, this, options);
  }

  /**
   * Calls `target` (a function or a task of one argument) once per item and
   * resolves with the results in input order. At most `concurrency` calls
   * are in flight at once (the rest wait, they are not refused); a task's
   * plugins, limits and permissions apply. If the scheduler is not running,
   * `map` runs it for as long as it needs it, as a Flow does.
   *
   * The first failure cancels the calls still in flight, submits no more,
   * and rejects with that error; with `settle: true`, `map` resolves with a
   * `PromiseSettledResult` per item instead.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Scheduler } from "@baton/baton";
   * const scheduler = Scheduler.withWorkers(2);
   * const squares = await scheduler.map((x: number) => x * x, [1, 2, 3], { concurrency: 2 });
   * assert.deepEqual(squares, [1, 4, 9]);
   * ```
   */
  map<T, R>(
    target: MapTarget<T, R>,
    items: Iterable<T> | AsyncIterable<T>,
    options: MapOptions & { settle: true },
  ): Promise<PromiseSettledResult<Awaited<R>>[]>;
  /** Calls `target` once per item; resolves with the results in input order. */
  map<T, R>(
    target: MapTarget<T, R>,
    items: Iterable<T> | AsyncIterable<T>,
    options?: MapOptions & { settle?: false },
  ): Promise<Awaited<R>[]>;
  async map<T, R>(
    target: MapTarget<T, R>,
    items: Iterable<T> | AsyncIterable<T>,
    options?: MapOptions,
  ): Promise<Awaited<R>[] | PromiseSettledResult<Awaited<R>>[]> {
    const { settle } = resolveMapOptions(options, "scheduler.map()");
    const results: PromiseSettledResult<Awaited<R>>[] = [];
    for await (const done of this.#completions(target, items, options, "scheduler.map()")) {
      if (!settle && done.outcome.status === "rejected") throw done.outcome.reason;
      results[done.index] = done.outcome as PromiseSettledResult<Awaited<R>>;
    }
    return settle ? results : results.map((r) => (r as PromiseFulfilledResult<Awaited<R>>).value);
  }

  /**
   * Like {@linkcode Scheduler.map}, but yields each result as soon as its
   * call finishes, with its item and position: for progress loops.
   * Breaking out of the loop cancels the calls still in flight.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Scheduler } from "@baton/baton";
   * const scheduler = Scheduler.sequential();
   * const seen: [number, number][] = [];
   * for await (const { index, value } of scheduler.mapUnordered((x: number) => x + 1, [1, 2])) {
   *   seen.push([index, value]); // in the order they finish
   * }
   * assert.deepEqual(seen.sort(), [[0, 2], [1, 3]]);
   * ```
   */
  mapUnordered<T, R>(
    target: MapTarget<T, R>,
    items: Iterable<T> | AsyncIterable<T>,
    options: MapOptions & { settle: true },
  ): AsyncGenerator<MapSettled<T, Awaited<R>>, void, undefined>;
  /** Yields `{ index, item, value }` as each call finishes. */
  mapUnordered<T, R>(
    target: MapTarget<T, R>,
    items: Iterable<T> | AsyncIterable<T>,
    options?: MapOptions & { settle?: false },
  ): AsyncGenerator<MapResult<T, Awaited<R>>, void, undefined>;
  async *mapUnordered<T, R>(
    target: MapTarget<T, R>,
    items: Iterable<T> | AsyncIterable<T>,
    options?: MapOptions,
  ): AsyncGenerator<MapResult<T, Awaited<R>> | MapSettled<T, Awaited<R>>, void, undefined> {
    const { settle } = resolveMapOptions(options, "scheduler.mapUnordered()");
    for await (
      const { index, item, outcome } of this.#completions(
        target,
        items,
        options,
        "scheduler.mapUnordered()",
      )
    ) {
      if (settle) yield { index, item, ...outcome } as MapSettled<T, Awaited<R>>;
      else if (outcome.status === "rejected") throw outcome.reason;
      else yield { index, item, value: outcome.value as Awaited<R> };
    }
  }

  /**
   * Runs `fn(...args)` on the executor.
   *
   * @throws {SchedulerNotRunningError} unless the scheduler is running.
   */
  submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Future<Awaited<R>, A> {
    return this.#submit(fn as (...args: never[]) => unknown, args, undefined) as Future<
      Awaited<R>,
      A
    >;
  }

  /** Whether `run()` is in progress and `stop()` has not been called. */
  running(): boolean {
    return this.#run !== undefined && this.#run.exit === undefined;
  }

  /**
   * How the last run ended; `undefined` before the first run and while one
   * is going (it is set before `finished` is emitted).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Scheduler } from "@baton/baton";
   * const scheduler = Scheduler.sequential();
   * await scheduler.run();
   * assert.equal(scheduler.exitState?.code, "exhausted");
   * ```
   */
  get exitState(): ExitState | undefined {
    return this.#lastExit;
  }

  /** Whether nothing is queued or running. */
  empty(): boolean {
    return this.#inFlight.size === 0;
  }

  /** Futures queued or running. */
  get queueSize(): number {
    return this.#inFlight.size;
  }

  /**
   * Calls `fn` after `delay` while running; errors in it follow
   * `onException`. A pending timer keeps the run from ending on empty.
   */
  callLater(delay: Duration, fn: () => unknown): LaterHandle {
    if (!this.running()) throw new SchedulerNotRunningError(this.name);
    const ms = parseDuration(delay);
    const timer = startTimer(() => {
      this.#timers.delete(timer);
      try {
        const result = fn();
        if (result instanceof Promise) this.#trackCallback(result);
      } catch (error) {
        this.#handleError(error);
      }
      this.#checkEmpty();
    }, ms);
    this.#timers.add(timer);
    return {
      cancel: () => {
        if (!this.#timers.delete(timer)) return false;
        stopTimer(timer);
        queueMicrotask(() => this.#checkEmpty());
        return true;
      },
    };
  }

  /**
   * Stops a running scheduler: `running()` is false from now on and `stop`
   * is emitted once. Does nothing unless running.
   */
  stop(options: StopOptions = {}): void {
    checkOptions(options, ["reason", "error"], "scheduler.stop()");
    this.#end({ code: "stopped" }, options.reason ?? "stop() was called", options.error);
  }

  /**
   * Runs until stopped, timed out, exhausted or failed, and resolves with how
   * it ended. Rejects with the error under an `onException: "raise"` policy.
   */
  async run(options: RunOptions = {}): Promise<ExitState> {
    if (this.#run) throw new Error(`Scheduler "${this.name}" is already running`);
    const run: ActiveRun = {
      options: resolveRunOptions(options),
      ended: Promise.withResolvers(),
      raise: false,
    };
    this.#lastExit = undefined;
    this.#submitCountAtEmpty = -1;
    this.#run = run;
    try {
      await this.executor.start(this.#host);
    } catch (error) {
      this.#run = undefined;
      throw error;
    }
    this.#accepting = true;
    if (run.options.timeout !== undefined) {
      run.timer = startTimer(() => {
        if (!this.running()) return;
        this.emit(SchedulerEvents.TIMEOUT);
        this.#end({ code: "timeout" });
      }, run.options.timeout);
    }
    this.emit(SchedulerEvents.START);
    this.#checkEmpty();
    await run.ended.promise;
    this.#emptyAfterStop(run);
    stopTimer(run.timer);
    for (const timer of this.#timers) stopTimer(timer);
    this.#timers.clear();
    this.emit(SchedulerEvents.FINISHING);
    this.#accepting = false;
    await this.executor.shutdown(run.options.wait);
    for (const entry of [...this.#inFlight.values()]) {
      this.#cancel(entry, new CancelledError(entry.future.id, "the scheduler ended"));
    }
    this.#run = undefined;
    this.#lastExit = run.exit;
    this.emit(SchedulerEvents.FINISHED);
    const exit = run.exit!;
    if (run.raise) throw exit.error;
    return exit;
  }

  /** Renders the scheduler as a tree: executor, events, callbacks, tasks. */
  override toString(): string {
    return renderScheduler(this);
  }

  /** Used by `Deno.inspect` and `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  #submit(fn: (...args: never[]) => unknown, args: unknown[], task?: AnyTask): Future {
    if (!this.#accepting || !this.running()) throw new SchedulerNotRunningError(this.name);
    if (typeof fn !== "function") {
      throw new TypeError(`submit() needs a function, got ${typeof fn}`);
    }
    const future = new Future(fn, args, task, this.#cancelFuture);
    const entry: InFlight = {
      id: future.id,
      fn,
      args,
      limits: task?.limits ?? NO_LIMITS,
      permissions: task?.permissions,
      comm: task?.comm,
      output: this.#outputMode(task),
      task: task?.name,
      future,
      owner: task,
      channel: undefined,
      failures: 0,
      waiting: undefined,
      retryTimer: undefined,
    };
    this.#inFlight.set(future.id, entry);
    this.#submitCount++;
    task?.futures.add(future);
    emitFew(this, SchedulerEvents.FUTURE_SUBMITTED, 1, future);
    if (!task) {
      this.executor.execute(entry);
      return future;
    }
    // The usual one-argument task needs no spread array.
    if (args.length === 1) emitFew(task, Task.SUBMITTED, 2, future, args[0]);
    else task.emit(Task.SUBMITTED, future, ...args);
    const wait = task.plugins.length === 0 ? undefined : admission(task, future);
    if (wait === undefined) this.executor.execute(entry);
    else {
      entry.waiting = "admission";
      wait.then(
        () => this.#admit(entry),
        (error) => this.#admit(entry, toError(error)),
      );
    }
    return future;
  }

  /** A plugin let a held call go (or failed it): hand it to the executor. */
  #admit(entry: InFlight, error?: Error): void {
    if (entry.waiting !== "admission" || this.#inFlight.get(entry.id) !== entry) return;
    entry.waiting = undefined;
    if (error) this.#settle(entry.id, "exception", error);
    // After stop() it stays queued; the end of the run cancels it.
    else if (this.running()) this.executor.execute(entry);
  }

  /**
   * Asks the task's plugins whether a failed attempt runs again; if one
   * does, the future goes back to pending and the call runs again after the
   * delay, under a fresh call id. Returns whether it will.
   */
  #retryLater(entry: InFlight, error: unknown): boolean {
    const { future, owner: task } = entry;
    if (!task || task.plugins.length === 0 || !this.running()) return false;
    entry.failures++;
    let delay: number | undefined;
    try {
      delay = retryDelay(task, future, error, entry.failures);
    } catch (pluginError) {
      this.#handleError(pluginError);
      return false;
    }
    if (delay === undefined) return false;
    entry.channel?.shutdown("the attempt failed");
    entry.channel = undefined;
    entry.waiting = "retry";
    settleFuture(future, "pending");
    entry.retryTimer = startTimer(() => this.#runAgain(entry), delay);
    task.emit(TaskEvents.RETRY, future, error, entry.failures, delay);
    return true;
  }

  #runAgain(entry: InFlight): void {
    entry.retryTimer = undefined;
    if (entry.waiting !== "retry" || this.#inFlight.get(entry.id) !== entry) return;
    // After stop() it stays waiting; the end of the run cancels it.
    if (!this.running()) return;
    entry.waiting = undefined;
    this.#inFlight.delete(entry.id);
    const next: InFlight = { ...entry, id: takeId() };
    this.#inFlight.set(next.id, next);
    this.#retried.set(next.future.id, next);
    this.executor.execute(next);
  }

  /** One call per item, yielded as each finishes; see `map`. */
  async *#completions<T>(
    target: unknown,
    items: Iterable<T> | AsyncIterable<T>,
    options: MapOptions | undefined,
    where: string,
  ): AsyncGenerator<MapCompletion<T>> {
    const { concurrency, settle } = resolveMapOptions(options, where);
    const submit = this.#mapSubmitter(target, where);
    const source = iterate(items, where);
    const release = await acquireScheduler(this);
    try {
      const cancel = (future: Future) => this.#cancelEntry(future, false);
      yield* completions(source, concurrency, !settle, submit, cancel);
    } finally {
      await release();
    }
  }

  #mapSubmitter<T>(target: unknown, where: string): (item: T) => Future {
    if (target instanceof Task) {
      if (target.scheduler !== this) {
        throw new Error(
          `${where}: task "${target.name}" belongs to scheduler "${target.scheduler.name}", ` +
            `not "${this.name}"; call map on its own scheduler`,
        );
      }
      const task: AnyTask = target;
      return (item) => task.submit(item) ?? raise(new SubmitRefusedError(task.name, [item]));
    }
    if (typeof target !== "function") {
      throw new TypeError(`${where} needs a function or a task, got ${quote(target)}`);
    }
    const fn = target as (...args: never[]) => unknown;
    return (item) => this.#submit(fn, [item]);
  }

  #settle(id: number, outcome: "result" | "exception", value: unknown): void {
    const entry = this.#inFlight.get(id);
    if (!entry) return;
    if (outcome === "exception" && this.#retryLater(entry, value)) return;
    this.#inFlight.delete(id);
    const { future, owner: task } = entry;
    if (entry.failures > 0) this.#retried.delete(future.id);
    if (task?.report) {
      value = toReport(outcome === "result", value);
      outcome = "result";
    }
    entry.channel?.shutdown("the call ended");
    settleFuture(future, outcome === "result" ? "fulfilled" : "rejected", value);
    emitFew(this, SchedulerEvents.FUTURE_DONE, 1, future);
    if (outcome === "result") emitFew(this, SchedulerEvents.FUTURE_RESULT, 2, future, value);
    else emitFew(this, SchedulerEvents.FUTURE_EXCEPTION, 2, future, value);
    if (task) reportToTask(task, future, outcome, value);
    if (outcome === "exception") this.#applyPolicy(value, this.#run?.options.onException);
    this.#checkEmpty();
  }

  /** Captured when someone listens, dropped when nobody does and echo is off, else left alone. */
  #outputMode(task: AnyTask | undefined): Call["output"] {
    if (
      this.handlers(SchedulerEvents.FUTURE_OUTPUT).length > 0 ||
      (task !== undefined && task.handlers(TaskEvents.OUTPUT).length > 0)
    ) return "capture";
    return this.echo ? undefined : "discard";
  }

  #output(call: Call, text: string, stream: OutputStream): void {
    const entry = this.#inFlight.get(call.id);
    if (!entry) return;
    this.emit(SchedulerEvents.FUTURE_OUTPUT, entry.future, text, stream);
    entry.owner?.emit(TaskEvents.OUTPUT, entry.future, text, stream);
    if (!this.echo) return;
    const bytes = new TextEncoder().encode(text);
    const out = stream === "stdout" ? Deno.stdout : Deno.stderr;
    try {
      for (let written = 0; written < bytes.byteLength;) {
        written += out.writeSync(bytes.subarray(written));
      }
    } catch { /* the terminal is gone: the events carried it */ }
  }

  /**
   * Cancels a future's call; `policy` applies `onCancelled` (a `map`
   * cancelling what its first failure made useless does not).
   */
  #cancelEntry(future: Future, policy: boolean): boolean {
    const entry = this.#retried.get(future.id) ?? this.#inFlight.get(future.id);
    if (!entry) return false;
    const reason = new CancelledError(future.id, "cancel() was called");
    // A waiting call is not with the executor: there is nothing to take back.
    if (!entry.waiting && !this.executor.cancel(entry, reason)) return false;
    this.#cancel(entry, reason);
    if (policy && this.running()) {
      this.#applyPolicy(entry.future.error, this.#run?.options.onCancelled);
    }
    this.#checkEmpty();
    return true;
  }

  #cancel(entry: InFlight, reason: CancelledError): void {
    stopTimer(entry.retryTimer);
    entry.waiting = undefined;
    this.#inFlight.delete(entry.id);
    this.#retried.delete(entry.future.id);
    entry.channel?.shutdown(`the call was cancelled (${reason.message})`);
    settleFuture(entry.future, "cancelled", reason);
    this.emit(SchedulerEvents.FUTURE_CANCELLED, entry.future);
    if (entry.owner) reportToTask(entry.owner, entry.future, "cancelled");
  }

  /** Opens the main end of a call's comm channel; its frames become task events. */
  #openComm(entry: InFlight, task: AnyTask): void {
    const { future } = entry;
    const call: Call = entry;
    const comm: Comm = new Comm((frame) => this.executor.sendComm(call, frame), {
      message: (data) => task.emit(Comm.MESSAGE, new Msg(data, future, task, comm)),
      request: (rid, data) => this.#answerRequest(new Msg(data, future, task, comm, rid)),
      close: () => task.emit(Comm.CLOSE, new Msg(undefined, future, task, comm)),
    });
    entry.channel = comm;
    task.emit(Comm.OPEN, new Msg(undefined, future, task, comm));
  }

  #answerRequest(msg: Msg): void {
    if (msg.task.handlers(Comm.REQUEST).length === 0) {
      msg.fail(
        new Error(`Task "${msg.task.name}" has no comm-request callback to answer requests`),
      );
      return;
    }
    const outer = this.#answering;
    const answering: { failure?: unknown } = {};
    this.#answering = answering;
    try {
      msg.task.emit(Comm.REQUEST, msg);
    } finally {
      this.#answering = outer;
    }
    if (answering.failure !== undefined && msg.awaitingResponse) {
      msg.fail(
        new Error(
          `The main process's comm-request callback failed: ${
            (answering.failure as Error)?.message ?? answering.failure
          }`,
        ),
      );
    }
  }

  /** Applies `onException` to an error of a callback; returns whether the emission goes on. */
  #handleError(error: unknown): boolean {
    return this.#applyPolicy(error, this.#run?.options.onException);
  }

  #applyPolicy(error: unknown, policy: ExceptionPolicy | undefined): boolean {
    const run = this.#run;
    // Outside a run nobody could receive the error: let it surface to the caller.
    if (!run) throw error;
    const action = chooseAction(policy ?? "raise", error);
    if (action === "continue") return true;
    const code: ExitCode = error instanceof CancelledError ? "cancelled" : "exception";
    if (run.exit === undefined) {
      run.raise = action === "raise";
      this.#end({ code, error }, `${code}: ${(error as Error)?.message ?? error}`, error);
    } else if (action === "raise" && !run.raise && run.exit.error === undefined) {
      // An error while finishing still surfaces rather than vanishing.
      run.exit = { code, error };
      run.raise = true;
    }
    return false;
  }

  #trackCallback(promise: PromiseLike<unknown>): void {
    this.#pendingCallbacks++;
    promise.then(
      () => {
        this.#pendingCallbacks--;
        this.#checkEmpty();
      },
      (error) => {
        this.#pendingCallbacks--;
        this.#handleError(error);
        this.#checkEmpty();
      },
    );
  }

  #idle(): boolean {
    return this.#inFlight.size === 0 && this.#pendingCallbacks === 0 && this.#timers.size === 0;
  }

  /**
   * Emits `empty` when the scheduler went idle after new submissions, and
   * ends the run when an `empty` emission led to nothing new.
   */
  #checkEmpty(): void {
    // Deferred, so that a callback that settles one call and submits the next
    // in the same turn is not mistaken for an idle scheduler.
    if (this.#emptyCheckQueued) return;
    // Busy now, it can only become idle through a settle, a callback's end or a timer's, each
    // of which checks again: no microtask per call while calls are in flight.
    if (!this.#idle()) return;
    this.#emptyCheckQueued = true;
    queueMicrotask(() => {
      this.#emptyCheckQueued = false;
      this.#checkEmptyNow();
    });
  }

  #checkEmptyNow(): void {
    const run = this.#run;
    if (!run || run.exit !== undefined || !this.#idle()) return;
    if (this.#submitCountAtEmpty !== this.#submitCount) {
      this.#submitCountAtEmpty = this.#submitCount;
      this.emit(SchedulerEvents.EMPTY);
      if (!this.#idle() || this.#submitCountAtEmpty !== this.#submitCount) return;
    }
    if (run.options.endOnEmpty && run.exit === undefined) this.#end({ code: "exhausted" });
  }

  /**
   * amltk's `empty` comes from a monitor that sees the queue drain even when
   * a stop (a callback's `stop()`, an error's policy) is being processed in
   * the same turn: the last call's callbacks stopping the run still see
   * `empty` once. A timeout, or calls still running, mean no `empty`.
   */
  #emptyAfterStop(run: ActiveRun): void {
    if (run.exit?.code === "timeout" || run.exit?.code === "exhausted") return;
    if (this.#inFlight.size > 0 || this.#submitCountAtEmpty === this.#submitCount) return;
    this.#submitCountAtEmpty = this.#submitCount;
    this.emit(SchedulerEvents.EMPTY);
  }

  #end(exit: ExitState, reason?: string, error?: unknown): void {
    const run = this.#run;
    if (!run || run.exit !== undefined) return;
    run.exit = exit;
    if (reason !== undefined) this.emit(SchedulerEvents.STOP, reason, error);
    run.ended.resolve();
  }
}

/**
 * The action for `error`: a class matches an instance of it or of a
 * subclass, or an error that crossed a boundary as one (its class chain
 * names it), whether or not that class is known on this side.
 */
function chooseAction(policy: ExceptionPolicy, error: unknown): ExceptionAction {
  if (typeof policy === "string") return policy;
  for (const [errorClass, action] of policy) {
    if (isErrorOf(error, errorClass)) return action;
  }
  return "raise";
}

function checkPolicy(name: string, policy: ExceptionPolicy): ExceptionPolicy {
  const ok = (a: unknown) => ACTIONS.includes(a as string);
  if (
    typeof policy === "string" ? ok(policy) : Array.isArray(policy) &&
      policy.every((pair) =>
        Array.isArray(pair) && pair.length === 2 && typeof pair[0] === "function" && ok(pair[1])
      )
  ) return policy;
  // amltk's early guides called "continue" "ignore".
  const hint = (policy as unknown) === "ignore"
    ? ' (amltk\'s old "ignore" is "continue" here)'
    : "";
  throw new TypeError(
    `Invalid ${name}: ${Deno.inspect(policy)}${hint}; expected "raise", "end", "continue" ` +
      `or an array of [ErrorClass, action] pairs`,
  );
}

const RUN_OPTIONS = ["timeout", "endOnEmpty", "wait", "onException", "onCancelled"] as const;

function resolveRunOptions(options: RunOptions): ActiveRun["options"] {
  checkOptions(options, RUN_OPTIONS, "scheduler.run()");
  return {
    timeout: options.timeout === undefined ? undefined : parseDuration(options.timeout),
    endOnEmpty: options.endOnEmpty ?? true,
    wait: options.wait ?? true,
    onException: checkPolicy("onException", options.onException ?? "raise"),
    onCancelled: checkPolicy("onCancelled", options.onCancelled ?? "raise"),
  };
}

function raise(error: Error): never {
  throw error;
}
