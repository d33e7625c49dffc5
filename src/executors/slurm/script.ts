/**
 * The batch script of one Slurm worker job: `#SBATCH` directives from the
 * options, then the worker that dials back.
 *
 * @module
 */

import type { ScriptContext } from "../hpc/engine.ts";
import { workerLaunch } from "../hpc/commands.ts";
import type { ResolvedSlurmOptions } from "./options.ts";

/**
 * The job script.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobScript } from "./script.ts";
 * import { resolveSlurmOptions } from "./options.ts";
 * const context = {
 *   jobName: "baton-1",
 *   connect: "login1:4000",
 *   token: crypto.randomUUID(),
 *   workerCommand: ["baton", "worker"],
 * };
 * const script = jobScript(resolveSlurmOptions({ workers: 1, time: "1h" }), context);
 * assert.match(script, /^#SBATCH --time=0-01:00:00$/m);
 * ```
 */
export function jobScript(options: ResolvedSlurmOptions, context: ScriptContext): string {
  const { common } = options;
  const directives = [
    `--job-name=${context.jobName}`,
    "--ntasks=1",
    `--cpus-per-task=${options.cpus}`,
    common.memoryMegabytes !== undefined && `--mem=${common.memoryMegabytes}M`,
    options.timeMinutes !== undefined && `--time=${slurmTime(options.timeMinutes)}`,
    options.partition !== undefined && `--partition=${options.partition}`,
    options.account !== undefined && `--account=${options.account}`,
    common.logDirectory !== undefined &&
    `--output=${common.logDirectory.replace(/\/+$/, "")}/baton-%j.log`,
    ...options.extraArgs,
  ].filter((d): d is string => typeof d === "string");
  return [
    "#!/usr/bin/env bash",
    ...directives.map((d) => `#SBATCH ${d}`),
    "# A baton worker: it dials back to the scheduler and runs its calls.",
    ...common.prologue,
    ...workerLaunch(context, common.concurrency),
    "",
  ].join("\n");
}

/**
 * Slurm's `days-hours:minutes:seconds` for a number of minutes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { slurmTime } from "./script.ts";
 * assert.equal(slurmTime(90), "0-01:30:00");
 * ```
 */
export function slurmTime(minutes: number): string {
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  return `${days}-${pad(hours)}:${pad(rest)}:00`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
