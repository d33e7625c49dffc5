/**
 * Durable runs: a flow run recorded in a {@linkcode RunStore} — every job's
 * state, hashes, result or error, the run's timeline, and each job's
 * output in its log file — so that a later run can resume it (skip what
 * succeeded with the same definition and inputs) and `cache: true` jobs
 * can reuse any stored success.
 *
 * The flow calls in at three points: when a run begins, when a job is
 * about to start (`begin`: may reuse a stored result), and around a job's
 * execution (`execute`: records the outcome, captures the output).
 *
 * @module
 */

import { Flow } from "./flow.ts";
import { CommandError } from "./errors.ts";
import { describe, type Job, type JobDefinition, jobInternals as JI, TaskJob } from "./job.ts";
import type { Future } from "../scheduler/future.ts";
import type { Scheduler } from "../scheduler/scheduler.ts";
import type { AnyTask } from "../scheduler/task.ts";
import { checkOptions, quote } from "../options.ts";
import {
  currentSink,
  type OutputSink,
  prepareCapture,
  runCapturing,
  writeToConsole,
} from "../executors/capture.ts";
import type { OutputStream } from "../wire/messages.ts";
import { forwardsOutput } from "./output.ts";
import { decodeValue, encodeValue, hashOf, sha256 } from "../store/codec.ts";
import { UnstorableResultError } from "../store/errors.ts";
import { LogFiles } from "../store/logs.ts";
import {
  type JobPlan,
  type JobRecord,
  type JobRecordState,
  type JobUpdate,
  RunStore,
  SUCCESS_STATES,
} from "../store/run_store.ts";

/**
 * A piece of a job's output: console output of main-thread jobs,
 * stdout/stderr of commands, console output of task calls.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DurableRun, Flow, job, type JobOutput } from "@baton/baton";
 * const dir = await Deno.makeTempDir();
 * const lines: string[] = [];
 * const onOutput = ({ key, text, stream }: JobOutput) => lines.push(`${key} ${stream} | ${text}`);
 * const flow = new Flow({ label: "demo" });
 * flow.add(job(() => console.log("hello")), { label: "greet" });
 * const run = DurableRun.open(flow, { store: dir, onOutput });
 * await run.run();
 * run.store.close();
 * assert.deepEqual(lines, ["greet stdout | hello\n"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @category Flow
 */
export interface JobOutput {
  /** The job that wrote it. */
  readonly job: Job;
  /** The job's key in the run (`sub/train` in a nested flow): its log file's name. */
  readonly key: string;
  /** The text, as written (not split into lines). */
  readonly text: string;
  /** Where it was written. */
  readonly stream: OutputStream;
}

/**
 * How a job's result was reused instead of running it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, reuseOf } from "@baton/baton";
 * const dir = await Deno.makeTempDir();
 * const make = () => {
 *   const flow = new Flow({ label: "demo", store: dir });
 *   return { flow, answer: flow.add(job(() => 42), { label: "answer" }) };
 * };
 * await make().flow.run();
 * const again = make();
 * await again.flow.run({ resume: true });
 * // skipped on resume: run 1 did it already
 * assert.deepEqual(reuseOf(again.answer), { run: "1", cached: false });
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @category Flow
 */
export interface Reuse {
  /** The run whose stored result stands in. */
  readonly run: string;
  /** `true` for a `cache: true` hit, `false` for a job skipped on resume. */
  readonly cached: boolean;
}

/**
 * Options of `flow.run(options)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job } from "@baton/baton";
 * const dir = await Deno.makeTempDir();
 * let calls = 0;
 * const make = () => new Flow(job(() => ++calls), { label: "nightly", store: dir });
 * await make().run();
 * await make().run({ resume: true }); // skip what the latest run of this flow did already
 * assert.equal(calls, 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @category Flow
 */
