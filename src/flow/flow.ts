/**
 * The flow: a static graph of jobs, run in dependency order with a window,
 * a timeout, critical and forever jobs. A flow is a job, so flows nest.
 *
 * @module
 */

import { startTimer, stopTimer, type Timer } from "../timers.ts";
import { emitFew, type Subscriber } from "../events/emitter.ts";
import type { Event } from "../events/event.ts";
import { checkOptions, quote } from "../options.ts";
import type { Scheduler } from "../scheduler/scheduler.ts";
import { toError } from "../scheduler/errors.ts";
import { type Duration, formatDuration, parseDuration } from "../units.ts";
import { exportAsDotfile, exportAsGraphic, type GraphicFormat, toDot } from "./dot.ts";
import { CycleError, TimeoutError } from "./errors.ts";
import {
  FLOW_DONE,
  JOB_CANCELLED,
  JOB_DONE,
  JOB_FAILED,
  JOB_OUTPUT,
  JOB_SCHEDULED,
  JOB_STARTED,
  type OutputStream,
} from "./events.ts";
import {
  closure,
  findCycle,
  neighboursIn,
  type Plan,
  plan,
  successorMap,
  topologicalSort,
} from "./graph.ts";
import {
  attachSequence,
  flattenRequirements,
  isSequence,
  Job,
  jobInternals as JI,
  type JobOptions,
  type JobSequence,
  type Requirement,
  TaskJob,
} from "./job.ts";
import { acquireScheduler, type Release } from "../scheduler/lease.ts";
import {
  activeRun,
  durableHooks,
  type DurableRun,
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
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job } from "@baton/baton";
 * const flow = new Flow({ label: "nightly", window: 4, timeout: "2h", critical: false });
 * flow.add(job(() => 1));
 * assert.equal(await flow.run(), true);
 * ```
 * @category Flow
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
  /** As a job of an outer flow: not waited for, cancelled once the outer flow's other jobs are done. */
  forever?: boolean;
  /** How long `shutdown()` waits for the jobs' shutdowns (default `"1s"`). */
  shutdownTimeout?: Duration;
  /**
   * A run store (its directory, like `".baton"`, or an open `RunStore`):
   * each run is recorded there, with results and logs, so that
   * `run({ resume: true })` can skip what succeeded and `cache: true` jobs
   * can reuse stored results.
   */
  store?: string | RunStore;
}

/**
 * What a flow can be made of: jobs (flows included), sequences, and lists
 * of them nested as deep as you like; `null` and `undefined` are skipped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job } from "@baton/baton";
 * const prepare = job(() => 1), train = job(() => 2), evaluate = job(() => 3);
 * const maybe: ReturnType<typeof job> | undefined = undefined;
 * const flow = new Flow(prepare, [train, evaluate], maybe ?? null, { label: "main" });
 * assert.equal([...flow].length, 3);
 * ```
 * @category Flow
 */
export type FlowItem = Job | JobSequence | null | undefined | Iterable<FlowItem>;

/**
 * Options of `flow.keepOnlyBetween(...)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job } from "@baton/baton";
 * const flow = new Flow();
 * const prepare = flow.add(job(() => 1), { label: "prepare" });
 * const train = flow.add(job(() => 2), { label: "train", requires: prepare });
 * flow.add(job(() => 3), { label: "report", requires: train });
 * flow.keepOnlyBetween({ starts: [prepare], ends: [train], keepEnds: false });
 * assert.deepEqual([...flow].map((j) => j.label), ["prepare"]);
 * ```
 * @category Flow
 */
export interface KeepOnlyBetweenOptions {
  /** Keep only jobs reachable from (after) one of these; none: no such constraint. */
  starts?: Requirement;
  /** Keep only jobs that lead to (come before) one of these; none: no such constraint. */
  ends?: Requirement;
  /** Keep the starts themselves (default `true`). */
  keepStarts?: boolean;
  /** Keep the ends themselves (default `true`). */
  keepEnds?: boolean;
}

/**
 * Options of `flow.iterateJobs(...)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job } from "@baton/baton";
 * const inner = new Flow({ label: "inner" });
 * inner.add(job(() => 1), { label: "deep" });
 * const flow = new Flow(inner, { label: "outer" });
 * flow.add(job(() => 2), { label: "top" });
 * // the jobs at every depth, without the flows
 * const labels = [...flow.iterateJobs({ nested: false })].map((j) => j.label);
 * assert.deepEqual(labels.sort(), ["deep", "top"]);
 * ```
 * @category Flow
 */
export interface IterateJobsOptions {
  /** Also yield the flows: this one first, each nested flow before its jobs (default `true`). */
  nested?: boolean;
}

