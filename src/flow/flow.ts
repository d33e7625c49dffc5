/**
 * The flow: a static graph of jobs, run in dependency order with a window,
 * a timeout, critical and forever jobs. A flow is a job, so flows nest.
 *
 * @module
 */

import { startTimer, stopTimer, type Timer } from "../timers.ts";
import type { Subscriber } from "../events/emitter.ts";
import { Event } from "../events/event.ts";
import type { Scheduler } from "../scheduler/scheduler.ts";
import { type Duration, formatDuration, parseDuration } from "../units.ts";
import { toDot } from "./dot.ts";
import { CycleError, JobCancelledError, TimeoutError } from "./errors.ts";
import { closure, findCycle, predecessorsIn, successorMap, topologicalSort } from "./graph.ts";
import {
  isSequence,
  Job,
  jobInternals as JI,
  type JobOptions,
  type JobSequence,
  TaskJob,
} from "./job.ts";
import { acquireScheduler, type Release } from "../scheduler/lease.ts";
import {
  activeRun,
  durableHooks,
  durableRunFor,
  type FlowRunOptions,
  setFlowStore,
} from "./durable.ts";
import type { RunStore } from "../store/run_store.ts";
import { debrief, list, type ListOptions, stats } from "./report.ts";

/**
 * Options of `new Flow(...jobs, options)`.
 *
 * @example
 * ```ts ignore
 * new Flow({ label: "nightly", window: 4, timeout: "2h", critical: false });
 * ```
 */
export interface FlowOptions {
  /** Display name (default `"flow"`). */
  label?: string;
  /** Maximum number of jobs running at once; `0` (the default) means no limit. */
  window?: number;
  /** Cancel what runs and fail the flow after this long. */
  timeout?: Duration;
  /** Whether a failed run rejects (default `true`) rather than resolving `false`. */
  critical?: boolean;
  /**
   * A run store (its directory, like `".baton"`, or an open `RunStore`):
   * each run is recorded there, with results and logs, so that
   * `run({ resume: true })` can skip what succeeded and `cache: true` jobs
   * can reuse stored results.
   */
  store?: string | RunStore;
}

/** How a run ended. */
type Ending =
  | { readonly kind: "fine" }
  | { readonly kind: "critical"; readonly job: Job; readonly error: unknown }
  | { readonly kind: "timeout"; readonly error: TimeoutError }
  | { readonly kind: "callback"; readonly error: unknown }
  | { readonly kind: "stopped"; readonly reason: string }
  | { readonly kind: "cancelled"; readonly error: unknown };

const FLOW_OPTION_KEYS = new Set(["label", "window", "timeout", "critical", "store"]);

/**
 * A static graph of jobs that depend on each other, run as soon as their
 * requirements are done. A flow is a {@linkcode Job} (so it nests in another
 * flow) and an Emitter (`job-scheduled`, `job-started`, `job-done`,
 * `job-failed`, `job-cancelled`, `flow-done`).
 *
 * `run()` resolves `true` when every non-forever job finished in time and no
 * critical job failed. Otherwise a critical flow (the default) rejects with
 * the critical job's error or a {@linkcode TimeoutError}, and a non-critical
 * flow resolves `false`.
 *
 * @example
 * ```ts
 * import { Flow, job, Sequence } from "@baton/baton";
 *
 * const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
 * const flow = new Flow({ label: "main", window: 4, timeout: "30s" });
 * const fetch = flow.add(job(async () => "data"), { label: "fetch" });
 * const prep = flow.add(job(async () => sleep(10)), { label: "prep", requires: fetch });
 * flow.add(Sequence(job(async () => 1), job(async () => 2)), { requires: prep });
 * const ok = await flow.run(); // true
 * console.log(flow.list());
 * ```
 */
