/**
 * Jobs: the nodes of a flow. A job runs once, after its requirements.
 *
 * @module
 */

import { Emitter } from "../events/emitter.ts";
import { functionRef } from "../executors/remote.ts";
import { checkOptions, quote } from "../options.ts";
import { toError } from "../scheduler/errors.ts";
import type { Future } from "../scheduler/future.ts";
import { Task } from "../scheduler/task.ts";
import { JobCancelledError } from "./errors.ts";
import { JOB_OUTPUT, type OutputStream } from "./events.ts";
import type { Flow } from "./flow.ts";
import { forwardTaskOutput, submitForJob } from "./output.ts";
import { findResultRefs, resolveArgs } from "./results.ts";

/**
 * Where a job is in its life: `idle → scheduled → running → done`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, type JobState } from "@baton/baton";
 * const answer = job(() => 42);
 * const before: JobState = answer.state;
 * await new Flow(answer).run();
 * assert.deepEqual([before, answer.state], ["idle", "done"]);
 * ```
 * @category Flow
 */
export type JobState = "idle" | "scheduled" | "running" | "done";

/**
 * What a job can require: a job, a sequence (its last job), a list of
 * either nested as deep as you like; `null` and `undefined` are ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, type Requirement, Sequence } from "@baton/baton";
 * const order: string[] = [];
 * const step = (name: string) => job(() => order.push(name));
 * const [prepare, download, unpack] = [step("prepare"), step("download"), step("unpack")];
 * const maybe: Requirement = undefined;
 * const flow = new Flow(prepare, Sequence(download, unpack));
 * flow.add(step("train"), { requires: [prepare, Sequence(download, unpack), maybe ?? null] });
 * await flow.run();
 * assert.equal(order.at(-1), "train");
 * ```
 * @category Flow
 */
export type Requirement = Job | JobSequence | null | undefined | Iterable<Requirement>;

/**
 * Options of `job.requires(...jobs, options)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job } from "@baton/baton";
 * const a = job(() => 1), b = job(() => 2);
 * b.requires(a);
 * b.requires(a, { remove: true }); // b no longer requires a
 * assert.deepEqual(new Flow(a, b).predecessors(b), []);
 * ```
 * @category Flow
 */
export interface RequiresOptions {
  /** Drop these requirements instead of adding them (each must be there). */
  remove?: boolean;
}

/**
 * Options of `flow.add(job, options)` and of the job factories.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job } from "@baton/baton";
 * const flow = new Flow();
 * const train = flow.add(job(() => 0.9), { label: "train" });
 * const report = flow.add(job(() => {
 *   throw new Error("no printer");
 * }), { label: "report", requires: [train], critical: false });
 * assert.equal(await flow.run(), true); // a non-critical failure does not fail the flow
 * assert.equal((report.error as Error).message, "no printer");
 * ```
 * @category Flow
 */
export interface JobOptions {
  /** Display name in listings and graphs; defaults to the function's name and arguments. */
  label?: string;
  /** Jobs that must be done before this one starts. */
  requires?: Requirement;
  /** Whether a failure of this job fails the flow (default `true`). */
  critical?: boolean;
  /** A job that is not waited for: cancelled once the other jobs are done (default `false`). */
  forever?: boolean;
  /**
   * In a flow with a run store: reuse any stored success of a job with the
   * same definition and inputs instead of running (default `false`).
   */
  cache?: boolean;
}

/**
 * What a job computes, as plain data: its kind, its code, its static
 * arguments and the options that change its outcome. Its hash decides
 * whether a stored result may stand in for running the job (resume, cache).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { command, type JobDefinition } from "@baton/baton";
 * const definition: JobDefinition | undefined = command(["make"], { cwd: "/src" }).definition();
 * assert.equal(definition?.kind, "command");
 * ```
 * @category Flow
 */
export interface JobDefinition {
  /** The job kind: `function`, `task`, `command`, or your own. */
  readonly kind: string;
  /** Anything else that identifies the computation. */
  readonly [key: string]: unknown;
}

/**
 * What a job function sees as `this`: a signal that aborts when the flow
 * cancels the job, and a way to report output.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, type JobContext } from "@baton/baton";
 * async function poll(this: JobContext) {
 *   while (!this.signal.aborted) {
 *     this.output?.("still polling\n");
 *     await new Promise((r) => setTimeout(r, 5));
 *   }
 * }
 * const flow = new Flow({ timeout: "30ms", critical: false });
 * flow.add(job(poll), { label: "poll" });
 * const lines: string[] = [];
 * flow.onJobOutput((_job, text) => lines.push(text));
 * await flow.run().catch(() => {}); // ends with a TimeoutError
 * assert.equal(lines[0], "still polling\n");
 * ```
 * @category Flow
 */