export interface FlowRunOptions {
  /**
   * Needs a run store (`new Flow({ store })`). `true`: resume the latest run
   * of this flow (same label) in the store; a run id: resume that run. Jobs
   * that succeeded there with the same definition and inputs are not run
   * again: their stored results stand in.
   */
  resume?: boolean | string | number;
  /** `false` ignores stored successes for `cache: true` jobs (they run); default `true`. */
  cache?: boolean;
}

/**
 * Options of {@linkcode DurableRun.open}: what `flow.run()` does with a
 * store, plus what a program such as the CLI needs to show the run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DurableRun, Flow, job, RunStore } from "@baton/baton";
 * const dir = await Deno.makeTempDir();
 * const store = RunStore.open(dir);
 * const flow = new Flow(job(() => 1), { label: "flow" });
 * const warnings: string[] = [];
 * const run = DurableRun.open(flow, {
 *   store,
 *   workflow: "/abs/flow.yaml",
 *   resume: true,
 *   onWarning: (message) => warnings.push(message),
 * });
 * assert.equal(await run.run(), true);
 * assert.match(warnings[0], /no earlier run of "\/abs\/flow.yaml"/);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @category Flow
 */
export interface DurableRunOptions extends FlowRunOptions {
  /** The store, or its directory. */
  store: RunStore | string;
  /** What identifies the workflow for `resume: true` (default: the flow's label). */
  workflow?: string;
  /** A hash of the workflow's source, recorded with the run. */
  workflowHash?: string;
  /**
   * Receives every piece of job output (after it is written to the log).
   * Without it, console output of main-thread jobs still reaches the
   * console as before, and other output only goes to the logs.
   */
  onOutput?: (output: JobOutput) => void;
  /** Receives warnings (log or store writes that failed); default: stderr. */
  onWarning?: (message: string) => void;
}

const RUN_OPTIONS = ["resume", "cache"];
const OPEN_OPTIONS = ["store", "workflow", "workflowHash", "onOutput", "onWarning", ...RUN_OPTIONS];
const HANDLER = { hidden: true, name: "baton-store" };
/** SQLite's default limit on a value (SQLITE_MAX_LENGTH). */
const MAX_RESULT_BYTES = 1_000_000_000;

const flowStores = new WeakMap<Flow, RunStore | string>();
const pending = new WeakMap<Flow, DurableRun>();
const active = new WeakMap<Flow, DurableRun>();
const reuses = new WeakMap<Job, Reuse>();

/**
 * How a job's stored result was reused in its run (skipped on resume, or
 * a cache hit); `undefined` when it ran (or there was no store).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, reuseOf } from "@baton/baton";
 * const dir = await Deno.makeTempDir();
 * const make = () => {
 *   const flow = new Flow({ label: "demo", store: dir });
 *   return { flow, answer: flow.add(job(() => 42), { label: "answer" }) };
 * };
 * await make().flow.run();
 * const again = make();
 * await again.flow.run({ resume: true });
 * assert.deepEqual(reuseOf(again.answer), { run: "1", cached: false });
 * assert.equal(again.answer.result, 42);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @category Flow
 */
export function reuseOf(job: Job): Reuse | undefined {
  return reuses.get(job);
}

/** Remembers the `store` option of a flow. */
export function setFlowStore(flow: Flow, store: unknown): void {
  if (!(store instanceof RunStore) && (typeof store !== "string" || store === "")) {
    throw new TypeError(
      `Flow option store must be a directory path (like ".baton") or a RunStore, got ${
        quote(store)
      }`,
    );
  }
  flowStores.set(flow, store);
}

/**
 * The durable run for `flow.run(options)`: one opened by a program
 * (`DurableRun.run()`), one made from the flow's `store` option, or none.
 *
 * @throws {TypeError} for unknown options, or `resume` without a store.
 */
export function durableRunFor(flow: Flow, options: FlowRunOptions): DurableRun | undefined {
  checkOptions(options, RUN_OPTIONS, "flow.run()");
  const opened = pending.get(flow);
  if (opened) {
    pending.delete(flow);
    return opened;
  }
  const store = flowStores.get(flow);
  if (store === undefined) {
    if (options.resume !== undefined && options.resume !== false) {
      throw new TypeError(
        `flow.run({ resume }) needs a run store: create the flow with ` +
          `new Flow({ store: ".baton" }) (flow "${flow.label}" has none)`,
      );
    }
    return undefined;
  }
  // The flow opened the store for this run only: the run closes it when it ends.
  const durable = DurableRun.open(flow, { store, ...options });
  if (typeof store === "string") ownedStores.add(durable);
  return durable;
}

