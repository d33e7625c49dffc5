/**
 * The scheduler: runs compute on an executor and turns every step into an event.
 *
 * @module
 */

import { checkOptions } from "../options.ts";
import { startTimer, stopTimer, type Timer } from "../timers.ts";
import { type CallbackHost, Emitter, type Subscriber } from "../events/emitter.ts";
import type { Call, Executor, ExecutorHost } from "../executors/executor.ts";
import { SequentialExecutor } from "../executors/sequential.ts";
import { WorkerExecutor, type WorkerExecutorOptions } from "../executors/workers.ts";
import { ProcessExecutor, type ProcessExecutorOptions } from "../executors/processes.ts";
import { SlurmExecutor, type SlurmOptions } from "../executors/slurm/mod.ts";
import { SgeExecutor, type SgeOptions } from "../executors/sge/mod.ts";
import { RedisExecutor, type RedisExecutorOptions } from "../executors/redis/mod.ts";
import { type Duration, parseDuration } from "../units.ts";
import { Comm, Msg } from "../comm/comm.ts";
import { CancelledError, SchedulerNotRunningError, toError } from "./errors.ts";
import { SchedulerEvents } from "./events.ts";
import { Future, settleFuture } from "./future.ts";
import { renderScheduler } from "./render.ts";
import { type AnyTask, reportToTask, Task, type TaskOptions } from "./task.ts";

/**
 * What to do with an error: stop and reject `run()`, stop and resolve, or go on.
 *
 * @example
 * ```ts ignore
 * await scheduler.run({ onException: "end", onCancelled: "continue" });
 * ```
 */
export type ExceptionAction = "raise" | "end" | "continue";

/**
 * A class of errors, for the `[ErrorClass, action]` form of a policy.
 *
 * @example
 * ```ts ignore
 * await scheduler.run({ onException: [[LimitError, "continue"]] });
 * ```
 */
// deno-lint-ignore no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => unknown;

/**
 * An action for every error, or `[ErrorClass, action]` pairs: first `instanceof` match wins, none = `"raise"`.
 *
 * @example
 * ```ts ignore
 * await scheduler.run({ onException: [[LimitError, "continue"], [Error, "end"]] });
 * ```
 */
export type ExceptionPolicy =
  | ExceptionAction
  | ReadonlyArray<readonly [ErrorClass, ExceptionAction]>;

/**
 * How a run ended.
 *
 * @example
 * ```ts ignore
 * const exit = await scheduler.run({ timeout: "1h" });
 * if (exit.code === "timeout") console.log("out of time");
 * ```
 */
export type ExitCode = "stopped" | "timeout" | "exhausted" | "cancelled" | "exception";

/**
 * What `run()` resolves with.
 *
 * @example
 * ```ts ignore
 * const { code, error } = await scheduler.run();
 * if (code === "exception") console.error(error);
 * ```
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
 * ```ts ignore
 * const exit = await scheduler.run({ timeout: "10m", wait: false, onException: "end" });
 * ```
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
 * ```ts ignore
 * const scheduler = new Scheduler({ executor: new WorkerExecutor(4), name: "search" });
 * ```
 */
export interface SchedulerOptions {
  /** Where compute runs. */
  executor: Executor;
  /** Display name (default `"scheduler"`). */
  name?: string;
}

/**
 * Options of `scheduler.stop()`.
 *
 * @example
 * ```ts ignore
 * scheduler.stop({ reason: "found a good enough model" });
 * ```
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
 * ```ts ignore
 * const later = scheduler.callLater("30s", () => scheduler.stop());
 * later.cancel();
 * ```
 */
export interface LaterHandle {
  /** Cancels it if it has not fired; returns whether it was cancelled. */
  cancel(): boolean;
}

interface InFlight {
  readonly future: Future;
  readonly call: Call;
  readonly task?: AnyTask;
  /** The main process's end of the call's comm channel. */
  comm?: Comm;
}

interface ActiveRun {
  readonly options: Required<Omit<RunOptions, "timeout">> & { timeout?: number };
  readonly ended: PromiseWithResolvers<void>;
  exit?: ExitState;
  raise: boolean;
  timer?: Timer;
}

