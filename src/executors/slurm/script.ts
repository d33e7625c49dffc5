/**
 * The batch script of one worker job: `#SBATCH` directives from the options,
 * the token in the environment (never on a command line, where `ps` shows
 * it to every user of the node), and the worker command that dials back.
 *
 * @module
 */

import type { ResolvedSlurmOptions } from "./options.ts";

/**
 * What a job needs to know besides the options.
 *
 * @example
 * ```ts ignore
 * const context: ScriptContext = { jobName: "baton-1", connect: "login1:4000", token, workerCommand: ["baton", "worker"] };
 * ```
 */
export interface ScriptContext {
  /** `--job-name`. */
  readonly jobName: string;
  /** `HOST:PORT` the worker dials. */
  readonly connect: string;
  /** The token it presents. */
  readonly token: string;
  /** The worker command, before `--connect`. */
  readonly workerCommand: readonly string[];
}

/**
 * The job script.
 *
 * @example
 * ```ts ignore
 * console.log(jobScript(resolveSlurmOptions({ workers: 1, time: "1h" }), context));
 * ```
 */
export function jobScript(options: ResolvedSlurmOptions, context: ScriptContext): string {
  const directives = [
    `--job-name=${context.jobName}`,
    "--ntasks=1",
    `--cpus-per-task=${options.cpus}`,
    options.memoryMegabytes !== undefined && `--mem=${options.memoryMegabytes}M`,
    options.timeMinutes !== undefined && `--time=${slurmTime(options.timeMinutes)}`,
    options.partition !== undefined && `--partition=${options.partition}`,
    options.account !== undefined && `--account=${options.account}`,
    options.logDirectory !== undefined &&
    `--output=${options.logDirectory.replace(/\/+$/, "")}/baton-%j.log`,
    ...options.extraArgs,
  ].filter((d): d is string => typeof d === "string");
  const command = [
    ...context.workerCommand,
    "--connect",
    context.connect,
    "--concurrency",
    String(options.concurrency),
  ];
  return [
    "#!/usr/bin/env bash",
    ...directives.map((d) => `#SBATCH ${d}`),
    "# A baton worker: it dials back to the scheduler and runs its calls.",
    ...options.prologue,
    `export BATON_TOKEN=${shellQuote(context.token)}`,
    `exec ${command.map(shellQuote).join(" ")}`,
    "",
  ].join("\n");
}

/**
 * Slurm's `days-hours:minutes:seconds` for a number of minutes.
 *
 * @example
 * ```ts ignore
 * slurmTime(90); // "0-01:30:00"
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

/**
 * Quotes a word for the shell, unless it is plainly safe.
 *
 * @example
 * ```ts ignore
 * shellQuote("it's"); // 'it'\''s'
 * ```
 */
export function shellQuote(word: string): string {
  if (/^[\w.,:@%+=\/-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
