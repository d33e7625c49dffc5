/**
 * Errors of the Slurm executor.
 *
 * @module
 */

import { WorkerCrashedError } from "../../wire/errors.ts";

/**
 * The Slurm job running a call went away — cancelled (`scancel`), out of
 * time, its node failed, or its worker lost the connection. Calls are
 * re-queued `requeueLost` times before their future rejects with this.
 *
 * @example
 * ```ts
 * import { SlurmJobLostError, WorkerCrashedError } from "@baton/baton";
 * const error = new SlurmJobLostError("42", "TIMEOUT", "the job reached its time limit");
 * error instanceof WorkerCrashedError; // true
 * error.jobId; // "42"
 * ```
 */
export class SlurmJobLostError extends WorkerCrashedError {
  /** The Slurm job id (undefined for a worker started by hand). */
  readonly jobId?: string;
  /** Slurm's last known state of the job, e.g. `CANCELLED`, `TIMEOUT`, `NODE_FAIL`. */
  readonly state?: string;

  /** Creates the error; `why` says what was seen. */
  constructor(jobId: string | undefined, state: string | undefined, why: string) {
    super(
      `${jobId ? `Slurm job ${jobId}` : "a worker"} was lost${state ? ` (${state})` : ""}: ${why}`,
    );
    this.name = "SlurmJobLostError";
    this.jobId = jobId;
    this.state = state;
  }
}