export interface JobContext {
  /** Aborts (with a `JobCancelledError`) when the flow cancels the job. */
  readonly signal: AbortSignal;
  /**
   * Emits `job-output` (job, text, stream) on the job's flow and every
   * outer flow. Always there on the `this` a flow gives; optional in the
   * type only so that a plain `{ signal }` still fits where a context is expected.
   */
  output?(text: string, stream?: OutputStream): void;
}

/**
 * Chained jobs, made by `Sequence(...)`: each requires the one before.
 * Anywhere a job is required, a sequence stands for its last job. Once
 * added to a flow, jobs appended to it are added to that flow too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, Sequence } from "@baton/baton";
 * const order: string[] = [];
 * const step = (name: string) => job(() => order.push(name));
 * const steps = Sequence(step("download"), step("unpack"), step("train"));
 * const flow = new Flow();
 * flow.add(steps);
 * await flow.run();
 * assert.deepEqual(order, ["download", "unpack", "train"]);
 * ```
 * @category Flow
 */
export interface JobSequence {
  /** The jobs, in order. */
  readonly jobs: readonly Job[];
  /** The first job (what `requires` on the sequence attaches to). */
  readonly first: Job | undefined;
  /** The last job (what requiring the sequence means). */
  readonly last: Job | undefined;
  /** Makes the first job require `requirements`; returns the sequence. */
  requires(...requirements: Requirement[]): JobSequence;
  /**
   * Appends jobs or sequences, chained after the last job (and added to
   * the flow the sequence was added to); returns the sequence.
   */
  append(...items: (Job | JobSequence | null | undefined)[]): JobSequence;
}

const JOB_OPTION_KEYS = ["label", "requires", "critical", "forever", "cache"] as const;
const JOB_OPTION_HINTS = {
  scheduler: "add the job to its flow with flow.add(job, options)",
  coshutdown: "override shutdown() in a Job subclass",
};

// Bits of Job.#flags (one field, not one per boolean: a flow may hold 100k jobs).
const FAILED = 1;
const CANCELLED = 2;
const NOT_CRITICAL = 4;
const FOREVER = 8;
const CACHE = 16;
// The state, in two bits of the flags too: a field less per job (a flow may hold 100k).
const STATE_SHIFT = 5;
const STATE_BITS = 3 << STATE_SHIFT;
const STATES: readonly JobState[] = ["idle", "scheduled", "running", "done"];
const STATE_CODES: Readonly<Record<JobState, number>> = {
  idle: 0,
  scheduled: 1 << STATE_SHIFT,
  running: 2 << STATE_SHIFT,
  done: 3 << STATE_SHIFT,
};
const DONE = STATE_CODES.done;

/** What few jobs need (a signal, a cancel reason, a requirement index…), kept apart. */
interface Extras {
  controller?: AbortController;
  why?: string;
  index?: Set<Job>;
  /** The job whose output this one's is (a job run by another job for it). */
  outputOf?: Job;
  /** When a job that ran in no flow (a top flow) started and ended; jobs of a flow: see timesOf. */
  startedAt?: number;
  endedAt?: number;
}

/** Past this many requirements, a job indexes them in a Set (dedup stays O(1)). */
const INDEX_AT = 16;

const NO_JOBS: readonly Job[] = Object.freeze([]);
const NO_ARGS: readonly unknown[] = Object.freeze([]);

/** The engine's hooks into jobs; only flows (and the workflow builder) use them. */
export interface JobInternals {
  attach(job: Job, flow: Flow): void;
  detach(job: Job): void;
  /** `now` (a `performance.now()` reading) stamps the start; the caller reads the clock. */
  setState(job: Job, state: JobState, now?: number): void;
  succeed(job: Job, result: unknown, now?: number): void;
  fail(job: Job, error: unknown, now?: number): void;
  /** Marks a running job cancelled and aborts its signal (made lazily) with `why`. */
  cancel(job: Job, why: string, now?: number): void;
  /** Runs the job's work; function jobs make their signal only if they read it. */
  start(job: Job): Promise<unknown>;
  /**
   * `start`, except that a function job whose function returns a primitive
   * (or throws) synchronously reports it through `settled(job, ok, value)`
   * before returning `undefined`: no promise for it.
   */
  startOrSettle(
    job: Job,
    settled: (job: Job, ok: boolean, value: unknown) => void,
  ): Promise<unknown> | undefined;
  execute(job: Job, signal: AbortSignal): Promise<unknown>;
  awaitsCancellation(job: Job): boolean;
  /** The requirements as a list (do not change it). */
  requirementList(job: Job): readonly Job[];
  /** The requirements as stored: none, the only one, or a list (do not change it). */
  requirementsRaw(job: Job): Job | readonly Job[] | undefined;
  dropRequirement(job: Job, requirement: Job): void;
  /**
   * Makes `from`'s output count as `to`'s: a job that runs another job for
   * itself (a workflow `run:` job runs a fresh command per attempt) has the
   * output emitted as its own.
   */
  forwardOutput(from: Job, to: Job): void;
  /** The job's index in the run of its flow. */
  slot(job: Job): number;
  setSlot(job: Job, slot: number): void;
  /**
   * Where a flow keeps its jobs' times, once its run began: start and end
   * of the job of slot `i` at `2i` and `2i + 1`, NaN until set (the flow
   * module sets this hook). Two doubles per job in one array, rather than
   * two fields and two heap numbers in every job.
   */
  timesOf: (flow: Flow) => Float64Array | undefined;
}