const ownedStores = new WeakSet<DurableRun>();

/** The durable run a flow (or its outer flow) is in, if any. */
export function activeRun(flow: Flow): DurableRun | undefined {
  let top: Flow = flow;
  while (top.flow) top = top.flow;
  return active.get(top);
}

/** What the flow calls; not public API. */
export interface DurableHooks {
  /** Runs the whole flow (`run` is the flow's own run) and records its end. */
  around(durable: DurableRun, run: () => Promise<boolean>): Promise<boolean>;
  /** A job is about to start: the stored result that stands in for it, or `undefined` to run it. */
  begin(durable: DurableRun, job: Job): Promise<unknown> | undefined;
  /** Runs a job's work (`jobInternals.start`), recording its outcome and capturing its output. */
  execute(durable: DurableRun, job: Job): Promise<unknown>;
}

/** Set in DurableRun's static block. */
export let durableHooks: DurableHooks;

/** Which run and job a console sink writes for (the sink is the async scope's value). */
const sinkOwners = new WeakMap<OutputSink, { readonly run: DurableRun; readonly job: Job }>();

interface Hashes {
  readonly definition?: string;
  readonly inputs: string;
}

function isCommandResult(value: unknown): value is { stdout: string; stderr: string } {
  return typeof value === "object" && value !== null &&
    typeof (value as { stdout?: unknown }).stdout === "string" &&
    typeof (value as { stderr?: unknown }).stderr === "string" &&
    typeof (value as { code?: unknown }).code === "number";
}

function errorRecord(error: unknown): { name: string; message: string; stack?: string } {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, stack: error.stack };
  }
  return { name: "Error", message: describe(error, 500) };
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split("\n")[0];
}

function declares(emitter: { events: readonly { toString(): string }[] }, name: string): boolean {
  return emitter.events.some((event) => String(event) === name);
}

/**
 * One run of a flow recorded in a run store. `flow.run()` makes one by
 * itself when the flow has a `store`; a program that wants the run id,
 * the job output or the warnings before the run opens it and runs it:
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DurableRun, Flow, job } from "@baton/baton";
 * const dir = await Deno.makeTempDir();
 * const flow = new Flow({ label: "demo" });
 * flow.add(job(() => console.log("hello")), { label: "greet" });
 * const seen: string[] = [];
 * const run = DurableRun.open(flow, {
 *   store: dir,
 *   onOutput: ({ key, text }) => seen.push(`${key} | ${text}`),
 * });
 * assert.equal(await run.run(), true);
 * assert.deepEqual(seen, ["greet | hello\n"]);
 * assert.equal(run.store.readLog(run.id, "greet"), "hello\n");
 * run.store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @category Flow
 */
export class DurableRun {
  /**
   * The store the run is recorded in. Opened from a path by
   * `DurableRun.open`, it stays open after the run: close it when done.
   */
  readonly store: RunStore;
  /** The flow. */
  readonly flow: Flow;
  /** The run id (it names the run's folder of logs). */
  readonly id: string;
  /** The run it resumes, if any. */
  readonly resumedFrom?: string;
  /** The folder of the run's log files. */
  readonly logsFolder: string;
  readonly #options: DurableRunOptions;
  readonly #keys = new Map<Job, string>();
  readonly #definitions = new Map<Job, JobDefinition | undefined>();
  readonly #hashes = new Map<Job, Hashes>();
  readonly #outputs = new Map<Job, string>();
  readonly #futures = new Map<Job, Future[]>();
  readonly #jobOfFuture = new WeakMap<Future, Job>();
  readonly #prior = new Map<string, JobRecord>();
  readonly #logs: LogFiles;
  readonly #warned = new Set<string>();
  #seq = 0;
  readonly #queued: (() => void)[] = [];
  #ended = false;
  /** Whether the queued writes hold a job's outcome (what a resume relies on). */
  #outcomePending = false;
  #storeFailed = false;
  /** Jobs whose output came as `job-output` events: their results' output is not logged again. */
  readonly #streamed = new WeakSet<Job>();

