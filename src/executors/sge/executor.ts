/**
 * The Grid Engine executor: the {@linkcode HpcExecutor} driving Son of Grid
 * Engine (and the Grid Engines that share its commands).
 *
 * @module
 */

import { HpcExecutor, type HpcWorkerInfo } from "../hpc/executor.ts";
import { SgeEngine } from "./commands.ts";
import { resolveSgeOptions, type SgeOptions } from "./options.ts";

/**
 * One worker of the Grid Engine executor as shown in renderings and the
 * monitor. Its `id` reads like `sge-12 (RUNNING on node3)`.
 *
 * @example
 * ```ts ignore
 * for (const w of executor.info().workers as SgeWorkerInfo[]) console.log(w.jobId, w.state);
 * ```
 * @category Distributed
 */
export type SgeWorkerInfo = HpcWorkerInfo;

/**
 * Runs calls in Grid Engine jobs: the same endpoint, relay and
 * `baton worker --connect` as {@linkcode SlurmExecutor}, submitted with
 * `qsub`, listed with `qstat`, deleted with `qdel`, and explained with
 * `qacct`. Lost jobs re-queue their calls (`requeueLost`); a call that is
 * not re-queued rejects with {@linkcode SgeJobLostError}. `shutdown()`
 * deletes every job it submitted and resolves once `qstat` lists none of
 * them.
 *
 * @example
 * ```ts ignore
 * import { Scheduler, SgeExecutor } from "@baton/baton";
 * const scheduler = new Scheduler({
 *   executor: new SgeExecutor({ workers: 4, queue: "all.q", time: "1h" }),
 * });
 * ```
 * @category Distributed
 */
export class SgeExecutor extends HpcExecutor {
  /** Checks the options; nothing starts until the scheduler runs. */
  constructor(options: SgeOptions) {
    const resolved = resolveSgeOptions(options);
    super(new SgeEngine(resolved), resolved.common);
  }
}
