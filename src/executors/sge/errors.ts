/**
 * Errors of the Grid Engine executor.
 *
 * @module
 */

import { JobLostError } from "../hpc/errors.ts";

/**
 * The Grid Engine job running a call went away — deleted (`qdel`), out of
 * time (`h_rt`), its host failed, or its worker lost the connection. Calls
 * are re-queued `requeueLost` times before their future rejects with this.
 * `state` is why the job ended, from `qacct`: `CANCELLED` (killed by a
 * signal, as `qdel` does), `TIMEOUT` (a limit Grid Engine enforced),
 * `FAILED`, `COMPLETED`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobLostError, SgeJobLostError } from "@baton/baton";
 * const error = new SgeJobLostError("7", "TIMEOUT", "the job reached h_rt");
 * assert.ok(error instanceof JobLostError);
 * assert.equal(error.name, "SgeJobLostError");
 * ```
 * @category Distributed
 */
export class SgeJobLostError extends JobLostError {
  /** Creates the error; `why` says what was seen. */
  constructor(jobId: string | undefined, state: string | undefined, why: string) {
    super("Grid Engine", jobId, state, why);
    this.name = "SgeJobLostError";
  }
}