  static {
    durableHooks = {
      around: (durable, run) => durable.#around(run),
      begin: (durable, job) => durable.#begin(job),
      execute: (durable, job) => durable.#execute(job),
    };
  }

  /**
   * Opens a run of `flow` in the store: resolves what it resumes, records
   * the run and its jobs. Nothing runs until {@linkcode DurableRun.run}.
   *
   * @throws {StoreError} when the store cannot be used.
   * @throws {UnknownRunError} when `resume` names a run the store does not know.
   * @throws {TypeError} for unknown or bad options.
   */
  static open(flow: Flow, options: DurableRunOptions): DurableRun {
    checkOptions(options, OPEN_OPTIONS, "DurableRun.open()");
    if (!(flow instanceof Flow)) {
      throw new TypeError(`DurableRun.open() needs a Flow, got ${quote(flow)}`);
    }
    if (flow.flow) {
      throw new Error(
        `flow "${flow.label}" is nested in flow "${flow.flow.label}": run the outer flow`,
      );
    }
    const { resume, cache } = options;
    if (
      resume !== undefined && typeof resume !== "boolean" &&
      !(typeof resume === "string" && /^(\d+|latest)$/.test(resume)) &&
      !(typeof resume === "number" && Number.isSafeInteger(resume) && resume > 0)
    ) {
      throw new TypeError(
        `resume must be true, false, "latest" or a run id (a positive integer), got ${
          quote(resume)
        }`,
      );
    }
    if (cache !== undefined && typeof cache !== "boolean") {
      throw new TypeError(`cache must be true or false, got ${quote(cache)}`);
    }
    const opened = !(options.store instanceof RunStore);
    const store = options.store instanceof RunStore ? options.store : RunStore.open(options.store);
    try {
      return new DurableRun(flow, store, options);
    } catch (error) {
      if (opened) store.close();
      throw error;
    }
  }