export class Flow extends Job<boolean> {
  /** A job has its requirements done and waits for a window slot or starts: (job). */
  static readonly JOB_SCHEDULED: Event<[job: Job]> = new Event<[job: Job]>("job-scheduled");
  /** A job started running: (job). */
  static readonly JOB_STARTED: Event<[job: Job]> = new Event<[job: Job]>("job-started");
  /** A job returned: (job, result). */
  static readonly JOB_DONE: Event<[job: Job, result: unknown]> = new Event<
    [job: Job, result: unknown]
  >("job-done");
  /** A job threw: (job, error). */
  static readonly JOB_FAILED: Event<[job: Job, error: unknown]> = new Event<
    [job: Job, error: unknown]
  >("job-failed");
  /** A running job was cancelled (timeout, critical failure, forever job at the end): (job). */
  static readonly JOB_CANCELLED: Event<[job: Job]> = new Event<[job: Job]>("job-cancelled");
  /** The run is over: (ok, why). */
  static readonly FLOW_DONE: Event<[ok: boolean, why: string]> = new Event<
    [ok: boolean, why: string]
  >("flow-done");

  /** Subscribes to `job-scheduled`. */
  readonly onJobScheduled: Subscriber<[job: Job]> = this.subscriber(Flow.JOB_SCHEDULED);
  /** Subscribes to `job-started`. */
  readonly onJobStarted: Subscriber<[job: Job]> = this.subscriber(Flow.JOB_STARTED);
  /** Subscribes to `job-done`. */
  readonly onJobDone: Subscriber<[job: Job, result: unknown]> = this.subscriber(Flow.JOB_DONE);
  /** Subscribes to `job-failed`. */
  readonly onJobFailed: Subscriber<[job: Job, error: unknown]> = this.subscriber(
    Flow.JOB_FAILED,
  );
  /** Subscribes to `job-cancelled`. */
  readonly onJobCancelled: Subscriber<[job: Job]> = this.subscriber(Flow.JOB_CANCELLED);
  /** Subscribes to `flow-done`. */
  readonly onFlowDone: Subscriber<[ok: boolean, why: string]> = this.subscriber(Flow.FLOW_DONE);

  /** Maximum number of non-forever jobs running at once (0: no limit). */
  readonly window: number;
  /** The timeout in milliseconds, if any. */
  readonly timeout?: number;
  readonly #jobs = new Set<Job>();
  #ran = false;
  #ending?: Ending;
  #finish?: (ending: Ending) => void;

