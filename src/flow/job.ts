/**
 * Jobs: the nodes of a flow. A job runs once, after its requirements.
 *
 * @module
 */

import { Emitter } from "../events/emitter.ts";
import { functionRef } from "../executors/remote.ts";
import { Task } from "../scheduler/task.ts";
import type { Flow } from "./flow.ts";

/**
 * Where a job is in its life: `idle → scheduled → running → done`.
 *
 * @example
 * ```ts ignore
 * const state: JobState = job.state; // "idle" | "scheduled" | "running" | "done"
 * ```
 */
export type JobState = "idle" | "scheduled" | "running" | "done";

/**
 * What a job can require: a job, a sequence (its last job), or a list of
 * either, nested as deep as you like.
 *
 * @example
 * ```ts ignore
 * flow.add(job(train), { requires: [prepare, Sequence(download, unpack)] });
 * ```
 */
export type Requirement = Job | JobSequence | Iterable<Requirement>;

/**
 * Options of `flow.add(job, options)` and of the job factories.
 *
 * @example
 * ```ts ignore
 * flow.add(job(report), { label: "report", requires: [train], critical: false });
 * ```
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
 * ```ts ignore
 * const definition: JobDefinition = { kind: "command", argv: ["make"], cwd: "/src" };
 * ```
 */
export interface JobDefinition {
  /** The job kind: `function`, `task`, `command`, or your own. */
  readonly kind: string;
  /** Anything else that identifies the computation. */
  readonly [key: string]: unknown;
}

/**
 * What a job function sees as `this`: a signal that aborts when the flow cancels the job.
 *
 * @example
 * ```ts ignore
 * async function poll(this: JobContext) {
 *   while (!this.signal.aborted) await new Promise((r) => setTimeout(r, 1000));
 * }
 * ```
 */
export interface JobContext {
  /** Aborts (with a `JobCancelledError`) when the flow cancels the job. */
  readonly signal: AbortSignal;
}

/**
 * Chained jobs, made by `Sequence(...)`: each requires the one before.
 * Anywhere a job is required, a sequence stands for its last job.
 *
 * @example
 * ```ts ignore
 * const steps = Sequence(job(download), job(unpack), job(train));
 * flow.add(steps);
 * ```
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
  /** Appends a job or a sequence, chained after the last job; returns the sequence. */
  append(...items: (Job | JobSequence)[]): JobSequence;
}

const OPTION_KEYS = new Set(["label", "requires", "critical", "forever", "cache"]);

/** The engine's hooks into jobs; only flows use them. */
export interface JobInternals {
  attach(job: Job, flow: Flow): void;
  setState(job: Job, state: JobState): void;
  succeed(job: Job, result: unknown): void;
  fail(job: Job, error: unknown): void;
  cancel(job: Job): void;
  execute(job: Job, signal: AbortSignal): Promise<unknown>;
  awaitsCancellation(job: Job): boolean;
  dropRequirement(job: Job, requirement: Job): void;
}

/** Set in Job's static block; the flow module uses it. */
export let jobInternals: JobInternals;

/**
 * A node of a {@linkcode Flow}: something to run once, after its
 * requirements. Make one with `job(fn, ...args)`, `job(task, ...args)` or
 * `command(argv)`; a `Flow` is a job too. Subclass it and implement
 * `execute(signal)` for a job of your own.
 *
 * A job belongs to at most one flow, and runs at most once.
 *
 * @example
 * ```ts
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
 * await new Flow(a, b).run(); // true
 * b.result; // 20
 * ```
 */
export abstract class Job<R = unknown> extends Emitter {
  /** Whether a failure of this job fails its flow. */
  critical = true;
  /** Whether the flow does not wait for this job (it is cancelled once the others are done). */
  forever = false;
  /** Whether a stored success with the same definition and inputs stands in for running it. */
  cache = false;
  #label?: string;
  #state: JobState = "idle";
  #result?: R;
  #error?: unknown;
  #failed = false;
  #cancelled = false;
  #flow?: Flow;
  #startedAt?: number;
  #endedAt?: number;
  readonly #requirements = new Set<Job>();

  static {
    jobInternals = {
      attach(job, flow) {
        job.#flow = flow;
      },
      setState(job, state) {
        job.#state = state;
        if (state === "running") job.#startedAt = performance.now();
      },
      succeed(job, result) {
        job.#state = "done";
        job.#result = result as never;
        job.#endedAt = performance.now();
      },
      fail(job, error) {
        job.#state = "done";
        job.#error = error;
        job.#failed = true;
        job.#endedAt = performance.now();
      },
      cancel(job) {
        job.#cancelled = true;
        job.#endedAt = performance.now();
      },
      execute: (job, signal) => job.execute(signal),
      awaitsCancellation: (job) => job.awaitsCancellation,
      dropRequirement(job, requirement) {
        job.#requirements.delete(requirement);
      },
    };
  }

