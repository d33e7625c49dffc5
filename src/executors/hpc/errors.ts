/**
 * The error of a batch job that went away.
 *
 * @module
 */

import { WorkerCrashedError } from "../../wire/errors.ts";

/**
 * The batch job (Slurm or Grid Engine) running a call went away — cancelled,
 * out of time, its node failed, or its worker lost the connection. Calls are
 * re-queued `requeueLost` times before their future rejects with this (or
 * with the engine's subclass, {@linkcode SlurmJobLostError} or
 * {@linkcode SgeJobLostError}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobLostError, WorkerCrashedError } from "@baton/baton";
 * const error = new JobLostError("Slurm", "42", "TIMEOUT", "the job reached its time limit");
 * assert.ok(error instanceof WorkerCrashedError);
 * assert.equal(error.state, "TIMEOUT");
 * assert.equal(error.message, "Slurm job 42 was lost (TIMEOUT): the job reached its time limit");
 * ```
 * @category Distributed
 */
export class JobLostError extends WorkerCrashedError {
  /** The job id (undefined for a worker started by hand). */
  readonly jobId?: string;
  /**
   * Why the job ended, as the engine's listing or accounting says:
   * `CANCELLED`, `TIMEOUT`, `NODE_FAIL`, `FAILED`, `COMPLETED`…; undefined
   * when the engine could not tell.
   */
  readonly state?: string;
  /** What was seen, e.g. "its worker's connection ended (the peer closed the connection)". */
  readonly why: string;

  /** Creates the error; `engine` names the scheduler, `why` says what was seen. */
  constructor(engine: string, jobId: string | undefined, state: string | undefined, why: string) {
    super(
      `${jobId ? `${engine} job ${jobId}` : "a worker"} was lost${
        state ? ` (${state})` : ""
      }: ${why}`,
    );
    this.name = "JobLostError";
    this.jobId = jobId;
    this.state = state;
    this.why = why;
  }
}