  /**
   * Creates a flow of `items` (jobs and sequences), with options last.
   *
   * @throws {TypeError} naming an unknown option or a bad value.
   */
  constructor(...items: (Job | JobSequence | FlowOptions)[]) {
    const last = items[items.length - 1];
    const options = last !== undefined && !(last instanceof Job) && !isSequence(last)
      ? items.pop() as FlowOptions
      : {};
    checkFlowOptions(options);
    super(options.label ?? "flow");
    this.window = options.window ?? 0;
    this.timeout = options.timeout === undefined ? undefined : parseDuration(options.timeout);
    if (options.critical !== undefined) this.critical = options.critical;
    if (options.store !== undefined) setFlowStore(this, options.store);
    this.callbackHost = {
      error: (error) => {
        // A throwing flow callback ends the run; outside a run it surfaces to the caller.
        if (!this.#finish) throw error;
        this.#finish({ kind: "callback", error });
        return false;
      },
      pending: (promise) => {
        promise.then(undefined, (error) => {
          if (this.#finish) this.#finish({ kind: "callback", error });
        });
      },
    };
    for (const item of items as (Job | JobSequence)[]) this.add(item as Job);
  }

  /** The jobs, in the order they were added. */
  get jobs(): readonly Job[] {
    return [...this.#jobs];
  }

  /** Whether `run()` is in progress. */
  running(): boolean {
    return this.#finish !== undefined;
  }

  /**
   * Adds a job (or every job of a sequence) and applies `options`; returns
   * what was added.
   *
   * @throws {Error} when the job is in another flow, has already run, is
   * this flow or one of its outer flows, or requires a job of another flow.
   */
  add<J extends Job>(job: J, options?: JobOptions): J;
  /** Adds every job of a sequence; `options` may only hold `requires` (for its first job). */
  add(sequence: JobSequence, options?: Pick<JobOptions, "requires">): JobSequence;
  add(item: Job | JobSequence, options: JobOptions = {}): Job | JobSequence {
    if (this.#ran) {
      throw new Error(`flow "${this.label}" has already run: a flow runs once, build a new one`);
    }
    if (isSequence(item)) {
      const extra = Object.keys(options ?? {}).filter((k) => k !== "requires");
      if (extra.length) {
        throw new TypeError(
          `Options of a sequence may only hold requires, got ${extra.join(", ")}; ` +
            `set label, critical and forever on each job`,
        );
      }
      for (const job of item.jobs) this.#adopt(job);
      if (options.requires !== undefined) item.requires(options.requires);
      return item;
    }
    if (!(item instanceof Job)) {
      throw new TypeError(
        `flow.add() takes a job, a flow or a sequence, got ${
          item === null || typeof item !== "object"
            ? String(item)
            : Object.prototype.toString.call(item)
        }; make jobs with job(fn), job(task) or command(argv)`,
      );
    }
    this.#adopt(item);
    item.configure(options);
    return item;
  }

  #adopt(job: Job): void {
    if (this.#jobs.has(job)) return;
    if (job === this) throw new Error(`flow "${this.label}" cannot contain itself`);
    for (let outer = this.flow; outer; outer = outer.flow) {
      if (outer === job) {
        throw new Error(
          `flow "${job.label}" cannot be added to flow "${this.label}", which it contains`,
        );
      }
    }
    if (job.flow) {
      throw new Error(
        `job "${job.label}" already belongs to flow "${job.flow.label}": a job can be in one ` +
          `flow only, create another job for flow "${this.label}"`,
      );
    }
    if (job.state !== "idle" || job.cancelled) {
      throw new Error(
        `job "${job.label}" has already run (state ${job.state}): a job runs once, ` +
          `create another one`,
      );
    }
    for (const r of job.requirements) {
      if (r.flow && r.flow !== this) {
        throw new Error(
          `job "${job.label}" requires job "${r.label}" of flow "${r.flow.label}": ` +
            `requirements must stay inside one flow`,
        );
      }
    }
    JI.attach(job, this);
    this.#jobs.add(job);
  }

  /**
   * Runs the flow. Resolves `true` when every non-forever job finished in
   * time and no critical job failed; otherwise a critical flow rejects
   * with the failure (the critical job's error or a `TimeoutError`) and a
   * non-critical one resolves `false`. After `stop()` it resolves `false`.
   * With a run store (`new Flow({ store })`) the run is recorded, and
   * `options.resume` skips what a stored run did already (see docs/durable.md).
   *
   * @throws {CycleError} when requirements form a cycle (nothing runs).
   * @throws {Error} when a requirement is outside the flow, the flow ran
   * already, or it is nested (run the outer flow).
   * @throws {StoreError} when the flow's run store cannot be used (nothing runs).
   * @throws {UnknownRunError} when `resume` names a run the store does not know.
   */
  async run(options: FlowRunOptions = {}): Promise<boolean> {
    if (this.flow) {
      throw new Error(
        `flow "${this.label}" is nested in flow "${this.flow.label}": run the outer flow`,
      );
    }
    const durable = durableRunFor(this, options);
    return await (durable ? durableHooks.around(durable, () => this.#run()) : this.#run());
  }

  async #run(): Promise<boolean> {
    this.#prepare();
    JI.setState(this, "running");
    try {
      const ok = await this.#orchestrate(new AbortController().signal);
      JI.succeed(this, ok);
      return ok;
    } catch (error) {
      JI.fail(this, error);
      throw error;
    }
  }

  /**
   * Ends a running flow early: cancels what runs, starts nothing more;
   * `run()` then resolves `false` (whether critical or not). Does nothing
   * unless running.
   */
  stop(reason = "stop() was called"): void {
    this.#finish?.({ kind: "stopped", reason });
  }

  /** Runs as a job of an outer flow. */
  protected execute(signal: AbortSignal): Promise<boolean> {
    this.#prepare();
    return this.#orchestrate(signal);
  }

  /** A nested flow ends promptly once cancelled, and its subprocesses must be reaped. */
  protected override get awaitsCancellation(): boolean {
    return true;
  }

  /** Checks everything that would make the run meaningless, before anything starts. */
  #prepare(): void {
    if (this.#ran) {
      throw new Error(`flow "${this.label}" has already run: a flow runs once, build a new one`);
    }
    for (const job of this.#jobs) {
      for (const r of job.requirements) {
        if (r.flow !== this) {
          throw new Error(
            `job "${job.label}" of flow "${this.label}" requires job "${r.label}", which is ${
              r.flow ? `in flow "${r.flow.label}"` : "in no flow"
            }: add it to this flow, or call flow.sanitize() to drop such requirements`,
          );
        }
      }
    }
    const cycle = findCycle(this.#jobs);
    if (cycle) throw new CycleError(this.label, cycle.map((j) => j.label));
    for (const job of this.#jobs) if (job instanceof Flow) job.#prepare();
  }

  /** The dispatch loop: O(jobs + edges), driven by job completions, no scans. */
  #orchestrate(signal: AbortSignal): Promise<boolean> {
    this.#ran = true;
    const jobs = [...this.#jobs];
    const n = jobs.length;
    const index = new Map<Job, number>();
    for (let i = 0; i < n; i++) index.set(jobs[i], i);
    // Unmet requirements per job, and who waits on whom.
    const unmet = new Int32Array(n);
    const successors: number[][] = new Array(n);
    let remaining = 0;
    for (let i = 0; i < n; i++) {
      const job = jobs[i];
      if (!job.forever) remaining++;
      for (const r of job.requirements) {
        unmet[i]++;
        const k = index.get(r)!;
        (successors[k] ??= []).push(i);
      }
    }
    const window = this.window;
    const controllers = new Map<number, AbortController>();
    const promises: (Promise<unknown> | undefined)[] = new Array(n);
    const waiting: number[] = [];
    let head = 0;
    let active = 0;
    const leases = new FlowLeases(jobs);
    const durable = activeRun(this);
    const reap: Promise<unknown>[] = [];
    const ended = Promise.withResolvers<void>();
    let timer: Timer | undefined;

    const finish = (ending: Ending): void => {
      if (this.#ending) return;
      this.#ending = ending;
      stopTimer(timer);
      const why = ending.kind === "fine" ? "the other jobs are done" : this.why();
      for (const [i, controller] of controllers) {
        const job = jobs[i];
        JI.cancel(job);
        controller.abort(new JobCancelledError(job.label, why));
        if (job instanceof TaskJob) leases.ended(job.task.scheduler);
        if (JI.awaitsCancellation(job) && promises[i]) reap.push(promises[i]!.catch(() => {}));
        this.emit(Flow.JOB_CANCELLED, job);
      }
      controllers.clear();
      ended.resolve();
    };

    const start = (i: number): void => {
      const job = jobs[i];
      if (!job.forever) active++;
      JI.setState(job, "running");
      const controller = new AbortController();
      controllers.set(i, controller);
      // A run store may have a result that stands in: decided before job-started is emitted.
      const reused = durable && durableHooks.begin(durable, job);
      this.emit(Flow.JOB_STARTED, job);
      if (this.#ending) return;
      const execute = () =>
        durable
          ? durableHooks.execute(durable, job, controller.signal)
          : JI.execute(job, controller.signal);
      const promise = reused ??
        (job instanceof TaskJob ? leases.acquire(job.task.scheduler).then(execute) : execute());
      promises[i] = promise;
      promise.then((value) => settle(i, true, value), (error) => settle(i, false, error));
    };

    // Forever jobs do not take a window slot: they would hold it for the whole run.
    const schedule = (i: number): void => {
      const job = jobs[i];
      JI.setState(job, "scheduled");
      this.emit(Flow.JOB_SCHEDULED, job);
      if (this.#ending) return;
      if (job.forever || window === 0 || (active < window && head === waiting.length)) start(i);
      else waiting.push(i);
    };

    const settle = (i: number, ok: boolean, value: unknown): void => {
      // A cancelled job's late outcome is ignored.
      if (!controllers.delete(i)) return;
      const job = jobs[i];
      if (!job.forever) active--;
      if (job instanceof TaskJob) leases.ended(job.task.scheduler);
      if (ok) {
        JI.succeed(job, value);
        this.emit(Flow.JOB_DONE, job, value);
      } else {
        JI.fail(job, value);
        this.emit(Flow.JOB_FAILED, job, value);
      }
      if (this.#ending) return;
      if (!ok && job.critical) return finish({ kind: "critical", job, error: value });
      if (!job.forever) remaining--;
      // Jobs that waited for a slot go first, then the newly released ones.
      while (head < waiting.length && (window === 0 || active < window)) {
        start(waiting[head++]);
        if (this.#ending) return;
      }
      const next = successors[i];
      if (next) {
        for (let k = 0; k < next.length; k++) {
          if (--unmet[next[k]] === 0) schedule(next[k]);
          if (this.#ending) return;
        }
      }
      if (remaining === 0) finish({ kind: "fine" });
    };

    this.#finish = finish;
    const onAbort = () => finish({ kind: "cancelled", error: signal.reason });
    signal.addEventListener("abort", onAbort, { once: true });
    if (this.timeout !== undefined) {
      const ms = this.timeout;
      timer = startTimer(
        () => finish({ kind: "timeout", error: new TimeoutError(this.label, ms) }),
        ms,
      );
    }
    for (let i = 0; i < n && !this.#ending; i++) if (unmet[i] === 0) schedule(i);
    if (remaining === 0) finish({ kind: "fine" });

    return ended.promise.then(async () => {
      signal.removeEventListener("abort", onAbort);
      await Promise.all(reap);
      await leases.releaseAll();
      this.#finish = undefined;
      const ending = this.#ending!;
      const ok = ending.kind === "fine";
      this.emit(Flow.FLOW_DONE, ok, this.why());
      if (ok || ending.kind === "stopped" || ending.kind === "cancelled") return ok;
      if (this.critical) throw ending.error;
      return false;
    });
  }

  /**
   * Why the run ended: `"FINE"`, `"TIMED OUT after 2s"`, `"a CRITICAL job has
   * raised an exception"`, `"a flow callback has raised an exception"`,
   * `"STOPPED: <reason>"`, `"CANCELLED by its outer flow"`; before the end,
   * `"NOT RUN yet"` or `"RUNNING"`.
   */
  why(): string {
    const ending = this.#ending;
    if (!ending) return this.#ran ? "RUNNING" : "NOT RUN yet";
    switch (ending.kind) {
      case "fine":
        return "FINE";
      case "timeout":
        return `TIMED OUT after ${formatDuration(ending.error.timeout)}`;
      case "critical":
        return "a CRITICAL job has raised an exception";
      case "callback":
        return "a flow callback has raised an exception";
      case "stopped":
        return `STOPPED: ${ending.reason}`;
      case "cancelled":
        return "CANCELLED by its outer flow";
    }
  }

  /** The error that ended the run, if one did (critical job's error, `TimeoutError`…). */
  get failure(): unknown {
    const ending = this.#ending;
    return ending && "error" in ending ? ending.error : undefined;
  }

  /**
   * One line per job in topological order (nested flows indented): number,
   * critical mark, outcome mark, state mark, forever mark, label, result or
   * error, requirements. ASCII symbols when `ascii` is set, or by default
   * when `NO_COLOR` is set or the locale is not UTF-8.
   */
  list(options: ListOptions = {}): string {
    return list(this, options);
  }

  /** `list()` plus why the run ended, the counts, and each failed job's error with its stack. */
  debrief(options: ListOptions = {}): string {
    return debrief(this, options);
  }

  /** Counts by state, e.g. `"2 done + 1 running + 3 idle = 6 jobs"`. */
  stats(): string {
    return stats(this);
  }

  /**
   * The graph in Graphviz DOT: critical jobs red and thick, forever jobs
   * dashed, nested flows as clusters.
   */
  toDot(): string {
    return toDot(this);
  }

  /** Whether the requirements (of nested flows too) are free of cycles. */
  checkCycles(): boolean {
    return this.findCycle() === undefined;
  }

  /** A cycle of requirements (in this flow or a nested one), first job repeated last; or `undefined`. */
  findCycle(): Job[] | undefined {
    const own = findCycle(this.#jobs);
    if (own) return own;
    for (const job of this.#jobs) {
      const inner = job instanceof Flow ? job.findCycle() : undefined;
      if (inner) return inner;
    }
    return undefined;
  }

  /**
   * Drops requirements on jobs that are not in the flow (nested flows
   * included); returns whether it dropped any.
   */
  sanitize(): boolean {
    let dropped = false;
    for (const job of this.#jobs) {
      for (const r of [...job.requirements]) {
        if (!this.#jobs.has(r)) {
          JI.dropRequirement(job, r);
          dropped = true;
        }
      }
      if (job instanceof Flow && job.sanitize()) dropped = true;
    }
    return dropped;
  }

  /**
   * The jobs in an order where each comes after its requirements (ties in
   * insertion order).
   *
   * @throws {CycleError} when there is a cycle.
   */
  topologicalOrder(): Job[] {
    const { order, rest } = topologicalSort(this.#jobs);
    if (rest.length) {
      const cycle = findCycle(this.#jobs) ?? rest;
      throw new CycleError(this.label, cycle.map((j) => j.label));
    }
    return order;
  }

  /** Jobs that require no job of the flow. */
  entryJobs(): Job[] {
    return [...this.#jobs].filter((j) => predecessorsIn(this.#jobs, j).length === 0);
  }

  /** Jobs that no job of the flow requires. */
  exitJobs(): Job[] {
    const successors = successorMap(this.#jobs);
    return [...this.#jobs].filter((j) => successors.get(j)!.length === 0);
  }

  /** The jobs of the flow that `job` requires directly. */
  predecessors(job: Job): Job[] {
    return predecessorsIn(this.#jobs, this.#member(job));
  }

  /** The jobs of the flow that require `job` directly. */
  successors(job: Job): Job[] {
    return successorMap(this.#jobs).get(this.#member(job))!;
  }

  /** Every job that `job` requires, directly or not. */
  allPredecessors(job: Job): Job[] {
    return closure(this.#member(job), (j) => predecessorsIn(this.#jobs, j));
  }

  /** Every job that requires `job`, directly or not. */
  allSuccessors(job: Job): Job[] {
    const successors = successorMap(this.#jobs);
    return closure(this.#member(job), (j) => successors.get(j)!);
  }

  /** Calls `shutdown()` on every job, nested flows included (for jobs that hold resources). */
  override async shutdown(): Promise<void> {
    await Promise.all([...this.#jobs].map((j) => j.shutdown()));
  }

  /** Used by `Deno.inspect` and `console.log`: the listing. */
  [Symbol.for("Deno.customInspect")](): string {
    return `Flow "${this.label}" (${this.stats()})\n${this.list()}`;
  }

  #member(job: Job): Job {
    if (!this.#jobs.has(job)) {
      throw new Error(`job "${job?.label}" is not in flow "${this.label}"`);
    }
    return job;
  }
}

function checkFlowOptions(options: FlowOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Flow options must be an object, got ${String(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!FLOW_OPTION_KEYS.has(key)) {
      throw new TypeError(
        `Unknown flow option "${key}"; accepted: label, window, timeout, critical, store`,
      );
    }
  }
  const { window, critical, label } = options;
  if (window !== undefined && (!Number.isInteger(window) || window < 0)) {
    throw new RangeError(
      `Flow option window must be a non-negative integer (0 = no limit), got ${
        JSON.stringify(window)
      }`,
    );
  }
  if (critical !== undefined && typeof critical !== "boolean") {
    throw new TypeError(
      `Flow option critical must be true or false, got ${JSON.stringify(critical)}`,
    );
  }
  if (label !== undefined && typeof label !== "string") {
    throw new TypeError(`Flow option label must be a string, got ${JSON.stringify(label)}`);
  }
}

/** The schedulers a run's task jobs need, held from first use to last. */
class FlowLeases {
  readonly #needs = new Map<Scheduler, number>();
  readonly #held = new Map<Scheduler, Promise<Release>>();
  readonly #releasing: Promise<void>[] = [];

  constructor(jobs: readonly Job[]) {
    for (const job of jobs) {
      if (job instanceof TaskJob) {
        const s = job.task.scheduler;
        this.#needs.set(s, (this.#needs.get(s) ?? 0) + 1);
      }
    }
  }

  acquire(scheduler: Scheduler): Promise<void> {
    let held = this.#held.get(scheduler);
    if (!held) {
      held = acquireScheduler(scheduler);
      held.catch(() => {});
      this.#held.set(scheduler, held);
    }
    return held.then(() => {});
  }

  /** A task job ended (or was cancelled): let go once none of them needs it. */
  ended(scheduler: Scheduler): void {
    const left = this.#needs.get(scheduler)! - 1;
    this.#needs.set(scheduler, left);
    if (left === 0) this.#release(scheduler);
  }

  async releaseAll(): Promise<void> {
    for (const scheduler of [...this.#held.keys()]) this.#release(scheduler);
    await Promise.all(this.#releasing);
  }

  #release(scheduler: Scheduler): void {
    const held = this.#held.get(scheduler);
    if (!held) return;
    this.#held.delete(scheduler);
    this.#releasing.push(held.then((release) => release(), () => {}));
  }
}
