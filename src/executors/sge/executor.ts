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
 * ```ts
 * import assert from "node:assert/strict";
 * import { SgeExecutor, type SgeWorkerInfo } from "@baton/baton";
 * const executor = new SgeExecutor({ workers: 2, time: "1h" });
 * const states = (executor.info().workers as SgeWorkerInfo[]).map((w) => [w.jobId, w.state]);
 * assert.deepEqual(states, []); // none submitted until a run starts
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
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler, SgeExecutor } from "@baton/baton";
 * // Jobs are submitted (with qsub) only once the scheduler runs.
 * const scheduler = new Scheduler({
 *   executor: new SgeExecutor({ workers: 4, queue: "all.q", time: "1h" }),
 * });
 * assert.equal(scheduler.executor.kind, "sge");
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