  private constructor(flow: Flow, store: RunStore, options: DurableRunOptions) {
    this.flow = flow;
    this.store = store;
    this.#options = options;
    const workflow = options.workflow ?? flow.label;
    const resume = options.resume;
    if (resume !== undefined && resume !== false) {
      const from = resume === true
        ? store.runs({ workflow, limit: 1 })[0]
        : store.requireRun(resume, workflow);
      if (from) {
        this.resumedFrom = from.id;
        for (const job of store.jobs(from.id)) this.#prior.set(job.key, job);
      } else {
        this.#warn(
          "no-resume",
          `no earlier run of ${
            JSON.stringify(workflow)
          } in ${store.path} to resume: every job runs`,
        );
      }
    }
    const plans = this.#plan(flow, "", 0);
    this.id = store.createRun({
      workflow,
      workflowHash: options.workflowHash,
      label: flow.label,
      resumedFrom: this.resumedFrom,
      jobs: plans,
    });
    this.logsFolder = store.logsFolder(this.id);
    this.#logs = new LogFiles(store.path, this.logsFolder, {
      created: (key, file) =>
        this.#record(() => this.store.updateJob(this.id, key, { logFile: file })),
      failed: (key, file, error) => this.#logFailed(key, file, error),
    });
    this.#event("run-started", undefined, { workflow, resumedFrom: this.resumedFrom });
  }

  /** Runs the flow (its `run()`), recorded in the store. Resolves and rejects as `flow.run()`. */
  run(): Promise<boolean> {
    pending.set(this.flow, this);
    return this.flow.run();
  }

  /** The key of a job in this run (its log file's name, `JOB` in `baton logs RUN JOB`). */
  keyOf(job: Job): string | undefined {
    return this.#keys.get(job);
  }

  /** The latest call a task job submitted in this run, once it has submitted one. */
  futureOf(job: Job): Future | undefined {
    return this.#futures.get(job)?.at(-1);
  }

  /** Keys of the jobs whose log file lost output (disk full, I/O error). */
  get incompleteLogs(): string[] {
    return [...this.#logs.incomplete];
  }

  /** Whether some record of the run could not be written to the store. */
  get recordIncomplete(): boolean {
    return this.#storeFailed;
  }

  /**
   * Takes a piece of a job's output: appends it to the job's log, then hands
   * it to `onOutput` (or, for console output when there is none, to the console).
   */
  output(job: Job, text: string, stream: OutputStream, fromConsole = false): void {
    const key = this.#keys.get(job);
    if (key === undefined || text === "" || this.#ended) return;
    this.#logs.write(key, text);
    const onOutput = this.#options.onOutput;
    if (onOutput) {
      try {
        onOutput({ job, key, text, stream });
      } catch (error) {
        this.#warn("on-output", `onOutput threw: ${oneLine(error)}`);
      }
    } else if (fromConsole) writeToConsole(text, stream);
  }

  #plan(flow: Flow, prefix: string, depth: number, parent?: string): JobPlan[] {
    const plans: JobPlan[] = [];
    const local = new Map<Job, string>();
    const used = new Map<string, number>();
    for (const job of flow.jobs) {
      const label = job.label.replaceAll("/", "_");
      const n = (used.get(label) ?? 0) + 1;
      used.set(label, n);
      local.set(job, prefix + (n === 1 ? label : `${label}#${n}`));
    }
    let order: Job[];
    try {
      order = flow.topologicalOrder();
    } catch {
      order = [...flow.jobs]; // a cycle: the run will refuse to start, the record stays readable
    }
    for (const job of order) {
      const key = local.get(job)!;
      this.#keys.set(job, key);
      let definition: JobDefinition | undefined;
      if (!(job instanceof Flow)) {
        try {
          definition = job.definition();
        } catch (error) {
          this.#warn(
            `definition-${key}`,
            `job ${JSON.stringify(key)}: definition() threw (${oneLine(error)}); it always runs`,
          );
        }
      }
      this.#definitions.set(job, definition);
      if (job.cache && definition === undefined && !(job instanceof Flow)) {
        this.#warn(
          `cache-${key}`,
          `job ${JSON.stringify(key)} has cache: true but no definition(), so it always runs`,
        );
      }
      plans.push({
        key,
        label: job.label,
        kind: job instanceof Flow ? "flow" : definition?.kind ?? job.constructor.name,
        position: 0,
        depth,
        parent,
        requires: [...job.requirements].map((r) => local.get(r)).filter((k) => k !== undefined),
        critical: job.critical,
        forever: job.forever,
        cache: job.cache,
      });
      if (job instanceof Flow) plans.push(...this.#plan(job, `${key}/`, depth + 1, key));
    }
    if (depth === 0) return plans.map((plan, position) => ({ ...plan, position }));
    return plans;
  }

  async #around(run: () => Promise<boolean>): Promise<boolean> {
    const flow = this.flow;
    active.set(flow, this);
    // The console of main-thread jobs is told apart by job from here on.
    await prepareCapture({ stdio: false });
    const handlers = this.#follow();
    let ok = false;
    let failure: unknown;
    try {
      ok = await run();
      return ok;
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      for (const handler of handlers) handler.remove();
      active.delete(flow);
      const why = flow.why();
      this.#event("run-ended", undefined, { ok, why });
      this.#record(() =>
        this.store.finishRun(this.id, {
          state: ok ? "ok" : why.startsWith("STOPPED") ? "stopped" : "failed",
          why,
          error: failure === undefined ? undefined : oneLine(failure),
          listing: flow.list(),
        })
      );
      this.#commit();
      this.#ended = true;
      this.#logs.close();
      if (ownedStores.has(this)) this.store.close();
    }
  }

  /** Subscribes to what the run's timeline and the logs need; returns the handlers. */
  #follow(): { remove(): void }[] {
    const handlers: { remove(): void }[] = [];
    const schedulers = new Set<Scheduler>();
    const tasks = new Set<AnyTask>();
    const guard = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A) => {
      try {
        fn(...args);
      } catch (error) {
        this.#warn("handler", `recording the run failed: ${oneLine(error)}`);
      }
    };
    const visit = (flow: Flow): void => {
      handlers.push(
        flow.onJobScheduled(
          guard((job) => this.#event("job-scheduled", this.#keys.get(job))),
          HANDLER,
        ),
        flow.onJobStarted(
          guard((job) => {
            const reuse = reuses.get(job);
            if (reuse) {
              this.#event(reuse.cached ? "job-cached" : "job-skipped", this.#keys.get(job), {
                from: reuse.run,
              });
            } else this.#event("job-started", this.#keys.get(job));
          }),
          HANDLER,
        ),
        flow.onJobDone(
          guard((job) => {
            if (reuses.has(job)) return;
            this.#event("job-done", this.#keys.get(job), {
              duration: Math.round(job.duration ?? 0),
            });
          }),
          HANDLER,
        ),
        flow.onJobFailed(
          guard((job, error) => {
            const key = this.#keys.get(job);
            if (key === undefined) return;
            this.#event("job-failed", key, {
              duration: Math.round(job.duration ?? 0),
              error: oneLine(error),
            });
            this.#update(key, {
              state: "failed",
              endedAt: Date.now(),
              error: errorRecord(error),
              attempts: this.#attempts(job),
            });
          }),
          HANDLER,
        ),
        flow.onJobCancelled(
          guard((job) => {
            const key = this.#keys.get(job);
            if (key === undefined) return;
            this.#event("job-cancelled", key);
            this.#update(key, {
              state: "cancelled",
              endedAt: Date.now(),
              attempts: this.#attempts(job),
            });
          }),
          HANDLER,
        ),
        flow.onFlowDone(
          guard((ok, why) => {
            this.#event("flow-done", this.#keys.get(flow), { ok, why });
          }),
          HANDLER,
        ),
      );
      if (declares(flow, "job-output")) {
        handlers.push(
          flow.on(
            "job-output",
            guard((job: Job, text: string, stream: OutputStream) => {
              // job-output goes up to every outer flow: taken once, on the job's own flow.
              if (job.flow !== flow) return;
              this.#streamed.add(job);
              this.output(job, text, stream);
            }),
            HANDLER,
          ),
        );
      }
      for (const job of flow.jobs) {
        if (job instanceof Flow) visit(job);
        else if (job instanceof TaskJob) {
          schedulers.add(job.task.scheduler);
          tasks.add(job.task);
        }
      }
    };
    visit(this.flow);
    for (const scheduler of schedulers) {
      // Submissions are synchronous inside a job's scope: that says whose call it is.
      handlers.push(scheduler.onFutureSubmitted((future) => {
        const sink = currentSink();
        const owner = sink && sinkOwners.get(sink);
        if (!owner || owner.run !== this) return;
        const list = this.#futures.get(owner.job);
        if (list) list.push(future);
        else this.#futures.set(owner.job, [future]);
        this.#jobOfFuture.set(future, owner.job);
      }, HANDLER));
    }
    for (const task of tasks) {
      // Console output of calls, from executors that capture it on the compute side. A task
      // job forwards its own call's output as job-output (taken above); this takes the rest
      // (calls that a job's main-thread code submits, output before the job forwards it).
      if (!declares(task, "output")) continue;
      handlers.push(
        task.on(
          "output",
          guard((future: Future, text: string, stream: OutputStream) => {
            const job = this.#jobOfFuture.get(future);
            if (job && !forwardsOutput(task, future)) this.output(job, text, stream);
          }),
          HANDLER,
        ),
      );
    }
    return handlers;
  }

  #begin(job: Job): Promise<unknown> | undefined {
    const key = this.#keys.get(job);
    if (key === undefined) return undefined; // added after the run was opened
    const definition = this.#definitions.get(job);
    const hashes: Hashes = {
      definition: definition === undefined ? undefined : hashOf(definition),
      inputs: this.#inputsHash(job),
    };
    this.#hashes.set(job, hashes);
    if (hashes.definition !== undefined) {
      const before = this.#prior.get(key);
      if (
        before && this.resumedFrom !== undefined && SUCCESS_STATES.includes(before.state) &&
        before.definitionHash === hashes.definition && before.inputsHash === hashes.inputs
      ) {
        const reused = this.#reuse(job, key, hashes, this.resumedFrom, before.key, false);
        if (reused) return reused;
      }
      if (job.cache && this.#options.cache !== false) {
        const hit = this.#read(() =>
          this.store.findSuccess(hashes.definition!, hashes.inputs, this.id)
        );
        if (hit) {
          const reused = this.#reuse(job, key, hashes, hit.run, hit.key, true);
          if (reused) return reused;
        }
      }
    }
    this.#update(key, {
      state: "running",
      startedAt: Date.now(),
      definitionHash: hashes.definition ?? null,
      inputsHash: hashes.inputs,
    });
    return undefined;
  }

  #reuse(
    job: Job,
    key: string,
    hashes: Hashes,
    run: string,
    from: string,
    cached: boolean,
  ): Promise<unknown> | undefined {
    const bytes = this.#read(() => this.store.resultBytes(run, from));
    if (!bytes) return undefined;
    let value: unknown;
    try {
      value = decodeValue(bytes);
    } catch {
      return undefined; // unreadable: run it
    }
    reuses.set(job, { run, cached });
    const output = this.#outputHash(job, hashes, sha256(bytes));
    this.#outputs.set(job, output);
    const now = Date.now();
    this.#update(key, {
      state: cached ? "cached" : "skipped",
      startedAt: now,
      endedAt: now,
      definitionHash: hashes.definition ?? null,
      inputsHash: hashes.inputs,
      outputHash: output,
      result: bytes,
      resultSummary: describe(value, 80),
      reusedFrom: run,
    });
    return Promise.resolve(value);
  }

  #execute(job: Job): Promise<unknown> {
    // Finished jobs are recorded before more code runs, which may be long and synchronous.
    if (this.#outcomePending) this.#commit();
    let promise: Promise<unknown>;
    try {
      const sink: OutputSink = (text, stream) => this.output(job, text, stream, true);
      sinkOwners.set(sink, { run: this, job });
      promise = runCapturing(sink, () => JI.start(job));
    } catch (error) {
      promise = Promise.reject(error);
    }
    return promise.then(
      (value) => this.#succeeded(job, value),
      (error) => {
        if (!this.#streamed.has(job) && error instanceof CommandError) {
          this.output(job, error.stdout, "stdout");
          this.output(job, error.stderr, "stderr");
        }
        throw error;
      },
    );
  }

  #succeeded(job: Job, value: unknown): unknown {
    const key = this.#keys.get(job);
    if (key === undefined || job.cancelled) return value;
    const kind = this.#definitions.get(job)?.kind;
    if (
      !this.#streamed.has(job) && (kind === "command" || kind === "run") && isCommandResult(value)
    ) {
      this.output(job, value.stdout, "stdout");
      this.output(job, value.stderr, "stderr");
    }
    let bytes: Uint8Array;
    try {
      bytes = encodeValue(value);
    } catch (error) {
      throw new UnstorableResultError(key, error);
    }
    const hashes = this.#hashes.get(job) ?? { inputs: this.#inputsHash(job) };
    const output = this.#outputHash(job, hashes, sha256(bytes));
    this.#outputs.set(job, output);
    if (bytes.byteLength > MAX_RESULT_BYTES) {
      throw new UnstorableResultError(
        key,
        new RangeError(
          `it takes ${bytes.byteLength} bytes; a row holds at most ${MAX_RESULT_BYTES}`,
        ),
      );
    }
    this.#update(key, {
      state: "succeeded",
      endedAt: Date.now(),
      outputHash: output,
      result: bytes,
      resultSummary: describe(value, 80),
      attempts: this.#attempts(job),
    });
    return value;
  }

  /** What a job's successors see of it: its definition, inputs and result (children for a flow). */
  #outputHash(job: Job, hashes: Hashes, resultHash: string): string {
    if (job instanceof Flow) {
      return hashOf([
        "flow",
        this.#keys.get(job),
        hashes.inputs,
        job.jobs.map((j) => [this.#keys.get(j), this.#outputs.get(j) ?? `!${stateOf(j)}`]),
      ]);
    }
    return hashOf([
      hashes.definition ?? `opaque:${this.#keys.get(job)}`,
      hashes.inputs,
      resultHash,
    ]);
  }

  #inputsHash(job: Job): string {
    const inputs = [...job.requirements]
      .map((r) => [this.#keys.get(r) ?? r.label, this.#outputs.get(r) ?? `!${stateOf(r)}`])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return hashOf(inputs);
  }

  #attempts(job: Job): number {
    const calls = this.#futures.get(job)?.length ?? 0;
    if (calls > 0) return calls;
    const own = (job as { attempts?: unknown }).attempts;
    return typeof own === "number" ? own : 1;
  }

  #event(type: string, job?: string, data?: Record<string, unknown>): void {
    const seq = ++this.#seq;
    this.#record(() => this.store.addEvent(this.id, seq, type, job, data));
  }

  #update(key: string, update: JobUpdate): void {
    this.#record(() => this.store.updateJob(this.id, key, update));
    if (update.state !== undefined && update.state !== "running") this.#outcomePending = true;
  }

  /**
   * Queues a write. Queued writes are committed together at the end of
   * this burst of events (a microtask), or before a job's code runs when
   * an outcome is queued, whichever comes first. No transaction stays open
   * between two turns, so runs in one process never wait on each other.
   */
  #record(write: () => void): void {
    if (this.#ended) return; // a late outcome of a cancelled job, after the record was closed
    if (this.#queued.push(write) === 1) queueMicrotask(() => this.#commit());
  }

  #commit(): void {
    if (this.#queued.length === 0) return;
    const writes = this.#queued.splice(0);
    this.#outcomePending = false;
    try {
      this.store.batch(() => {
        for (const write of writes) {
          try {
            write();
          } catch (error) {
            this.#storeWriteFailed(error); // that record only
          }
        }
      });
    } catch (error) {
      this.#storeWriteFailed(error);
    }
  }

  #read<T>(read: () => T): T | undefined {
    try {
      return read();
    } catch (error) {
      this.#storeWriteFailed(error);
      return undefined;
    }
  }

  #storeWriteFailed(error: unknown): void {
    this.#storeFailed = true;
    this.#warn(
      "store",
      `cannot record in the run store ${this.store.path}: ${oneLine(error)}; the run goes on, ` +
        `but its record is incomplete (a resume may run more jobs again)`,
    );
  }

  #logFailed(key: string, file: string, error: unknown): void {
    this.#record(() => this.store.updateJob(this.id, key, { logIncomplete: true }));
    this.#record(() => this.store.markLogsIncomplete(this.id));
    this.#event("logs-incomplete", key, { file, error: oneLine(error) });
    this.#warn(
      `log-${key}`,
      `cannot write the log of job ${JSON.stringify(key)} (${file}): ${oneLine(error)}; the run ` +
        `goes on, its logs are incomplete`,
    );
  }

  #warn(id: string, message: string): void {
    if (this.#warned.has(id)) return;
    this.#warned.add(id);
    const onWarning = this.#options.onWarning;
    if (onWarning) onWarning(message);
    else writeToConsole(`baton: ${message}\n`, "stderr");
  }
}

function stateOf(job: Job): JobRecordState {
  if (job.failed) return "failed";
  if (job.cancelled) return "cancelled";
  return job.state === "done" ? "succeeded" : job.state === "running" ? "running" : "idle";
}