/** Set in Job's static block; the flow module uses it. */
export let jobInternals: JobInternals;
let signalOf: (job: Job) => AbortSignal;
/** Stamps a job's start (`end` 0) or end (`end` 1). */
let stamp: (job: Job, end: 0 | 1, now: number) => void;
/** A job's start and end, NaN until stamped. */
let startedAt: (job: Job) => number;
let endedAt: (job: Job) => number;

/**
 * A node of a {@linkcode Flow}: something to run once, after its
 * requirements. Make one with `job(fn, ...args)`, `job(task, ...args)` or
 * `command(argv)`; a `Flow` is a job too. Subclass it and implement
 * `execute(signal)` for a job of your own (and `shutdown()`, `details()`
 * if it holds resources or has more to say).
 *
 * A job belongs to at most one flow, and runs at most once.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { Flow, Job } from "@baton/baton";
 *
 * class Sleep extends Job<number> {
 *   constructor(readonly ms: number) {
 *     super(`sleep ${ms}ms`);
 *   }
 *   protected execute(signal: AbortSignal): Promise<number> {
 *     return new Promise((resolve) => {
 *       const timer = setTimeout(() => resolve(this.ms), this.ms);
 *       signal.addEventListener("abort", () => clearTimeout(timer));
 *     });
 *   }
 * }
 * const a = new Sleep(10), b = new Sleep(20);
 * b.requires(a);
 * assert.equal(await new Flow(a, b).run(), true);
 * assert.equal(b.result, 20);
 * ```
 * @category Flow
 */
export abstract class Job<R = unknown> extends Emitter {
  // Few fields, most left undefined: a flow may hold 100k jobs.
  #label: string | (() => string) | undefined;
  #value: unknown;
  #flags = 0;
  #flow: Flow | undefined;
  // The only requirement, or a list of them (most jobs have at most one: no list then).
  #requirements: Job | Job[] | undefined;
  #slot = -1;
  #extras: Extras | undefined;

