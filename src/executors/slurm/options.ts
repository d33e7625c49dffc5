/**
 * Options of the Slurm executor, and their checking.
 *
 * @module
 */

import {
  command,
  directives,
  type HpcOptions,
  type HpcWorkers,
  positiveInteger,
  type ResolvedHpcOptions,
  resolveHpcOptions,
  word,
} from "../hpc/options.ts";

/**
 * How many Slurm jobs to keep: a fixed number, or a range that follows the
 * queue (like dask's `adapt()`).
 *
 * @example
 * ```ts
 * import type { SlurmWorkers } from "@baton/baton";
 * const fixed: SlurmWorkers = 4;
 * const adaptive: SlurmWorkers = { min: 0, max: 16 };
 * ```
 * @category Distributed
 */
export type SlurmWorkers = HpcWorkers;

/**
 * Options of `Scheduler.withSlurm(options)` and `new SlurmExecutor(options)`:
 * those of every batch engine ({@linkcode HpcOptions}) and Slurm's own.
 * `memory` becomes `--mem`, `time` `--time` (whole minutes, rounded up),
 * `extraArgs` more `#SBATCH` lines; the commands default to `sbatch`,
 * `scancel`, `squeue` and `sacct`.
 *
 * @example
 * ```ts
 * import { Scheduler } from "@baton/baton";
 * // Nothing is submitted until the scheduler runs.
 * Scheduler.withSlurm({
 *   workers: { min: 0, max: 8 },
 *   partition: "cpu",
 *   cpus: 4,
 *   memory: "8GB",
 *   time: "2h",
 * });
 * ```
 * @category Distributed
 */
export interface SlurmOptions extends HpcOptions {
  /** `--partition` of every job. */
  partition?: string;
  /** `--cpus-per-task` of every job (default 1); also its default `concurrency`. */
  cpus?: number;
  /** `--account` of every job. */
  account?: string;
}

/**
 * {@linkcode SlurmOptions} checked and with defaults.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveSlurmOptions } from "./options.ts";
 * assert.equal(resolveSlurmOptions({ workers: { min: 0, max: 4 } }).common.adaptive, true);
 * ```
 */
export interface ResolvedSlurmOptions {
  /** The options every engine shares. */
  readonly common: ResolvedHpcOptions;
  readonly partition?: string;
  readonly cpus: number;
  readonly account?: string;
  /** `time` in whole minutes, rounded up. */
  readonly timeMinutes?: number;
  readonly extraArgs: readonly string[];
  readonly submitCommand: readonly string[];
  readonly cancelCommand: readonly string[];
  readonly queueCommand: readonly string[];
  readonly accountingCommand: readonly string[];
}

const SLURM_KEYS = ["partition", "cpus", "account"];

/**
 * Checks the options; errors name the bad value and what is accepted, with
 * a did-you-mean for a misspelt key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveSlurmOptions } from "./options.ts";
 * assert.equal(resolveSlurmOptions({ workers: 2, time: "90s" }).timeMinutes, 2);
 * ```
 */
export function resolveSlurmOptions(options: SlurmOptions): ResolvedSlurmOptions {
  const cpus = positiveInteger("cpus", options?.cpus ?? 1);
  const common = resolveHpcOptions(options, SLURM_KEYS, "Scheduler.withSlurm()", cpus);
  return {
    common,
    partition: word("partition", options.partition),
    cpus,
    account: word("account", options.account),
    timeMinutes: common.time === undefined
      ? undefined
      : Math.max(1, Math.ceil(common.time / 60_000)),
    extraArgs: directives(common.extraArgs, "sbatch", "--qos=debug"),
    submitCommand: command("submitCommand", options.submitCommand, ["sbatch"]),
    cancelCommand: command("cancelCommand", options.cancelCommand, ["scancel"]),
    queueCommand: command("queueCommand", options.queueCommand, ["squeue"]),
    accountingCommand: command("accountingCommand", options.accountingCommand, ["sacct"]),
  };
}
