/**
 * The Slurm executor: the {@linkcode HpcExecutor} driving Slurm.
 *
 * @module
 */

import { HpcExecutor, type HpcWorkerInfo } from "../hpc/executor.ts";
import { SlurmEngine } from "./commands.ts";
import { resolveSlurmOptions, type SlurmOptions } from "./options.ts";

/**
 * One worker of the Slurm executor as shown in renderings and the monitor.
 * Its `id` reads like `slurm-42 (RUNNING on node7)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SlurmExecutor, type SlurmWorkerInfo } from "@baton/baton";
 * const executor = new SlurmExecutor({ workers: 2, time: "1h" });
 * const states = (executor.info().workers as SlurmWorkerInfo[]).map((w) => [w.jobId, w.state]);
 * assert.deepEqual(states, []); // none submitted until a run starts
 * ```
 * @category Distributed
 */
export type SlurmWorkerInfo = HpcWorkerInfo;

/**
 * Runs calls in Slurm jobs. Each job runs a worker
 * (`baton worker --connect`) that dials back to this process's TCP
 * endpoint, presents a token, and runs calls on a process executor of
 * `concurrency` processes inside the job's allocation, which enforces
 * per-call limits as it does locally.
 *
 * Jobs that Slurm ends (`scancel`, time limit, node failure) re-queue their
 * running calls (`requeueLost` times, default once) and are replaced while
 * the run wants them; a call that is not re-queued rejects with
 * {@linkcode SlurmJobLostError} whose `state` says why the job ended.
 * `shutdown()` cancels every job it submitted and resolves once `squeue`
 * lists none of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler, SlurmExecutor } from "@baton/baton";
 * // Jobs are submitted (with sbatch) only once the scheduler runs.
 * const scheduler = new Scheduler({
 *   executor: new SlurmExecutor({ workers: 4, partition: "cpu", time: "1h", memory: "4GB" }),
 * });
 * assert.equal(scheduler.executor.kind, "slurm");
 * ```
 * @category Distributed
 */
export class SlurmExecutor extends HpcExecutor {
  /** Checks the options; nothing starts until the scheduler runs. */
  constructor(options: SlurmOptions) {
    const resolved = resolveSlurmOptions(options);
    super(new SlurmEngine(resolved), resolved.common);
  }
}
