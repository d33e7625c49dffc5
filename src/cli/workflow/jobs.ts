/**
 * The two job kinds a workflow file adds to the library's: a command and a
 * module function, both with retries after a backoff, announced on their
 * flow as `job-retry` events.
 *
 * @module
 */

import { Event } from "../../events/event.ts";
import { LimitError } from "../../executors/errors.ts";
import { command, type CommandOptions, type CommandResult } from "../../flow/command.ts";
import {
  functionIdentity,
  Job,
  type JobDefinition,
  jobInternals,
  TaskJob,
} from "../../flow/job.ts";
import { backoffDelay } from "../../plugins/backoff.ts";
import { CancelledError } from "../../scheduler/errors.ts";
import type { Task } from "../../scheduler/task.ts";
import { startTimer, stopTimer } from "../../timers.ts";
import { resolveArgs } from "../../flow/results.ts";
import type { ModuleJobSpec, RetrySpec, RunJobSpec } from "./types.ts";
import { FromArg } from "./types.ts";

/**
 * Emitted on a job's flow when a failed attempt will be retried: (job,
 * error, attempt, delayMs). `attempt` is the number of the attempt that
 * failed (1 for the first), so it is also the number of the retry to come;
 * `delayMs` is the wait before it. The monitor sees it like every flow event.
 *
 * @example
 * ```ts
 * import { Flow } from "@baton/baton";
 * import { JOB_RETRY } from "./jobs.ts";
 * const flow = new Flow();
 * const lines: string[] = [];
 * flow.on(JOB_RETRY, (job, error, attempt, delayMs) => {
 *   lines.push(`${job.label}: retry ${attempt} in ${delayMs}ms after ${error}`);
 * });
 * ```
 */
export const JOB_RETRY: Event<[job: Job, error: unknown, attempt: number, delayMs: number]> =
  new Event("job-retry");

/** How far a job's attempts have gone: what the progress views show. */
export interface RetryState {
  /** Attempts started so far. */
  readonly attempts: number;
  /** Retries announced so far (0 until the first failure that is retried). */
  readonly retried: number;
  /** The most retries allowed. */
  readonly retries: number;
}

/** Whether `job` is a workflow job that can retry (it has a `retry` state). */
export function isRetrying(job: Job): job is Job & { readonly retry: RetryState } {
  return job instanceof RunJob || job instanceof ModuleJob;
}

/**
 * Whether a failure is worth another attempt: not a cancellation, and not
 * a limit error (a job over its time or memory limit would hit it again),
 * as with the `Retry` plugin.
 */
function retriable(error: unknown, signal: AbortSignal): boolean {
  return !signal.aborted && !(error instanceof LimitError) && !(error instanceof CancelledError);
}

/** Waits `ms`, or rejects with the signal's reason once it aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      stopTimer(timer);
      reject(signal.reason);
    };
    const timer = startTimer(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Keeps the attempt count of a job and runs its attempts with backoff between them. */
class Attempts implements RetryState {
  attempts = 0;
  retried = 0;
  readonly retries: number;

  constructor(readonly policy: RetrySpec) {
    this.retries = policy.retries;
  }

  /** Runs the attempts; `retrying(error)` is told of each failure that gets another attempt. */
  async run<R>(
    job: Job,
    signal: AbortSignal,
    attempt: () => Promise<R>,
    retrying?: (error: unknown) => void,
  ): Promise<R> {
    for (;;) {
      signal.throwIfAborted();
      this.attempts++;
      try {
        return await attempt();
      } catch (error) {
        if (this.retried >= this.retries || !retriable(error, signal)) throw error;
        this.retried++;
        retrying?.(error);
        const delay = backoffDelay(this.policy.backoff, this.retried);
        job.flow?.emit(JOB_RETRY, job, error, this.attempts, delay);
        await pause(delay, signal);
      }
    }
  }
}

/** A `run:` job: a fresh `command()` job per attempt, so retries start a new process. */
export class RunJob extends Job<CommandResult> {
  /** The command line. */
  readonly argv: readonly string[];
  readonly #options: CommandOptions;
  readonly #attempts: Attempts;

