/**
 * The batch script of one Grid Engine worker job: `#$` directives from the
 * options, the token in the environment, and the worker command that dials
 * back with its `$JOB_ID`.
 *
 * @module
 */

import type { ScriptContext } from "../hpc/engine.ts";
import { workerLaunch } from "../hpc/commands.ts";
import type { ResolvedSgeOptions } from "./options.ts";

/**
 * The job script. Jobs run bash (`-S`, Grid Engine's default shell is csh)
 * in the submitting directory (`-cwd`), with output and errors in one file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sgeScript } from "./script.ts";
 * import { resolveSgeOptions } from "./options.ts";
 * const context = {
 *   jobName: "baton-1",
 *   connect: "login1:4000",
 *   token: crypto.randomUUID(),
 *   workerCommand: ["baton", "worker"],
 * };
 * const script = sgeScript(resolveSgeOptions({ workers: 1, time: "1h" }), context);
 * assert.match(script, /^#\$ -l h_rt=1:00:00$/m);
 * ```
 */
export function sgeScript(options: ResolvedSgeOptions, context: ScriptContext): string {
  const { common } = options;
  const directives = [
    `-N ${context.jobName}`,
    "-S /bin/bash",
    "-cwd",
    "-j y",
    common.logDirectory !== undefined &&
    `-o ${common.logDirectory.replace(/\/+$/, "")}/baton-$JOB_ID.log`,
    options.queue !== undefined && `-q ${options.queue}`,
    options.slots > 1 && `-pe ${options.parallelEnvironment} ${options.slots}`,
    common.time !== undefined && `-l h_rt=${sgeTime(common.time)}`,
    common.memoryMegabytes !== undefined &&
    `-l ${options.memoryResource}=${common.memoryMegabytes}M`,
    options.project !== undefined && `-P ${options.project}`,
    ...options.extraArgs,
  ].filter((d): d is string => typeof d === "string");
  return [
    "#!/bin/bash",
    ...directives.map((d) => `#$ ${d}`),
    "# A baton worker: it dials back to the scheduler and runs its calls.",
    ...common.prologue,
    ...workerLaunch(context, common.concurrency, `--job-id "$JOB_ID"`),
    "",
  ].join("\n");
}

/**
 * Grid Engine's `hours:minutes:seconds` for milliseconds, rounded up to a second.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sgeTime } from "./script.ts";
 * assert.equal(sgeTime(5_400_000), "1:30:00");
 * ```
 */
export function sgeTime(ms: number): string {
  const total = Math.max(1, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  return `${hours}:${pad(minutes)}:${pad(seconds)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