/**
 * Options of `flow.exitJobs(...)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job } from "@baton/baton";
 * const a = job(() => 1), b = job(() => 2);
 * b.requires(a);
 * const flow = new Flow(a, b);
 * assert.deepEqual(flow.exitJobs({ discardForever: false }), [b]);
 * ```
 * @category Flow
 */
export interface ExitJobsOptions {
  /** Leave out forever jobs (default `true`, as asynciojobs does). */
  discardForever?: boolean;
}

/** How a run ended. */
type Ending =
  | { readonly kind: "fine" }
  | { readonly kind: "critical"; readonly job: Job; readonly error: Error }
  | { readonly kind: "timeout"; readonly error: TimeoutError }
  | { readonly kind: "callback"; readonly error: Error }
  | { readonly kind: "stopped"; readonly reason: string }
  | { readonly kind: "cancelled"; readonly error: unknown };

const FLOW_OPTION_KEYS = [
  "label",
  "window",
  "timeout",
  "critical",
  "forever",
  "shutdownTimeout",
  "store",
];
const FLOW_OPTION_HINTS = {
  jobs_window: `asynciojobs' jobs_window is "window" here`,
  jobsWindow: `asynciojobs' jobs_window is "window" here`,
  verbose: "subscribe to the flow's events (onJobStarted, onJobDone…) or print flow.list()",
  watch: "job durations are in job.duration; subscribe to the flow's events for timings",
  scheduler: "add the flow to its outer flow with outer.add(flow, options)",
  requires: "set requirements with flow.requires(...) or outer.add(flow, { requires })",
};

/** Throws unless `flow`'s jobs may change now (not while it runs, nor after). */
export let assertEditable: (flow: Flow, what: string) => void;

/**
 * A static graph of jobs that depend on each other, run as soon as their
 * requirements are done. A flow is a {@linkcode Job} (so it nests in another
 * flow) and an Emitter (`job-scheduled`, `job-started`, `job-done`,
 * `job-failed`, `job-cancelled`, `job-output`, `flow-done`).
 *
 * `run()` resolves `true` when every non-forever job finished in time and no
 * critical job failed. Otherwise a critical flow (the default) rejects with
 * the critical job's error or a {@linkcode TimeoutError}, and a non-critical
 * flow resolves `false`. A flow whose only jobs are forever jobs runs until
 * its timeout (or until one of them ends).
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { Flow, job, resultOf, Sequence } from "@baton/baton";
 *
 * const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
 * const flow = new Flow({ label: "main", window: 4, timeout: "30s" });
 * const fetch = flow.add(job(async () => "data"), { label: "fetch" });
 * const prep = flow.add(job(async (text: string) => text.length, resultOf(fetch)));
 * flow.add(Sequence(job(async () => sleep(10)), job(async () => 2)), { requires: prep });
 * assert.equal(await flow.run(), true);
 * assert.equal(prep.result, 4);
 * assert.match(flow.list(), /fetch => "data"/);
 * ```
 * @category Flow
 */
export class Flow extends Job<boolean> implements Iterable<Job> {
  /** A job has its requirements done and waits for a window slot or starts: (job). */
  static readonly JOB_SCHEDULED: Event<[job: Job]> = JOB_SCHEDULED;
  /** A job started running: (job). */
  static readonly JOB_STARTED: Event<[job: Job]> = JOB_STARTED;
  /** A job returned: (job, result). */
  static readonly JOB_DONE: Event<[job: Job, result: unknown]> = JOB_DONE;
  /** A job threw: (job, error); a thrown value that is not an Error is a `ThrownValueError`. */
  static readonly JOB_FAILED: Event<[job: Job, error: Error]> = JOB_FAILED;
  /** A running job was cancelled (timeout, critical failure, forever job at the end): (job). */
  static readonly JOB_CANCELLED: Event<[job: Job]> = JOB_CANCELLED;
  /**
   * A running job wrote output: (job, text, stream). Emitted on the job's
   * flow and on every outer flow, so the top flow sees all of it.
   */
  static readonly JOB_OUTPUT: Event<[job: Job, text: string, stream: OutputStream]> = JOB_OUTPUT;
  /** The run is over: (ok, why). */
  static readonly FLOW_DONE: Event<[ok: boolean, why: string]> = FLOW_DONE;