  /**
   * Creates the job; builds one command job now so that bad options fail here.
   *
   * @throws {TypeError} when the command options are refused (see `command()`).
   */
  constructor(spec: RunJobSpec) {
    super(spec.id);
    this.argv = spec.argv;
    this.#options = {
      cwd: spec.cwd,
      env: spec.env,
      limits: spec.limits.wallTime === undefined ? undefined : { wallTime: spec.limits.wallTime },
      permissions: spec.permissions,
    };
    this.#attempts = new Attempts(spec.retry);
    this.#definition = { ...command(this.argv, this.#options).definition(), kind: "run" };
  }

  readonly #definition: JobDefinition;

  /** Its command's argv, working directory, extra environment and wall time (not retries). */
  override definition(): JobDefinition {
    return this.#definition;
  }

  /** How far its attempts have gone. */
  get retry(): RetryState {
    return this.#attempts;
  }

  /** Attempts started so far: what the run store records for the job. */
  get attempts(): number {
    return this.#attempts.attempts;
  }

  /** Its process must be killed and reaped before the flow ends. */
  protected override get awaitsCancellation(): boolean {
    return true;
  }

  protected execute(signal: AbortSignal): Promise<CommandResult> {
    return this.#attempts.run(this, signal, () => {
      const attempt = command(this.argv, this.#options);
      // Each attempt's output streams as this job's own (job-output): every attempt is logged.
      jobInternals.forwardOutput(attempt, this);
      return jobInternals.execute(attempt, signal) as Promise<CommandResult>;
    });
  }
}

/**
 * A `module:` job: one call of a task on the run's scheduler, with the
 * results of other jobs in place of `{ from: <job> }` arguments.
 */
export class ModuleJob extends TaskJob<unknown[], unknown> {
  readonly #spec: ModuleJobSpec;
  readonly #jobs: ReadonlyMap<string, Job>;
  readonly #attempts: Attempts;

  /** Creates the job; `jobs` finds the file's built jobs by id, for `{ from }` arguments. */
  constructor(
    task: Task<unknown[], unknown>,
    spec: ModuleJobSpec,
    jobs: ReadonlyMap<string, Job>,
  ) {
    super(task, []);
    this.label = spec.id;
    this.#spec = spec;
    this.#jobs = jobs;
    this.#attempts = new Attempts(spec.retry);
  }

  /**
   * The module URL, the export and its source (the function's own code, not
   * the rest of the module), the arguments (`{ from }` as written: their
   * values are inputs), the `with:` object, limits and permissions.
   */
  override definition(): JobDefinition {
    const spec = this.#spec;
    return {
      kind: "module",
      module: spec.moduleUrl,
      source: functionIdentity(this.task.fn)?.source,
      export: spec.exportName,
      args: spec.args,
      ...(spec.with ? { with: spec.with } : {}),
      limits: spec.limits,
      permissions: spec.permissions,
    };
  }

  /** How far its attempts have gone. */
  get retry(): RetryState {
    return this.#attempts;
  }

  /** Attempts started so far: what the run store records for the job. */
  get attempts(): number {
    return this.#attempts.attempts;
  }

  /** The arguments of the call: requirements are done by now, so their results are there. */
  arguments(): unknown[] {
    // The library's placeholders pass the results, as resultOf() does.
    const ref = (v: unknown) => v instanceof FromArg ? v.toResultRef(this.#jobs) : v;
    const args = this.#spec.args.map(ref);
    const named = this.#spec.with;
    if (named) args.push(Object.fromEntries(Object.entries(named).map(([k, v]) => [k, ref(v)])));
    return resolveArgs(args);
  }

  protected override execute(signal: AbortSignal): Promise<unknown> {
    const args = this.arguments();
    // Through the task job's own calls, so that what a call writes is this job's output.
    return this.#attempts.run(this, signal, () => this.awaitCall(this.submitCall(args), signal));
  }
}
