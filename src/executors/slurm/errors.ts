/**
 * Errors of the Slurm executor.
 *
 * @module
 */

import { JobLostError } from "../hpc/errors.ts";

/**
 * The Slurm job running a call went away — cancelled (`scancel`), out of
 * time, its node failed, or its worker lost the connection. Calls are
 * re-queued `requeueLost` times before their future rejects with this.
 * `state` is why the job ended, from `squeue --states=all` or `sacct`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobLostError, SlurmJobLostError, WorkerCrashedError } from "@baton/baton";
 * const error = new SlurmJobLostError("42", "TIMEOUT", "the job reached its time limit");
 * assert.ok(error instanceof JobLostError && error instanceof WorkerCrashedError);
 * assert.equal(error.jobId, "42");
 * ```
 * @category Distributed
 */
export class SlurmJobLostError extends JobLostError {
  /** Creates the error; `why` says what was seen. */
  constructor(jobId: string | undefined, state: string | undefined, why: string) {
    super("Slurm", jobId, state, why);
    this.name = "SlurmJobLostError";
  }
}
