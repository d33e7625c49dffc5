/**
 * Options of the Grid Engine executor, and their checking.
 *
 * @module
 */

import {
  command,
  directives,
  type HpcOptions,
  positiveInteger,
  type ResolvedHpcOptions,
  resolveHpcOptions,
  word,
} from "../hpc/options.ts";

/**
 * Options of `Scheduler.withSge(options)` and `new SgeExecutor(options)`:
 * those of every batch engine ({@linkcode HpcOptions}) and Grid Engine's
 * own. `time` becomes `-l h_rt=` (seconds), `memory` `-l mem_free=` (see
 * `memoryResource`), `extraArgs` more `#$` lines; the commands default to
 * `qsub`, `qdel`, `qstat` and `qacct`.
 *
 * @example
 * ```ts
 * import { Scheduler } from "@baton/baton";
 * // Nothing is submitted until the scheduler runs.
 * Scheduler.withSge({ workers: 4, queue: "all.q", slots: 2, memory: "4GB", time: "2h" });
 * ```
 * @category Distributed
 */
export interface SgeOptions extends HpcOptions {
  /** `-q` of every job: the cluster queue, e.g. `"all.q"` (default: the cluster's choice). */
  queue?: string;
  /** Slots of every job (default 1); more than one asks `-pe <parallelEnvironment> N`. Also the default `concurrency`. */
  slots?: number;
  /** The parallel environment for `slots` > 1 (default `"smp"`, the usual name of one whose slots are on one host). */
  parallelEnvironment?: string;
  /**
   * The resource `memory` requests (default `"mem_free"`). Not `h_vmem` unless
   * the site sets it high: Deno reserves tens of GB of address space at start.
   */
  memoryResource?: string;
  /** `-P` of every job: the project to account it to. */
  project?: string;
}

/**
 * {@linkcode SgeOptions} checked and with defaults.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveSgeOptions } from "./options.ts";
 * assert.equal(resolveSgeOptions({ workers: 1, time: "90s" }).common.time, 90000);
 * ```
 */
export interface ResolvedSgeOptions {
  /** The options every engine shares. */
  readonly common: ResolvedHpcOptions;
  readonly queue?: string;
  readonly slots: number;
  readonly parallelEnvironment: string;
  readonly memoryResource: string;
  readonly project?: string;
  readonly extraArgs: readonly string[];
  readonly submitCommand: readonly string[];
  readonly cancelCommand: readonly string[];
  readonly queueCommand: readonly string[];
  readonly accountingCommand: readonly string[];
}

const SGE_KEYS = ["queue", "slots", "parallelEnvironment", "memoryResource", "project"];

/**
 * Checks the options; errors name the bad value and what is accepted, with
 * a did-you-mean for a misspelt key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveSgeOptions } from "./options.ts";
 * assert.equal(resolveSgeOptions({ workers: 2, slots: 4 }).common.concurrency, 4);
 * ```
 */
export function resolveSgeOptions(options: SgeOptions): ResolvedSgeOptions {
  const slots = positiveInteger("slots", options?.slots ?? 1);
  const common = resolveHpcOptions(options, SGE_KEYS, "Scheduler.withSge()", slots);
  return {
    common,
    queue: word("queue", options.queue),
    slots,
    parallelEnvironment: word("parallelEnvironment", options.parallelEnvironment) ?? "smp",
    memoryResource: word("memoryResource", options.memoryResource) ?? "mem_free",
    project: word("project", options.project),
    extraArgs: directives(common.extraArgs, "qsub", "-l gpu=1"),
    submitCommand: command("submitCommand", options.submitCommand, ["qsub"]),
    cancelCommand: command("cancelCommand", options.cancelCommand, ["qdel"]),
    queueCommand: command("queueCommand", options.queueCommand, ["qstat"]),
    accountingCommand: command("accountingCommand", options.accountingCommand, ["qacct"]),
  };
}