  /**
   * Creates an idle job. `label` may be a function, computed when first
   * read (labels of thousands of jobs are rarely all needed).
   */
  constructor(label?: string | (() => string), options: JobOptions = {}) {
    super(typeof label === "string" ? label : "job");
    if (typeof label === "function") this.#lazyLabel = label;
    else if (label !== undefined) this.label = label;
    this.configure(options);
  }

  #lazyLabel?: () => string;

  /** Display name in listings, graphs and errors. */
  get label(): string {
    if (this.#label === undefined) this.label = this.#lazyLabel?.() ?? this.constructor.name;
    return this.#label!;
  }

  set label(value: string) {
    if (typeof value !== "string") {
      throw new TypeError(`A job label must be a string, got ${JSON.stringify(value)}`);
    }
    this.#label = value;
    // The emitter's name follows the label (set by the emitter, readonly only to callers).
    (this as { name: string }).name = value;
  }

  /** `idle`, `scheduled` (waiting for a window slot), `running` or `done`. */
  get state(): JobState {
    return this.#state;
  }

  /** What the job returned, once done without error. */
  get result(): R | undefined {
    return this.#result;
  }

  /** What the job threw, once done with an error. */
  get error(): unknown {
    return this.#error;
  }

  /** Whether the job is done and threw. */
  get failed(): boolean {
    return this.#failed;
  }

  /**
   * Whether the flow cancelled the job while it was running (timeout,
   * critical failure, or a forever job once the others were done). A
   * cancelled job keeps the state it had, so `isDone()` stays `false`.
   */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** The flow the job was added to, if any. */
  get flow(): Flow | undefined {
    return this.#flow;
  }

  /** The jobs this one requires. */
  get requirements(): ReadonlySet<Job> {
    return this.#requirements;
  }

  /** How long it ran (so far), in milliseconds; `undefined` before it started. */
  get duration(): number | undefined {
    if (this.#startedAt === undefined) return undefined;
    return (this.#endedAt ?? performance.now()) - this.#startedAt;
  }

  /** Whether the job finished, with a result or an error. */
  isDone(): boolean {
    return this.#state === "done";
  }

  /**
   * Makes this job start only after `requirements` are done (a sequence
   * stands for its last job). Returns the job.
   *
   * @throws {Error} when a requirement is the job itself or belongs to another flow.
   */
  requires(...requirements: Requirement[]): this {
    for (const requirement of flattenRequirements(requirements)) {
      if (requirement === (this as Job)) {
        throw new Error(`job "${this.label}" cannot require itself`);
      }
      const theirs = requirement.#flow, ours = this.#flow;
      if (theirs && ours && theirs !== ours) {
        throw new Error(
          `job "${this.label}" (in flow "${ours.label}") cannot require job ` +
            `"${requirement.label}" of flow "${theirs.label}": requirements must stay inside ` +
            `one flow; require the nested flow itself instead`,
        );
      }
      this.#requirements.add(requirement);
    }
    return this;
  }

  /**
   * Applies job options (label, requires, critical, forever); returns the job.
   *
   * @throws {TypeError} naming an unknown option or a value of the wrong type.
   */
  configure(options: JobOptions): this {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `Job options must be an object like { label, requires, critical, forever }, got ${
          String(options)
        }`,
      );
    }
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.has(key)) {
        throw new TypeError(
          `Unknown job option "${key}"; accepted: label, requires, critical, forever, cache`,
        );
      }
    }
    for (const key of ["critical", "forever", "cache"] as const) {
      const value = options[key];
      if (value !== undefined && typeof value !== "boolean") {
        throw new TypeError(
          `Job option ${key} must be true or false, got ${JSON.stringify(value)}`,
        );
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
   * Releases resources the job holds once its flow is over (connections,
   * pools…); called by `flow.shutdown()`. Does nothing by default.
   */
  shutdown(): Promise<void> {
    return Promise.resolve();
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
   * Whether the flow waits for `execute` to settle after cancelling the job
   * (`true` for subprocesses and nested flows, which end promptly and hold
   * resources; `false` for functions, which may ignore their signal).
   */
  protected get awaitsCancellation(): boolean {
    return false;
  }
}

/** Flattens jobs, sequences (their last job) and nested lists into jobs. */
export function flattenRequirements(items: Iterable<Requirement>): Job[] {
  const out: Job[] = [];
  const visit = (item: Requirement): void => {
    if (item instanceof Job) out.push(item);
    else if (isSequence(item)) {
      if (item.last) out.push(item.last);
    } else if (item !== null && typeof item === "object" && Symbol.iterator in item) {
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

/** Marks an object as a sequence. */
export function markSequence<T extends object>(value: T): T {
  Object.defineProperty(value, SEQUENCE, { value: true });
  return value;
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

/** A job that calls an async (or plain) function in the main thread. */
class FunctionJob<A extends unknown[], R> extends Job<Awaited<R>> {
  readonly #fn: (this: JobContext, ...args: A) => R;
  readonly #args: A;

  constructor(fn: (this: JobContext, ...args: A) => R, args: A) {
    super(() => callLabel(fn.name, args));
    this.#fn = fn;
    this.#args = args;
  }

  /** The function's source and arguments (none for a native or bound function). */
  override definition(): JobDefinition | undefined {
    const code = functionIdentity(this.#fn);
    return code && { kind: "function", ...code, args: this.#args };
  }

  protected execute(signal: AbortSignal): Promise<Awaited<R>> {
    // Calling synchronously keeps dispatch cheap; a synchronous throw becomes a rejection.
    try {
      return Promise.resolve(this.#fn.call({ signal }, ...this.#args));
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
 * ```ts ignore
 * const scheduler = Scheduler.withWorkers(2);
 * const square = scheduler.task((x: number) => x * x);
 * const flow = new Flow();
 * flow.add(job(square, 12)); // a TaskJob
 * ```
 */
export class TaskJob<A extends unknown[] = unknown[], R = unknown> extends Job<Awaited<R>> {
  /** The task the call goes through. */
  readonly task: Task<A, R>;
  readonly #args: A;

  /** Creates a job that calls `task.submit(...args)`. */
  constructor(task: Task<A, R>, args: A) {
    super(() => callLabel(task.name, args));
    this.task = task;
    this.#args = args;
  }

  /** The task's function (source, or module and name), arguments, limits and permissions. */
  override definition(): JobDefinition | undefined {
    const code = functionIdentity(this.task.fn);
    return code && {
      kind: "task",
      ...code,
      args: this.#args,
      limits: this.task.limits,
      permissions: this.task.permissions,
    };
  }

  /** Submits the call and awaits its future; cancels the future when `signal` aborts. */
  protected async execute(signal: AbortSignal): Promise<Awaited<R>> {
    signal.throwIfAborted();
    const future = this.task.submit(...this.#args);
    if (!future) {
      throw new Error(
        `task "${this.task.name}" did not accept the call of job "${this.label}": ` +
          `one of its plugins vetoed it`,
      );
    }
    const cancel = () => future.cancel();
    signal.addEventListener("abort", cancel, { once: true });
    try {
      return await future;
    } finally {
      signal.removeEventListener("abort", cancel);
    }
  }
}

/**
 * Makes a job that calls `fn(...args)` in the main thread, or submits
 * `task.submit(...args)` through a {@linkcode Task} (compute elsewhere). A
 * function job receives a {@linkcode JobContext} as `this`: its `signal`
 * aborts when the flow cancels the job.
 *
 * @example
 * ```ts
 * import { Flow, job, type JobContext, Scheduler } from "@baton/baton";
 *
 * async function download(this: JobContext, url: string): Promise<number> {
 *   return url.length;
 * }
 * const scheduler = Scheduler.sequential();
 * const square = scheduler.task((n: number) => n * n);
 * const fetch = job(download, "https://example.com");
 * const prep = job(square, 12);
 * await new Flow(fetch, prep).run(); // true
 * prep.result; // 144
 * ```
 */
export function job<A extends unknown[], R>(task: Task<A, R>, ...args: A): Job<Awaited<R>>;
/**
 * Makes a job that calls `fn(...args)` in the main thread.
 *
 * @example
 * ```ts ignore
 * const flow = new Flow();
 * const a = flow.add(job(async () => 1));
 * flow.add(job(async (x: number) => x + 1, 41), { requires: [a] });
 * await flow.run();
 * ```
 */
export function job<A extends unknown[], R>(
  fn: (this: JobContext, ...args: A) => R,
  ...args: A
): Job<Awaited<R>>;
/**
 * Makes a job of a task call or of a main-thread function.
 *
 * @example
 * ```ts ignore
 * flow.add(job(squareTask, 12));
 * ```
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