  static {
    // Its flow's array when it has one (slot = index there), else the job's extras.
    stamp = (job, end, now) => {
      const flow = job.#flow;
      const times = flow && jobInternals.timesOf(flow);
      if (times) times[2 * job.#slot + end] = now;
      else if (end) (job.#extras ??= {}).endedAt = now;
      else (job.#extras ??= {}).startedAt = now;
    };
    startedAt = (job) => {
      const flow = job.#flow;
      const times = flow && jobInternals.timesOf(flow);
      return times ? times[2 * job.#slot] : job.#extras?.startedAt ?? NaN;
    };
    endedAt = (job) => {
      const flow = job.#flow;
      const times = flow && jobInternals.timesOf(flow);
      return times ? times[2 * job.#slot + 1] : job.#extras?.endedAt ?? NaN;
    };
    signalOf = (job) => {
      const extras = job.#extras ??= {};
      let controller = extras.controller;
      if (!controller) {
        controller = extras.controller = new AbortController();
        if (job.#flags & CANCELLED) controller.abort(new JobCancelledError(job.label, extras.why!));
      }
      return controller.signal;
    };
    jobInternals = {
      attach(job, flow) {
        job.#flow = flow;
      },
      detach(job) {
        job.#flow = undefined;
      },
      setState(job, state, now) {
        job.#flags = (job.#flags & ~STATE_BITS) | STATE_CODES[state];
        if (state === "running") stamp(job, 0, now ?? performance.now());
      },
      succeed(job, result, now) {
        job.#flags |= DONE;
        job.#value = result;
        stamp(job, 1, now ?? performance.now());
      },
      fail(job, error, now) {
        job.#flags |= DONE;
        job.#value = toError(error);
        job.#flags |= FAILED;
        stamp(job, 1, now ?? performance.now());
      },
      cancel(job, why, now) {
        job.#flags |= CANCELLED;
        stamp(job, 1, now ?? performance.now());
        const extras = job.#extras ??= {};
        extras.why = why;
        extras.controller?.abort(new JobCancelledError(job.label, why));
      },
      start: (job) =>
        job instanceof FunctionJob ? FunctionJob.invoke(job) : job.execute(signalOf(job)),
      startOrSettle: (job, settled) =>
        job instanceof FunctionJob
          ? FunctionJob.invokeOrSettle(job, settled)
          : job.execute(signalOf(job)),
      execute: (job, signal) => job.execute(signal),
      awaitsCancellation: (job) => job.awaitsCancellation,
      requirementList: (job) => {
        const r = job.#requirements;
        return r === undefined ? NO_JOBS : r instanceof Job ? [r] : r;
      },
      requirementsRaw: (job) => job.#requirements,
      dropRequirement: (job, requirement) => Job.#remove(job, requirement),
      forwardOutput(from, to) {
        (from.#extras ??= {}).outputOf = to;
      },
      timesOf: () => undefined,
      slot: (job) => job.#slot,
      setSlot(job, slot) {
        job.#slot = slot;
      },
    };
  }

  /**
   * Creates an idle job. `label` may be a function, computed when first
   * read (labels of thousands of jobs are rarely all needed).
   */
  constructor(label?: string | (() => string), options?: JobOptions) {
    super(typeof label === "string" ? label : "job");
    if (typeof label === "function") this.#label = label;
    else if (label !== undefined) this.label = label;
    if (options !== undefined) this.configure(options);
  }

  /** Display name in listings, graphs and errors. */
  get label(): string {
    const label = this.#label;
    if (typeof label === "string") return label;
    const computed = label ? label() : this.defaultLabel();
    this.label = computed;
    return computed;
  }

  set label(value: string) {
    if (typeof value !== "string") {
      throw new TypeError(`A job label must be a string, got ${quote(value)}`);
    }
    this.#label = value;
    // The emitter's name follows the label (set by the emitter, readonly only to callers).
    (this as { name: string }).name = value;
  }

  /** Whether a failure of this job fails its flow (default `true`). */
  get critical(): boolean {
    return (this.#flags & NOT_CRITICAL) === 0;
  }

  set critical(value: boolean) {
    this.#flags = value ? this.#flags & ~NOT_CRITICAL : this.#flags | NOT_CRITICAL;
  }

  /**
   * Whether the flow does not wait for this job: it is cancelled once the
   * others are done (default `false`).
   */
  get forever(): boolean {
    return (this.#flags & FOREVER) !== 0;
  }

  set forever(value: boolean) {
    this.#flags = value ? this.#flags | FOREVER : this.#flags & ~FOREVER;
  }

  /**
   * In a flow with a run store: whether a stored success with the same
   * definition and inputs stands in for running it (default `false`).
   */
  get cache(): boolean {
    return (this.#flags & CACHE) !== 0;
  }

  set cache(value: boolean) {
    this.#flags = value ? this.#flags | CACHE : this.#flags & ~CACHE;
  }

  /** The label of a job given none: its class name; subclasses may say more. */
  protected defaultLabel(): string {
    return this.constructor.name;
  }

  /** `idle`, `scheduled` (waiting for a window slot), `running` or `done`. */
  get state(): JobState {
    return STATES[(this.#flags & STATE_BITS) >> STATE_SHIFT];
  }

  /** What the job returned, once done without error. */
  get result(): R | undefined {
    return this.#flags & FAILED ? undefined : this.#value as R | undefined;
  }

  /**
   * What the job threw, once done with an error; a thrown value that is
   * not an `Error` is wrapped in a `ThrownValueError` (its `value` holds it).
   */
  get error(): Error | undefined {
    return this.#flags & FAILED ? this.#value as Error : undefined;
  }

  /** Whether the job is done and threw. */
  get failed(): boolean {
    return (this.#flags & FAILED) !== 0;
  }

  /**
   * Whether the flow cancelled the job while it was running (timeout,
   * critical failure, or a forever job once the others were done). A
   * cancelled job keeps the state it had, so `isDone()` stays `false`.
   */
  get cancelled(): boolean {
    return (this.#flags & CANCELLED) !== 0;
  }

  /** The flow the job was added to, if any. */
  get flow(): Flow | undefined {
    return this.#flow;
  }

  /** The jobs this one requires (a snapshot: a new set at each read). */
  get requirements(): ReadonlySet<Job> {
    const r = this.#requirements;
    return new Set(r === undefined ? undefined : r instanceof Job ? [r] : r);
  }

  /** How long it ran (so far), in milliseconds; `undefined` before it started. */
  get duration(): number | undefined {
    const started = startedAt(this);
    if (started !== started) return undefined; // NaN: not started
    const ended = endedAt(this);
    return (ended === ended ? ended : performance.now()) - started;
  }

  /** Whether the job finished, with a result or an error. */
  isDone(): boolean {
    return (this.#flags & STATE_BITS) === DONE;
  }

  /**
   * Makes this job start only after `requirements` are done (a sequence
   * stands for its last job; `null` and `undefined` are ignored, and so is
   * the job itself, as in asynciojobs). With `{ remove: true }` last, drops
   * them instead. A requirement on a job of no flow or of another flow is
   * accepted: `flow.sanitize()` drops it, and `flow.run()` refuses to start
   * until it is gone. Returns the job.
   *
   * @throws {TypeError} for a value that is not a job, sequence or list.
   * @throws {Error} with `remove`, when a requirement to drop is not there.
   */
  requires(...requirements: (Requirement | RequiresOptions)[]): this {
    // The common case, one job, checked first: it cannot be the options.
    if (requirements.length === 1 && requirements[0] instanceof Job) {
      Job.#add(this, requirements[0]);
      return this;
    }
    const last = requirements[requirements.length - 1];
    let remove = false;
    if (isOptionsObject(last)) {
      requirements.pop();
      checkOptions(last, ["remove"], "job.requires()");
      remove = (last as RequiresOptions).remove === true;
    }
    // The common case, one job, without building a list.
    const only = requirements.length === 1 ? requirements[0] : undefined;
    if (!remove && only instanceof Job) {
      Job.#add(this, only);
      return this;
    }
    for (const requirement of flattenRequirements(requirements as Requirement[])) {
      if (!remove) Job.#add(this, requirement);
      else if (!Job.#remove(this, requirement)) {
        throw new Error(
          `job "${this.label}" does not require job "${requirement.label}", so it cannot be removed`,
        );
      }
    }
    return this;
  }

  // Static, as #remove: a private instance method would cost every job a field (its brand).
  static #add(job: Job, requirement: Job): void {
    if (requirement === job) return;
    const held = job.#requirements;
    if (held === undefined) {
      job.#requirements = requirement;
      return;
    }
    if (held instanceof Job) {
      if (held !== requirement) job.#requirements = [held, requirement];
      return;
    }
    const list = held;
    const index = job.#extras?.index;
    if (index ? index.has(requirement) : list.includes(requirement)) return;
    if (index) {
      list.push(requirement);
      index.add(requirement);
    } else if (list.length < INDEX_AT) {
      // A new list of the exact size: push() and spreading both reserve room for ~16 more
      // (200 B instead of 64 for three requirements).
      const grown: Job[] = new Array(list.length + 1);
      for (let k = 0; k < list.length; k++) grown[k] = list[k];
      grown[list.length] = requirement;
      job.#requirements = grown;
    } else {
      list.push(requirement);
      (job.#extras ??= {}).index = new Set(list);
    }
  }

  static #remove(job: Job, requirement: Job): boolean {
    const held = job.#requirements;
    if (held instanceof Job) {
      if (held !== requirement) return false;
      job.#requirements = undefined;
      return true;
    }
    const list = held;
    const at = list ? list.indexOf(requirement) : -1;
    if (at < 0) return false;
    list!.splice(at, 1);
    const extras = job.#extras;
    extras?.index?.delete(requirement);
    if (list!.length === 0) {
      job.#requirements = undefined;
      if (extras) extras.index = undefined;
    }
    return true;
  }

  /**
   * Applies job options (label, requires, critical, forever, cache); returns the job.
   *
   * @throws {TypeError} naming an unknown option or a value of the wrong type.
   */
  configure(options: JobOptions): this {
    if (options === undefined) return this;
    checkOptions(options, JOB_OPTION_KEYS, "job", JOB_OPTION_HINTS);
    for (const key of ["critical", "forever", "cache"] as const) {
      const value = options[key];
      if (value !== undefined && typeof value !== "boolean") {
        throw new TypeError(`Job option ${key} must be true or false, got ${quote(value)}`);
      }
    }
    if (options.label !== undefined) this.label = options.label;
    if (options.critical !== undefined) this.critical = options.critical;
    if (options.forever !== undefined) this.forever = options.forever;
    if (options.cache !== undefined) this.cache = options.cache;
    if (options.requires !== undefined) this.requires(options.requires);
    return this;
  }

  /**
   * What the job computes, for a flow with a run store: a stored success of
   * a job with the same definition (and inputs) may stand in for running it
   * on resume or with `cache: true`. `undefined` (the default for your own
   * job classes) means it always runs; override it to make yours reusable.
   */
  definition(): JobDefinition | undefined {
    return undefined;
  }

  /**
   * More about the job than its label, shown by `flow.list({ details: true })`
   * (asynciojobs' `details()`); `undefined` when there is nothing more to say.
   */
  details(): string | undefined {
    return undefined;
  }

  /**
   * Releases what the job holds (connections, pools…); `flow.shutdown()`
   * calls it once per job, with a signal that aborts when the flow's
   * `shutdownTimeout` is over. Does nothing by default.
   */
  shutdown(_signal?: AbortSignal): void | Promise<unknown> {
  }

  /** The label. */
  override toString(): string {
    return this.label;
  }

  /**
   * Does the job's work; its outcome is the job's result or error. `signal`
   * aborts when the flow cancels the job: stop promptly and release what you hold.
   */
  protected abstract execute(signal: AbortSignal): Promise<R>;

  /**
   * Emits `job-output` (this job, `text`, `stream`) on the job's flow and
   * on every flow around it, so that the top flow sees all output.
   */
  protected output(text: string, stream: OutputStream = "stdout"): void {
    emitOutput(this.#extras?.outputOf ?? this, text, stream);
  }

  /**
   * Whether the flow waits for `execute` to settle after cancelling the job
   * (`true` for subprocesses and nested flows, which end promptly and hold
   * resources; `false` for functions, which may ignore their signal).
   */
  protected get awaitsCancellation(): boolean {
    return false;
  }
}

/** Emits `job-output` for `job` on its flow and every flow around it. */
function emitOutput(job: Job, text: string, stream: OutputStream): void {
  for (let flow = job.flow; flow; flow = flow.flow) flow.emit(JOB_OUTPUT, job, text, stream);
}

/** Whether `value` is the options object that may end `requires(...)`. */
function isOptionsObject(value: unknown): value is RequiresOptions {
  if (typeof value !== "object" || value === null || value instanceof Job) return false;
  if (isSequence(value) || Symbol.iterator in value) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Flattens jobs, sequences (their last job) and nested lists into jobs; skips null/undefined. */
export function flattenRequirements(items: Iterable<Requirement>): Job[] {
  const out: Job[] = [];
  const visit = (item: Requirement): void => {
    if (item === null || item === undefined) return;
    if (item instanceof Job) out.push(item);
    else if (isSequence(item)) {
      if (item.last) out.push(item.last);
    } else if (typeof item === "object" && Symbol.iterator in item) {
      for (const inner of item) visit(inner);
    } else {
      throw new TypeError(
        `A requirement must be a job, a sequence or a list of them, got ${describe(item)}`,
      );
    }
  };
  for (const item of items) visit(item);
  return out;
}

const SEQUENCE = Symbol.for("baton.flow.sequence");

/** Whether `value` is a sequence made by `Sequence(...)`. */
export function isSequence(value: unknown): value is JobSequence {
  return typeof value === "object" && value !== null && SEQUENCE in value;
}

/** Marks an object as a sequence; `attach` is told the flow it is added to. */
export function markSequence<T extends object>(value: T, attach: (flow: Flow) => void): T {
  Object.defineProperty(value, SEQUENCE, { value: attach });
  return value;
}

/** Tells a sequence the flow it was added to, so that it adds what it grows by. */
export function attachSequence(sequence: JobSequence, flow: Flow): void {
  const attach = (sequence as unknown as Record<symbol, unknown>)[SEQUENCE];
  if (typeof attach === "function") attach(flow);
}

/** A short rendering of a value for labels and messages. */
export function describe(value: unknown, max = 40): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "function") text = `${value.name || "anonymous"}()`;
  else if (value === null || typeof value !== "object") text = String(value);
  else if (value instanceof Job) text = `job "${value.label}"`;
  else {
    try {
      text = Deno.inspect(value, { compact: true, breakLength: Infinity, depth: 1 });
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What identifies a function's code: module and name, and source; none for native code. */
export function functionIdentity(
  fn: (...args: never[]) => unknown,
): { name: string; source: string; module?: string } | undefined {
  const ref = functionRef(fn);
  const source = Function.prototype.toString.call(fn);
  if (ref.kind === "module") return { name: ref.name, source, module: ref.url };
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) return undefined;
  return { name: fn.name, source };
}

function callLabel(name: string, args: readonly unknown[]): string {
  return `${name || "anonymous"}(${args.map((a) => describe(a, 20)).join(", ")})`;
}

/** Jobs whose arguments hold `resultOf()` placeholders (few: a set, not a field per job). */
const WITH_REFS = new WeakSet<Job>();

/** Notes the placeholders among `args`, making `job` require their jobs. */
function noteRefs(job: Job, args: readonly unknown[]): void {
  const refs = args.length ? findResultRefs(args) : undefined;
  if (!refs) return;
  WITH_REFS.add(job);
  job.requires(refs.map((ref) => ref.jobs));
}

/** The arguments to call with: placeholders resolved, if there are any. */
function argsFor<A extends readonly unknown[]>(job: Job, args: A): A {
  return WITH_REFS.has(job) ? resolveArgs(args) as unknown as A : args;
}

/** The arguments as a definition holds them: placeholders by what they stand for. */
function definedArgs(job: Job, args: readonly unknown[]): readonly unknown[] {
  return WITH_REFS.has(job) ? resolveArgs(args, (ref) => ref.identity) : args;
}

/** `this` of a function job: its signal is made only if the function reads it. */
class CallContext implements JobContext {
  readonly #job: Job;
  constructor(job: Job) {
    this.#job = job;
  }
  get signal(): AbortSignal {
    return signalOf(this.#job);
  }
  output(text: string, stream: OutputStream = "stdout"): void {
    emitOutput(this.#job, text, stream);
  }
}

/** A job that calls an async (or plain) function in the main thread. */
class FunctionJob<A extends unknown[], R> extends Job<Awaited<R>> {
  readonly #fn: (this: JobContext, ...args: A) => R;
  readonly #args: A;

  constructor(fn: (this: JobContext, ...args: A) => R, args: A) {
    super();
    this.#fn = fn;
    // One shared empty list for the many jobs without arguments.
    this.#args = args.length ? args : NO_ARGS as unknown as A;
    noteRefs(this, args);
  }

  protected override defaultLabel(): string {
    return callLabel(this.#fn.name, this.#args);
  }

  /** The function's source and arguments (none for a native or bound function). */
  override definition(): JobDefinition | undefined {
    const code = functionIdentity(this.#fn);
    return code && { kind: "function", ...code, args: definedArgs(this, this.#args) };
  }

  /** The engine's entry: calls the function, making no signal unless it is read. */
  static invoke<A extends unknown[], R>(job: FunctionJob<A, R>): Promise<Awaited<R>> {
    return FunctionJob.#call(job, new CallContext(job));
  }

  /**
   * `invoke`, but a primitive returned (or a value thrown) synchronously is
   * reported to `settled` instead of wrapped in a promise. An object or a
   * function returned takes the promise path, as before: it may be a thenable.
   */
  static invokeOrSettle<A extends unknown[], R>(
    job: FunctionJob<A, R>,
    settled: (job: Job, ok: boolean, value: unknown) => void,
  ): Promise<Awaited<R>> | undefined {
    let result: R;
    try {
      result = job.#fn.apply(new CallContext(job), argsFor(job, job.#args));
    } catch (error) {
      settled(job, false, error);
      return undefined;
    }
    if ((typeof result === "object" && result !== null) || typeof result === "function") {
      return Promise.resolve(result) as Promise<Awaited<R>>;
    }
    settled(job, true, result);
    return undefined;
  }

  protected execute(_signal: AbortSignal): Promise<Awaited<R>> {
    return FunctionJob.#call(this, new CallContext(this));
  }

  // Static: a private instance method would cost every job a field (its brand).
  static #call<A extends unknown[], R>(
    job: FunctionJob<A, R>,
    context: JobContext,
  ): Promise<Awaited<R>> {
    // Calling synchronously keeps dispatch cheap; a synchronous throw becomes a rejection.
    try {
      return Promise.resolve(job.#fn.apply(context, argsFor(job, job.#args)));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/**
 * A job that submits one call through a {@linkcode Task}. The flow keeps the
 * task's scheduler running while it has such jobs to run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, Scheduler, TaskJob } from "@baton/baton";
 * const scheduler = Scheduler.withWorkers(2);
 * const square = scheduler.task((x: number) => x * x);
 * const flow = new Flow();
 * const squared = flow.add(job(square, 12));
 * assert.ok(squared instanceof TaskJob);
 * await flow.run(); // runs the scheduler for as long as it needs it
 * assert.equal(squared.result, 144);
 * ```
 * @category Flow
 */
export class TaskJob<A extends unknown[] = unknown[], R = unknown> extends Job<Awaited<R>> {
  /** The task the call goes through. */
  readonly task: Task<A, R>;
  readonly #args: A;

  /** Creates a job that calls `task.submit(...args)`; `resultOf()` arguments are resolved first. */
  constructor(task: Task<A, R>, args: A) {
    super();
    this.task = task;
    this.#args = args;
    noteRefs(this, args);
  }

  /** The call, e.g. `square(3)`. */
  protected override defaultLabel(): string {
    return callLabel(this.task.name, this.#args);
  }

  /** The task and its scheduler. */
  override details(): string | undefined {
    return `task "${this.task.name}" of scheduler "${this.task.scheduler.name}"`;
  }

  /** The task's function (source, or module and name), arguments, limits and permissions. */
  override definition(): JobDefinition | undefined {
    const code = functionIdentity(this.task.fn);
    return code && {
      kind: "task",
      ...code,
      args: definedArgs(this, this.#args),
      limits: this.task.limits,
      permissions: this.task.permissions,
    };
  }

  /** Submits the call and awaits its future; cancels the future when `signal` aborts. */
  protected async execute(signal: AbortSignal): Promise<Awaited<R>> {
    signal.throwIfAborted();
    return await this.awaitCall(this.submitCall(argsFor(this, this.#args)), signal);
  }

  /**
   * Submits a call of the task for this job: when someone listens to the
   * job's output, the call captures what it writes (see `awaitCall`).
   * Subclasses that make their own calls submit them with this.
   *
   * @throws {Error} when a plugin of the task vetoes the call.
   */
  protected submitCall(args: A): Future<Awaited<R>> {
    const future = submitForJob(this, this.task, () => this.task.submit(...args));
    if (!future) {
      throw new Error(
        `task "${this.task.name}" did not accept the call of job "${this.label}": ` +
          `one of its plugins vetoed it`,
      );
    }
    return future;
  }

  /**
   * Awaits a call of the task (made with `submitCall`), cancelling it when
   * `signal` aborts, and forwards what the call writes (task event
   * `output`) as `job-output`.
   */
  protected async awaitCall(future: Future<Awaited<R>>, signal: AbortSignal): Promise<Awaited<R>> {
    const cancel = () => future.cancel();
    signal.addEventListener("abort", cancel, { once: true });
    // OUTPUT OF TASK CALLS: forwarded here as job-output (a run store takes it from there).
    const stopForwarding = forwardTaskOutput(
      this.task,
      future,
      (text, stream) => this.output(text, stream),
    );
    try {
      return await future;
    } finally {
      stopForwarding();
      signal.removeEventListener("abort", cancel);
    }
  }
}

/**
 * Makes a job that calls `fn(...args)` in the main thread, or submits
 * `task.submit(...args)` through a {@linkcode Task} (compute elsewhere). A
 * function job receives a {@linkcode JobContext} as `this`: its `signal`
 * aborts when the flow cancels the job. An argument made by
 * {@linkcode resultOf} becomes a requirement's result.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { Flow, job, type JobContext, Scheduler } from "@baton/baton";
 *
 * async function download(this: JobContext, url: string): Promise<number> {
 *   return url.length;
 * }
 * const scheduler = Scheduler.sequential();
 * const square = scheduler.task((n: number) => n * n);
 * const fetch = job(download, "https://example.com");
 * const prep = job(square, 12);
 * assert.equal(await new Flow(fetch, prep).run(), true);
 * assert.equal(prep.result, 144);
 * ```
 * @category Flow
 */
export function job<A extends unknown[], R>(task: Task<A, R>, ...args: A): Job<Awaited<R>>;
/**
 * Makes a job that calls `fn(...args)` in the main thread.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job } from "@baton/baton";
 * const flow = new Flow();
 * const a = flow.add(job(async () => 1));
 * const b = flow.add(job(async (x: number) => x + 1, 41), { requires: [a] });
 * await flow.run();
 * assert.equal(b.result, 42);
 * ```
 * @category Flow
 */
export function job<A extends unknown[], R>(
  fn: (this: JobContext, ...args: A) => R,
  ...args: A
): Job<Awaited<R>>;
/**
 * Makes a job of a task call or of a main-thread function.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * const squareTask = scheduler.task((x: number) => x * x);
 * const flow = new Flow();
 * const squared = flow.add(job(squareTask, 12));
 * await flow.run();
 * assert.equal(squared.result, 144);
 * ```
 * @category Flow
 */
export function job<A extends unknown[], R>(
  target: Task<A, R> | ((this: JobContext, ...args: A) => R),
  ...args: A
): Job<Awaited<R>> {
  if (target instanceof Task) return new TaskJob(target, args);
  if (typeof target !== "function") {
    throw new TypeError(
      `job() needs a function or a Task, got ${describe(target)}; ` +
        `for a subprocess use command(argv), for a nested flow add the Flow itself`,
    );
  }
  return new FunctionJob(target, args);
}