  /** Subscribes to `job-scheduled`. */
  readonly onJobScheduled: Subscriber<[job: Job]> = this.subscriber(JOB_SCHEDULED);
  /** Subscribes to `job-started`. */
  readonly onJobStarted: Subscriber<[job: Job]> = this.subscriber(JOB_STARTED);
  /** Subscribes to `job-done`. */
  readonly onJobDone: Subscriber<[job: Job, result: unknown]> = this.subscriber(JOB_DONE);
  /** Subscribes to `job-failed`: `error` is always an `Error` (see {@linkcode Job.error}). */
  readonly onJobFailed: Subscriber<[job: Job, error: Error]> = this.subscriber(JOB_FAILED);
  /** Subscribes to `job-cancelled`. */
  readonly onJobCancelled: Subscriber<[job: Job]> = this.subscriber(JOB_CANCELLED);
  /** Subscribes to `job-output`: (job, text, stream), from this flow's jobs and nested ones. */
  readonly onJobOutput: Subscriber<[job: Job, text: string, stream: OutputStream]> = this
    .subscriber(JOB_OUTPUT);
  /** Subscribes to `flow-done`. */
  readonly onFlowDone: Subscriber<[ok: boolean, why: string]> = this.subscriber(FLOW_DONE);

  /** Maximum number of non-forever jobs running at once (0: no limit). */
  readonly window: number;
  /** The timeout in milliseconds, if any. */
  readonly timeout?: number;
  /** How long `shutdown()` waits, in milliseconds. */
  readonly shutdownTimeout: number;
  readonly #jobs = new Set<Job>();
  #ran = false;
  #ending?: Ending;
  #finish?: (ending: Ending) => void;
  #shutdown?: Promise<boolean>;
  #plan?: Plan;
  // The jobs' start and end times, by slot (see jobInternals.timesOf): made when the run begins.
  #times?: Float64Array;

  static {
    JI.timesOf = (flow) => flow.#times;
    assertEditable = (flow, what) => {
      if (flow.#finish) {
        throw new Error(`flow "${flow.label}" is running: cannot ${what} until run() settles`);
      }
      if (flow.#ran) {
        throw new Error(
          `flow "${flow.label}" has already run: cannot ${what}; a flow runs once, build a new one`,
        );
      }
    };
  }

