/**
 * What a batch scheduler (Slurm, Grid Engine) must offer the HPC executor:
 * submit a worker job, cancel jobs, list them, say why one ended, and write
 * its job script. Everything else — the endpoint, dispatch, adaptive
 * scaling, loss and cleanup — is the same for every engine.
 *
 * @module
 */

import type { JobLostError } from "./errors.ts";

/**
 * A job as the engine lists it, in the executor's words.
 *
 * @example
 * ```ts
 * import type { QueuedJob } from "./engine.ts";
 * const job: QueuedJob = { jobId: "42", state: "RUNNING", reason: "None", node: "node7" };
 * ```
 * @category Distributed
 */
export interface QueuedJob {
  /** The job id. */
  readonly jobId: string;
  /**
   * The state: Slurm's own (`PENDING`, `RUNNING`, `COMPLETING`, `CANCELLED`,
   * `TIMEOUT`, `NODE_FAIL`…); Grid Engine's codes are mapped to the same
   * words (`qw` → `PENDING`, `r` → `RUNNING`, `Eqw` → `ERROR`…).
   */
  readonly state: string;
  /** Why it waits or ended, e.g. `Resources`, `TimeLimit` (`None` if nothing). */
  readonly reason: string;
  /** The node it runs on, if any. */
  readonly node?: string;
}

/**
 * What a job script needs besides the options.
 *
 * @example
 * ```ts
 * import type { ScriptContext } from "./engine.ts";
 * const token = crypto.randomUUID();
 * const context: ScriptContext = {
 *   jobName: "baton-1",
 *   connect: "login1:4000",
 *   token,
 *   workerCommand: ["baton", "worker"],
 * };
 * ```
 * @category Distributed
 */
export interface ScriptContext {
  /** The job name, by which the engine's listing finds the executor's jobs. */
  readonly jobName: string;
  /** `HOST:PORT` the worker dials. */
  readonly connect: string;
  /** The token it presents. */
  readonly token: string;
  /** The worker command, before `--connect`. */
  readonly workerCommand: readonly string[];
}

/**
 * One batch scheduler, as the HPC executor drives it.
 *
 * @example
 * ```ts ignore
 * // needs a Slurm or Grid Engine cluster (submit, queue and cancel call sbatch/qsub)
 * const id = await engine.submit(engine.script(context));
 * (await engine.queue()).get(id)?.state; // "PENDING"
 * await engine.cancel([id]);
 * ```
 * @category Distributed
 */
export interface Engine {
  /** `"slurm"` or `"sge"`: the executor's kind and the prefix of its workers' labels. */
  readonly kind: string;
  /** `"Slurm"` or `"Grid Engine"`, for messages. */
  readonly title: string;
  /** Submits a job script; resolves with the job id. */
  submit(script: string): Promise<string>;
  /** Cancels jobs; ids the engine no longer knows are not an error. */
  cancel(jobIds: readonly string[]): Promise<void>;
  /** The executor's jobs as the engine lists them (ended ones too, while it remembers them). */
  queue(): Promise<Map<string, QueuedJob>>;
  /** Why a job that is no longer listed ended, from accounting; `undefined` when unknown (yet). */
  accounting(jobId: string): Promise<QueuedJob | undefined>;
  /**
   * How long after a job stops being listed its accounting may still be
   * missing, in ms (Grid Engine writes it every 15 s by default).
   */
  readonly accountingLag: number;
  /** Whether a job in `state` is still listed as not finished (so it may still run). */
  isLive(state: string): boolean;
  /** Whether a job in `state` waits for someone to act and will never start on its own. */
  isStuck(state: string): boolean;
  /** The job script of one worker job. */
  script(context: ScriptContext): string;
  /** Where a job's output goes, for error messages. */
  logFile(jobId: string): string;
  /** The error a call gets when its job is lost. */
  lostError(jobId: string | undefined, state: string | undefined, why: string): JobLostError;
  /** Options worth showing in renderings. */
  info(): Record<string, unknown>;
}