const ACTIONS = ["raise", "end", "continue"];

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
 * Runs compute on an executor and emits an event for every step. It is an
 * {@linkcode Emitter}: `scheduler.on("future-result", cb)` is the same as
 * `scheduler.onFutureResult(cb)`.
 *
 * @example
 * ```ts
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
 * const exit = await scheduler.run({ timeout: "1s" });
 * console.log(answers, exit.code); // [12, 6, 3, 10, 5, 16, 8, 4, 2, 1] "exhausted"
 * ```
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

  readonly #inFlight = new Map<number, InFlight>();
  readonly #timers = new Set<Timer>();
  #pendingCallbacks = 0;
  #submitCount = 0;
  #submitCountAtEmpty = -1;
  #emptyCheckQueued = false;
  /** Made once: every future's `cancel()` comes here. */
  readonly #cancelFuture = (future: Future): boolean => this.#cancelById(future.id);
  #answering?: { failure?: unknown };
  #run?: ActiveRun;
  #lastExit?: ExitState;
  #accepting = false;
  readonly #host: ExecutorHost = {
    started: (call) => {
      const entry = this.#inFlight.get(call.id);
      if (!entry) return;
      settleFuture(entry.future, "running");
      if (entry.task && entry.call.comm) {
        // A retried call gets a fresh channel; the old one's frames are void.
        entry.comm?.shutdown("the call started again");
        this.#openComm(entry, entry.task);
      }
    },
    comm: (call, frame) => this.#inFlight.get(call.id)?.comm?.receive(frame),
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
    checkOptions(options, ["executor", "name"], "new Scheduler()");
    super(options?.name ?? "scheduler");
    if (!options?.executor) {
      throw new TypeError(
        "new Scheduler({ executor }) needs an executor; or use Scheduler.sequential(), " +
          "Scheduler.withWorkers(n) or Scheduler.withProcesses(n)",
      );
    }
    this.executor = options.executor;
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
  static sequential(options: { name?: string } = {}): Scheduler {
    checkOptions(options, ["name"], "Scheduler.sequential()");
    return new Scheduler({ executor: new SequentialExecutor(), name: options.name });
  }

  /** A scheduler on a pool of `n` Web Workers. */
  static withWorkers(
    n: number,
    options: WorkerExecutorOptions & { name?: string } = {},
  ): Scheduler {
    const { name, ...rest } = options ?? {};
    return new Scheduler({ executor: new WorkerExecutor(n, rest), name });
  }

  /**
   * A scheduler on a pool of `n` subprocesses (`deno run`), reused across
   * calls, with hard wall-time, CPU-time and memory limits and a permission
   * sandbox.
   */
  static withProcesses(
    n: number,
    options: ProcessExecutorOptions & { name?: string } = {},
  ): Scheduler {
    const { name, ...rest } = options ?? {};
    return new Scheduler({ executor: new ProcessExecutor(n, rest), name });
  }

  /**
   * A scheduler on Slurm jobs: it listens on a token-protected TCP endpoint
   * and submits `workers` jobs (`sbatch`) that dial back and run calls on
   * their own process executors; `{ min, max }` scales with the queue.
   * The end of `run()` cancels every job it submitted.
   */
  static withSlurm(options: SlurmOptions & { name?: string }): Scheduler {
    const { name, ...slurm } = options ?? {};
    return new Scheduler({ executor: new SlurmExecutor(slurm as SlurmOptions), name });
  }

  /**
   * A scheduler on Grid Engine jobs: like {@linkcode Scheduler.withSlurm},
   * with `qsub`, `qstat`, `qdel` and `qacct`. The end of `run()` deletes
   * every job it submitted.
   */
  static withSge(options: SgeOptions & { name?: string }): Scheduler {
    const { name, ...sge } = options ?? {};
    return new Scheduler({ executor: new SgeExecutor(sge as SgeOptions), name });
  }

  /**
   * A scheduler whose calls become BullMQ jobs on a Redis queue, run by
   * `baton worker --redis URL --queue NAME` processes on any machine (or by
   * `workers: n` local ones). Futures settle from BullMQ's events.
   */
  static withRedis(options: RedisExecutorOptions & { name?: string }): Scheduler {
    const { name, ...rest } = options ?? {};
    return new Scheduler({ executor: new RedisExecutor(rest as RedisExecutorOptions), name });
  }

  /** Makes a {@linkcode Task} of `fn`, which receives a {@linkcode Comm} as its first argument. */
  task<A extends unknown[], R>(
    fn: (comm: Comm, ...args: A) => R,
    options: TaskOptions & { comm: true },
  ): Task<A, R>;
  /** Makes a {@linkcode Task} of `fn` on this scheduler. */
  task<A extends unknown[], R>(fn: (...args: A) => R, options?: TaskOptions): Task<A, R>;
  task<A extends unknown[], R>(fn: (...args: A) => R, options?: TaskOptions): Task<A, R> {
    return new Task(fn, this, options);
  }

  /**
   * Runs `fn(...args)` on the executor.
   *
   * @throws {SchedulerNotRunningError} unless the scheduler is running.
   */
  submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Future<Awaited<R>> {
    return this.#submit(fn as (...args: never[]) => unknown, args, undefined) as Future<
      Awaited<R>
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
   * import { Scheduler } from "@baton/baton";
   * const scheduler = Scheduler.sequential();
   * await scheduler.run();
   * scheduler.exitState?.code; // "exhausted"
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
    stopTimer(run.timer);
    for (const timer of this.#timers) stopTimer(timer);
    this.#timers.clear();
    this.emit(SchedulerEvents.FINISHING);
    this.#accepting = false;
    await this.executor.shutdown(run.options.wait);
    for (const entry of [...this.#inFlight.values()]) this.#cancel(entry, "the scheduler ended");
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
    const call: Call = {
      id: future.id,
      fn,
      args,
      limits: task?.limits ?? {},
      permissions: task?.permissions,
      comm: task?.comm,
    };
    const entry: InFlight = { future, call, task };
    this.#inFlight.set(future.id, entry);
    this.#submitCount++;
    task?.futures.add(future);
    this.emit(SchedulerEvents.FUTURE_SUBMITTED, future);
    task?.emit(Task.SUBMITTED, future, ...args);
    this.executor.execute(call);
    return future;
  }

  #settle(id: number, outcome: "result" | "exception", value: unknown): void {
    const entry = this.#inFlight.get(id);
    if (!entry) return;
    this.#inFlight.delete(id);
    const { future, task } = entry;
    entry.comm?.shutdown("the call ended");
    settleFuture(future, outcome === "result" ? "fulfilled" : "rejected", value);
    this.emit(SchedulerEvents.FUTURE_DONE, future);
    if (outcome === "result") this.emit(SchedulerEvents.FUTURE_RESULT, future, value);
    else this.emit(SchedulerEvents.FUTURE_EXCEPTION, future, value);
    if (task) reportToTask(task, future, outcome, value);
    if (outcome === "exception") this.#applyPolicy(value, this.#run?.options.onException);
    this.#checkEmpty();
  }

  #cancelById(id: number): boolean {
    const entry = this.#inFlight.get(id);
    if (!entry || !this.executor.cancel(entry.call)) return false;
    this.#cancel(entry, "cancel() was called");
    if (this.running()) this.#applyPolicy(entry.future.error, this.#run?.options.onCancelled);
    this.#checkEmpty();
    return true;
  }

  #cancel(entry: InFlight, why: string): void {
    this.#inFlight.delete(entry.future.id);
    entry.comm?.shutdown(`the call was cancelled (${why})`);
    settleFuture(entry.future, "cancelled", new CancelledError(entry.future.id, why));
    this.emit(SchedulerEvents.FUTURE_CANCELLED, entry.future);
    if (entry.task) reportToTask(entry.task, entry.future, "cancelled");
  }

  /** Opens the main end of a call's comm channel; its frames become task events. */
  #openComm(entry: InFlight, task: AnyTask): void {
    const { future, call } = entry;
    const comm: Comm = new Comm((frame) => this.executor.sendComm(call, frame), {
      message: (data) => task.emit(Comm.MESSAGE, new Msg(data, future, task, comm)),
      request: (rid, data) => this.#answerRequest(new Msg(data, future, task, comm, rid)),
      close: () => task.emit(Comm.CLOSE, new Msg(undefined, future, task, comm)),
    });
    entry.comm = comm;
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

  #end(exit: ExitState, reason?: string, error?: unknown): void {
    const run = this.#run;
    if (!run || run.exit !== undefined) return;
    run.exit = exit;
    if (reason !== undefined) this.emit(SchedulerEvents.STOP, reason, error);
    run.ended.resolve();
  }
}

function chooseAction(policy: ExceptionPolicy, error: unknown): ExceptionAction {
  if (typeof policy === "string") return policy;
  for (const [errorClass, action] of policy) {
    if (error instanceof errorClass) return action;
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
  throw new TypeError(
    `Invalid ${name}: ${Deno.inspect(policy)}; expected "raise", "end", "continue" ` +
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