  /**
   * Creates a flow of `items` (jobs, sequences, lists of them; `null` and
   * `undefined` are skipped), with options last.
   *
   * @throws {TypeError} naming an unknown option or a bad value.
   */
  constructor(...items: (FlowItem | FlowOptions)[]) {
    const last = items[items.length - 1];
    const options = isFlowOptions(last) ? items.pop() as FlowOptions : {};
    checkFlowOptions(options);
    super(options.label ?? "flow");
    this.window = options.window ?? 0;
    this.timeout = options.timeout === undefined ? undefined : parseDuration(options.timeout);
    this.shutdownTimeout = options.shutdownTimeout === undefined
      ? 1000
      : parseDuration(options.shutdownTimeout);
    if (options.critical !== undefined) this.critical = options.critical;
    if (options.forever !== undefined) this.forever = options.forever;
    if (options.store !== undefined) setFlowStore(this, options.store);
    this.callbackHost = {
      error: (error) => {
        // A throwing flow callback ends the run; outside a run it surfaces to the caller.
        if (!this.#finish) throw error;
        this.#finish({ kind: "callback", error: toError(error) });
        return false;
      },
      pending: (promise) => {
        promise.then(undefined, (error) => {
          if (this.#finish) this.#finish({ kind: "callback", error: toError(error) });
        });
      },
    };
    this.update(items as FlowItem[]);
  }

  /** The jobs, in the order they were added (a copy). */
  get jobs(): readonly Job[] {
    return [...this.#jobs];
  }

  /** How many jobs the flow holds (nested flows count as one). */
  get size(): number {
    return this.#jobs.size;
  }

  /** Iterates over the jobs, in the order they were added. */
  [Symbol.iterator](): Iterator<Job> {
    return this.#jobs.values();
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
   * this flow or one of its outer flows, or the flow runs or has run.
   */
  add<J extends Job>(job: J, options?: JobOptions): J;
  /** Adds every job of a sequence; `options` may only hold `requires` (for its first job). */
  add(sequence: JobSequence, options?: Pick<JobOptions, "requires">): JobSequence;
  add(item: Job | JobSequence, options?: JobOptions): Job | JobSequence {
    assertEditable(this, "add jobs");
    if (isSequence(item)) {
      checkOptions(options, ["requires"], "flow.add(sequence)", {
        label: "set label, critical and forever on each job of the sequence",
        critical: "set label, critical and forever on each job of the sequence",
        forever: "set label, critical and forever on each job of the sequence",
      });
      for (const job of item.jobs) this.#adopt(job);
      attachSequence(item, this);
      if (options?.requires !== undefined) item.requires(options.requires);
      return item;
    }
    if (!(item instanceof Job)) {
      throw new TypeError(
        `flow.add() takes a job, a flow or a sequence, got ${
          quote(item)
        }; make jobs with job(fn), job(task) or command(argv)`,
      );
    }
    this.#adopt(item);
    if (options !== undefined) item.configure(options);
    return item;
  }

  /**
   * Adds jobs and sequences (asynciojobs' `update()`), skipping `null` and
   * `undefined`; lists may nest. Returns the flow.
   */
  update(items: Iterable<FlowItem>): this {
    for (const item of items) {
      if (item === null || item === undefined) continue;
      if (item instanceof Job || isSequence(item)) this.add(item as Job);
      else if (typeof item === "object" && Symbol.iterator in item) this.update(item);
      else this.add(item as Job); // reports what it is
    }
    return this;
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
    JI.attach(job, this);
    this.#jobs.add(job);
  }

  /** The flow that holds `job`: this one or one nested in it. */
  #owner(job: Job, where: string): Flow {
    if (this.#jobs.has(job)) return this;
    for (let flow = job?.flow; flow; flow = flow.flow) {
      if (flow === this) return job.flow!;
    }
    throw new Error(
      `${where}: ${
        job instanceof Job ? `job "${job.label}"` : quote(job)
      } is not in flow "${this.label}" nor in a flow nested in it`,
    );
  }

  #drop(job: Job): void {
    this.#jobs.delete(job);
    JI.detach(job);
  }

  /**
   * Removes `job` (of this flow or of a flow nested in it). As in
   * asynciojobs, jobs that required it keep that requirement, now on a job
   * outside the flow: `sanitize()` drops it (and `run()` asks for that).
   * Use `bypassAndRemove()` to keep the order instead. Returns the flow.
   *
   * @throws {Error} when the job is not in the flow, or the flow runs or has run.
   */
  remove(job: Job): this {
    const owner = this.#owner(job, "flow.remove()");
    assertEditable(owner, "remove jobs");
    owner.#drop(job);
    return this;
  }

  /**
   * Removes `job` and keeps the order it stood for: each job that required
   * it now requires what it required. Works for jobs of nested flows too.
   * Returns the flow.
   *
   * @throws {Error} when the job is not in the flow, or the flow runs or has run.
   */
  bypassAndRemove(job: Job): this {
    const owner = this.#owner(job, "flow.bypassAndRemove()");
    assertEditable(owner, "remove jobs");
    const upstream = JI.requirementList(job).slice();
    for (const down of owner.#jobs) {
      if (!JI.requirementList(down).includes(job)) continue;
      JI.dropRequirement(down, job);
      down.requires(upstream);
    }
    owner.#drop(job);
    return this;
  }

  /**
   * Keeps only the listed jobs (a sequence lists its jobs), drops the others
   * and then the requirements on them (`sanitize()`). Jobs not in the flow
   * are ignored. A nested flow that is listed is kept whole; one that holds
   * a listed job deeper down is kept and pruned the same way. Returns the flow.
   */
  keepOnly(remains: Iterable<Job | JobSequence | null | undefined>): this {
    assertEditable(this, "remove jobs");
    const listed = new Set<Job>();
    for (const item of remains) {
      if (item === null || item === undefined) continue;
      if (item instanceof Job) listed.add(item);
      else if (isSequence(item)) { for (const job of item.jobs) listed.add(job); }
      else throw new TypeError(`flow.keepOnly() takes jobs and sequences, got ${quote(item)}`);
    }
    // Flows that hold a listed job deeper down are kept, and pruned in turn.
    const partial = new Set<Flow>();
    for (const job of listed) {
      const chain: Flow[] = [];
      for (let flow = job.flow; flow && flow !== this; flow = flow.flow) chain.push(flow);
      if (chain.length && chain[chain.length - 1].flow === this) {
        for (const flow of chain) partial.add(flow);
      }
    }
    const prune = (flow: Flow): void => {
      for (const job of [...flow.#jobs]) {
        if (listed.has(job)) continue;
        if (job instanceof Flow && partial.has(job)) prune(job);
        else flow.#drop(job);
      }
    };
    prune(this);
    this.sanitize();
    return this;
  }

  /**
   * Keeps the jobs that come after one of `starts` and before one of
   * `ends` (asynciojobs' rule: reachable from a start and reaching an end;
   * no starts or no ends: no constraint on that side), plus the starts and
   * ends themselves unless `keepStarts`/`keepEnds` is `false`; then drops
   * the requirements on what was removed. Starts and ends must all be in
   * one flow: this one or a nested one, which is then the one pruned.
   * Returns the flow.
   *
   * @throws {Error} when a start or end is in no flow here, or they are in different flows.
   */
  keepOnlyBetween(options: KeepOnlyBetweenOptions): this {
    checkOptions(
      options ?? null,
      ["starts", "ends", "keepStarts", "keepEnds"],
      "flow.keepOnlyBetween()",
      {
        keep_starts: `use "keepStarts"`,
        keep_ends: `use "keepEnds"`,
      },
    );
    const starts = flattenRequirements([options.starts]);
    const ends = flattenRequirements([options.ends]);
    const owners = new Set(
      [...starts, ...ends].map((j) => this.#owner(j, "flow.keepOnlyBetween()")),
    );
    if (owners.size > 1) {
      throw new Error(
        `flow.keepOnlyBetween(): starts and ends must be in one flow, got jobs of flows ${
          [...owners].map((f) => `"${f.label}"`).join(", ")
        }`,
      );
    }
    const owner = owners.values().next().value ?? this;
    assertEditable(owner, "remove jobs");
    const after = starts.length ? new Set(owner.allSuccessors(...starts)) : undefined;
    const before = ends.length ? new Set(owner.allPredecessors(...ends)) : undefined;
    const keep = new Set<Job>();
    for (const job of owner.#jobs) {
      if ((!after || after.has(job)) && (!before || before.has(job))) keep.add(job);
    }
    if (options.keepStarts ?? true) { for (const job of starts) keep.add(job); }
    if (options.keepEnds ?? true) { for (const job of ends) keep.add(job); }
    for (const job of [...owner.#jobs]) if (!keep.has(job)) owner.#drop(job);
    this.sanitize();
    return this;
  }

  /**
   * Runs the flow. Resolves `true` when every non-forever job finished in
   * time and no critical job failed; otherwise a critical flow rejects
   * with the failure (the critical job's error or a `TimeoutError`) and a
   * non-critical one resolves `false`. After `stop()` it resolves `false`.
   * It does not shut the jobs down: call `shutdown()` for that.
   * With a run store (`new Flow({ store })`) the run is recorded, and
   * `options.resume` skips what a stored run did already (see docs/durable.md).
   *
   * @throws {CycleError} when requirements form a cycle (nothing runs).
   * @throws {Error} when a requirement is outside the flow (call
   * `sanitize()`), the flow ran already, or it is nested (run the outer flow).
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

  /**
   * Checks everything that would make the run meaningless, before anything
   * starts (nested flows included), and plans the run.
   */
  #prepare(): void {
    if (this.#ran) {
      throw new Error(`flow "${this.label}" has already run: a flow runs once, build a new one`);
    }
    const planned = plan([...this.#jobs], (r) => r.flow === this, (job, r) => {
      throw new Error(
        `job "${job.label}" of flow "${this.label}" requires job "${r.label}", which is ${
          r.flow ? `in flow "${r.flow.label}"` : "in no flow"
        }: add it to this flow, or call flow.sanitize() to drop such requirements`,
      );
    });
    if (planned.sorted < planned.jobs.length) {
      const cycle = findCycle(this.#jobs)!;
      throw new CycleError(this.label, cycle.map((j) => j.label));
    }
    for (const job of planned.jobs) if (job instanceof Flow) job.#prepare();
    this.#plan = planned;
  }

  /**
   * The dispatch loop: O(jobs + edges) in every shape, driven by job
   * completions, no scans; successors in flat typed arrays (one record
   * per edge, not an object per job).
   */
  #orchestrate(signal: AbortSignal): Promise<boolean> {
    this.#ran = true;
    const { jobs, unmet, first, next } = this.#plan!;
    this.#plan = undefined;
    const n = jobs.length;
    let remaining = 0;
    for (let i = 0; i < n; i++) if (!jobs[i].forever) remaining++;
    const window = this.window;
    this.#times = new Float64Array(2 * n).fill(NaN);
    const running = new Uint8Array(n);
    let runningCount = 0;
    // Only jobs that must be reaped after a cancellation keep their promise.
    const reapable = new Map<number, Promise<unknown>>();
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
      const now = performance.now();
      for (let i = 0; i < n && runningCount > 0; i++) {
        if (!running[i]) continue;
        running[i] = 0;
        runningCount--;
        const job = jobs[i];
        JI.cancel(job, why, now);
        if (job instanceof TaskJob) leases.ended(job.task.scheduler);
        const promise = reapable.get(i);
        if (promise) reap.push(promise.catch(() => {}));
        emitFew(this, JOB_CANCELLED, 1, job);
      }
      ended.resolve();
    };

    // One clock reading per dispatch: jobs started together share it (clock reads are not free).
    // Kept in a typed array: a closure variable would box each reading in a new heap number.
    const clock = new Float64Array(1);
    const start = (i: number): void => {
      const job = jobs[i];
      if (!job.forever) active++;
      JI.setState(job, "running", clock[0]);
      running[i] = 1;
      runningCount++;
      // A run store may have a result that stands in: decided before job-started is emitted.
      const reused = durable && durableHooks.begin(durable, job);
      emitFew(this, JOB_STARTED, 1, job);
      if (this.#ending) return;
      let promise: Promise<unknown> | undefined;
      try {
        if (reused) promise = reused;
        else if (job instanceof TaskJob) promise = startTaskJob(leases, durable, job);
        else if (durable) promise = durableHooks.execute(durable, job);
        // A function that returns synchronously is queued by settleSoon: no promise for it.
        else if ((promise = JI.startOrSettle(job, settleSoon)) === undefined) return;
      } catch (error) {
        promise = Promise.reject(error);
      }
      if (JI.awaitsCancellation(job)) reapable.set(i, promise);
      // Two handlers bound to the job (which knows its index, its slot): no closure over this
      // call's variables, so no context object per started job, and fewer bytes per job in
      // flight, which a wave of thousands of ready jobs keeps alive across scavenges.
      promise.then(settled.bind(job), failed.bind(job));
    };

    // Forever jobs do not take a window slot: they would hold it for the whole run.
    const schedule = (i: number): void => {
      const job = jobs[i];
      JI.setState(job, "scheduled");
      emitFew(this, JOB_SCHEDULED, 1, job);
      if (this.#ending) return;
      if (job.forever || window === 0 || (active < window && head === waiting.length)) start(i);
      else waiting.push(i);
    };

    const settled = function (this: Job, value: unknown): void {
      settle(JI.slot(this), true, value);
    };
    const failed = function (this: Job, error: unknown): void {
      settle(JI.slot(this), false, error);
    };

    // Outcomes of jobs that returned synchronously, settled one microtask later (as a resolved
    // promise's would be), all of a dispatch in one microtask and in the order they came: the
    // job's slot (its bitwise complement when it threw), and the value alongside.
    const soon: number[] = [];
    const soonValues: unknown[] = [];
    let drained = 0;
    const drainSoon = (): void => {
      // Settling may start jobs that return synchronously too: they are appended, and drained here.
      try {
        while (drained < soon.length) {
          const at = soon[drained], value = soonValues[drained];
          soonValues[drained++] = undefined;
          if (at >= 0) settle(at, true, value);
          else settle(~at, false, value);
        }
      } finally {
        // Should settle throw, the rest is still settled, in a microtask of its own.
        if (drained < soon.length) queueMicrotask(drainSoon);
        else soon.length = soonValues.length = drained = 0;
      }
    };
    const settleSoon = (job: Job, ok: boolean, value: unknown): void => {
      if (soon.length === 0) queueMicrotask(drainSoon);
      const at = JI.slot(job);
      soon.push(ok ? at : ~at);
      soonValues.push(value);
    };

    const settle = (i: number, ok: boolean, value: unknown): void => {
      // A cancelled job's late outcome is ignored.
      if (!running[i]) return;
      running[i] = 0;
      runningCount--;
      if (reapable.size !== 0) reapable.delete(i);
      const job = jobs[i];
      if (!job.forever) active--;
      if (job instanceof TaskJob) leases.ended(job.task.scheduler);
      const now = clock[0] = performance.now();
      if (ok) {
        JI.succeed(job, value, now);
        emitFew(this, JOB_DONE, 2, job, value);
      } else {
        JI.fail(job, value, now);
        emitFew(this, JOB_FAILED, 2, job, job.error!);
      }
      if (this.#ending) return;
      if (!ok && job.critical) return finish({ kind: "critical", job, error: job.error! });
      if (!job.forever) remaining--;
      // Jobs that waited for a slot go first, then the newly released ones.
      while (head < waiting.length && (window === 0 || active < window)) {
        start(waiting[head++]);
        if (this.#ending) return;
      }
      for (let k = first[i], end = first[i + 1]; k < end; k++) {
        if (--unmet[next[k]] === 0) schedule(next[k]);
        if (this.#ending) return;
      }
      // With only forever jobs left, the run ends when one of them does (as in asynciojobs).
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
    clock[0] = performance.now();
    for (let i = 0; i < n && !this.#ending; i++) if (unmet[i] === 0) schedule(i);
    // An empty flow is done; one of forever jobs only waits for its timeout.
    if (n === 0) finish({ kind: "fine" });

    return ended.promise.then(async () => {
      signal.removeEventListener("abort", onAbort);
      await Promise.all(reap);
      await leases.releaseAll();
      this.#finish = undefined;
      const ending = this.#ending!;
      const ok = ending.kind === "fine";
      this.emit(FLOW_DONE, ok, this.why());
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

  /** Whether the run failed because a critical job raised an exception. */
  failedCritical(): boolean {
    return this.#ending?.kind === "critical";
  }

  /** Whether the run failed because the flow's timeout fired. */
  failedTimeOut(): boolean {
    return this.#ending?.kind === "timeout";
  }

  /**
   * One line per job in topological order (nested flows indented): number,
   * critical mark, outcome mark, state mark, forever mark, label, result or
   * error, requirements; with `details`, each job's `details()` below it.
   * ASCII symbols when `ascii` is set, or by default when `NO_COLOR` is set
   * or the locale is not UTF-8.
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

  /** The window, timeout and other settings, when not the defaults. */
  override details(): string | undefined {
    const parts: string[] = [];
    if (this.window) parts.push(`window ${this.window}`);
    if (this.timeout !== undefined) parts.push(`timeout ${formatDuration(this.timeout)}`);
    if (this.shutdownTimeout !== 1000) {
      parts.push(`shutdown timeout ${formatDuration(this.shutdownTimeout)}`);
    }
    return parts.length ? parts.join(", ") : undefined;
  }

  /**
   * The graph in Graphviz DOT, with asynciojobs' legend: critical jobs have
   * a red border (a little thicker than the thin gray one of non-critical
   * jobs), forever jobs a dashed one, jobs round corners and nested flows
   * (drawn as clusters) square ones.
   */
  toDot(): string {
    return toDot(this);
  }

  /**
   * Writes `toDot()` to `path` (no Graphviz needed) and returns the path.
   * Render it with e.g. `dot -Tsvg flow.dot -o flow.svg`.
   */
  exportAsDotfile(path: string | URL): string {
    return exportAsDotfile(this, path);
  }

  /**
   * Renders the graph with Graphviz's `dot`: writes `<filename>.dot` and
   * `<filename>.<format>` (a `filename` that already ends in `.<format>`
   * keeps its name) and resolves with the graphic's path.
   *
   * @throws {Error} naming the `graphviz` package when `dot` is not installed.
   */
  exportAsGraphic(filename: string, format: GraphicFormat): Promise<string> {
    return exportAsGraphic(this, filename, format);
  }

  /** `exportAsGraphic(filename, "png")`. */
  exportAsPngfile(filename: string): Promise<string> {
    return exportAsGraphic(this, filename, "png");
  }

  /** `exportAsGraphic(filename, "svg")`. */
  exportAsSvgfile(filename: string): Promise<string> {
    return exportAsGraphic(this, filename, "svg");
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
   * included, each against its own jobs). Returns `true` when the flow was
   * fine, `false` when something had to be dropped (asynciojobs' meaning).
   */
  sanitize(): boolean {
    let fine = true;
    for (const job of this.#jobs) {
      for (const r of JI.requirementList(job).slice()) {
        if (!this.#jobs.has(r)) {
          JI.dropRequirement(job, r);
          fine = false;
        }
      }
      if (job instanceof Flow && !job.sanitize()) fine = false;
    }
    return fine;
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
    return [...this.#jobs].filter((j) =>
      neighboursIn(this.#jobs, [j], JI.requirementList).length === 0
    );
  }

  /** Jobs that no job of the flow requires; forever jobs only with `discardForever: false`. */
  exitJobs(options: ExitJobsOptions = {}): Job[] {
    checkOptions(options, ["discardForever"], "flow.exitJobs()");
    const discard = options.discardForever ?? true;
    const successors = successorMap(this.#jobs);
    return [...this.#jobs].filter((j) =>
      successors.get(j)!.length === 0 && !(discard && j.forever)
    );
  }

  /** The jobs of the flow that one of `jobs` requires directly. */
  predecessors(...jobs: Job[]): Job[] {
    return neighboursIn(this.#jobs, this.#members(jobs), JI.requirementList);
  }

  /** The jobs of the flow that require one of `jobs` directly. */
  successors(...jobs: Job[]): Job[] {
    const map = successorMap(this.#jobs);
    return neighboursIn(this.#jobs, this.#members(jobs), (j) => map.get(j)!);
  }

  /** Every job that one of `jobs` requires, directly or not (asynciojobs' `predecessors_upstream`). */
  allPredecessors(...jobs: Job[]): Job[] {
    return closure(this.#members(jobs), (j) => neighboursIn(this.#jobs, [j], JI.requirementList));
  }

  /** Every job that requires one of `jobs`, directly or not (asynciojobs' `successors_downstream`). */
  allSuccessors(...jobs: Job[]): Job[] {
    const map = successorMap(this.#jobs);
    return closure(this.#members(jobs), (j) => map.get(j)!);
  }

  /**
   * Every job at every depth, in insertion order, nested flows' jobs after
   * the nested flow. With `nested` (the default) the flows are yielded too,
   * this one first (asynciojobs' `iterate_jobs(scan_schedulers=True)`);
   * with `nested: false` only the jobs that are not flows.
   */
  iterateJobs(options: IterateJobsOptions = {}): IterableIterator<Job> {
    checkOptions(options, ["nested"], "flow.iterateJobs()", {
      scan_schedulers: `use "nested"`,
      scanSchedulers: `use "nested"`,
    });
    const withFlows = options.nested ?? true;
    function* walk(flow: Flow): Generator<Job> {
      if (withFlows) yield flow;
      for (const job of flow.#jobs) {
        if (job instanceof Flow) yield* walk(job);
        else yield job;
      }
    }
    return walk(this);
  }

  /**
   * Runs every job's `shutdown()` (nested flows' too, each bounded by its
   * own `shutdownTimeout`), once however often it is called, and resolves
   * whether all finished within this flow's `shutdownTimeout`. Shutdowns
   * still going then get their signal aborted. Not called by `run()`: call
   * it when the resources the jobs hold may go (asynciojobs' rule).
   *
   * @throws {AggregateError} of what the jobs' shutdowns threw (once they all settled or timed out).
   * @throws {Error} while the flow is running.
   */
  override shutdown(): Promise<boolean> {
    if (this.#finish) {
      return Promise.reject(
        new Error(`flow "${this.label}" is running: call shutdown() once run() has settled`),
      );
    }
    return this.#shutdown ??= this.#shutdownJobs();
  }

  async #shutdownJobs(): Promise<boolean> {
    const jobs = [...this.#jobs];
    if (jobs.length === 0) return true;
    const controller = new AbortController();
    const errors: unknown[] = [];
    let nestedLate = false;
    const all = Promise.all(jobs.map(async (job) => {
      try {
        const outcome = await job.shutdown(controller.signal);
        if (job instanceof Flow && outcome === false) nestedLate = true;
      } catch (error) {
        errors.push(error);
      }
    }));
    const late = Promise.withResolvers<boolean>();
    const timer = startTimer(() => late.resolve(false), this.shutdownTimeout);
    const inTime = await Promise.race([all.then(() => true), late.promise]);
    stopTimer(timer);
    if (!inTime) {
      controller.abort(
        new DOMException(
          `shutdown of flow "${this.label}" took longer than ${
            formatDuration(this.shutdownTimeout)
          }`,
          "TimeoutError",
        ),
      );
    }
    if (errors.length) {
      throw new AggregateError(
        errors,
        `flow "${this.label}": ${errors.length} job shutdown${errors.length === 1 ? "" : "s"} ` +
          `threw`,
      );
    }
    return inTime && !nestedLate;
  }

  /** Used by `Deno.inspect` and `console.log`: the listing. */
  [Symbol.for("Deno.customInspect")](): string {
    return `Flow "${this.label}" (${this.stats()})\n${this.list()}`;
  }

  #members(jobs: readonly Job[]): Job[] {
    for (const job of jobs) {
      if (!this.#jobs.has(job)) {
        throw new Error(
          `${
            job instanceof Job ? `job "${job.label}"` : quote(job)
          } is not in flow "${this.label}"`,
        );
      }
    }
    return jobs as Job[];
  }
}

/** Starts a task job once its scheduler is held (a function of its own: no closure in start). */
function startTaskJob(
  leases: FlowLeases,
  durable: DurableRun | undefined,
  job: TaskJob,
): Promise<unknown> {
  return leases.acquire(job.task.scheduler).then(() => startJob(durable, job));
}

/** Runs a job's work: recorded in the run store when the run has one. */
function startJob(durable: DurableRun | undefined, job: Job): Promise<unknown> {
  return durable ? durableHooks.execute(durable, job) : JI.start(job);
}

/** Whether the last constructor item is the options (a plain object, not a job or a list). */
function isFlowOptions(value: unknown): boolean {
  if (typeof value !== "object" || value === null || value instanceof Job) return false;
  return !isSequence(value) && !(Symbol.iterator in value);
}

function checkFlowOptions(options: FlowOptions): void {
  checkOptions(options, FLOW_OPTION_KEYS, "new Flow()", FLOW_OPTION_HINTS);
  const { window, critical, forever, label } = options;
  if (window !== undefined && (!Number.isInteger(window) || window < 0)) {
    throw new RangeError(
      `Flow option window must be a non-negative integer (0 = no limit), got ${quote(window)}`,
    );
  }
  for (const [key, value] of [["critical", critical], ["forever", forever]] as const) {
    if (value !== undefined && typeof value !== "boolean") {
      throw new TypeError(`Flow option ${key} must be true or false, got ${quote(value)}`);
    }
  }
  if (label !== undefined && typeof label !== "string") {
    throw new TypeError(`Flow option label must be a string, got ${quote(label)}`);
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
