/**
 * Options of the Slurm executor, and their checking.
 *
 * @module
 */

import { type Duration, parseDuration, parseSize, type Size } from "../../units.ts";
import { type Limits, type Permissions, resolvePermissions } from "../limits.ts";

/**
 * How many Slurm jobs to keep: a fixed number, or a range that follows the
 * queue (like dask's `adapt()`).
 *
 * @example
 * ```ts ignore
 * const fixed: SlurmWorkers = 4;
 * const adaptive: SlurmWorkers = { min: 0, max: 16 };
 * ```
 */
export type SlurmWorkers = number | { min: number; max: number };

/**
 * Options of `Scheduler.withSlurm(options)` and `new SlurmExecutor(options)`.
 *
 * @example
 * ```ts ignore
 * Scheduler.withSlurm({ workers: { min: 0, max: 8 }, partition: "cpu", cpus: 4, memory: "8GB", time: "2h" });
 * ```
 */
export interface SlurmOptions {
  /** Jobs to keep: a number, or `{ min, max }` to grow with the queue and release idle jobs. */
  workers: SlurmWorkers;
  /** `--partition` of every job. */
  partition?: string;
  /** `--cpus-per-task` of every job (default 1); also its default `concurrency`. */
  cpus?: number;
  /** `--mem` of every job, e.g. `"4GB"` (default: the cluster's, e.g. `DefMemPerCPU`). */
  memory?: Size;
  /** `--time` of every job, e.g. `"2h"` (Slurm counts whole minutes, rounded up). */
  time?: Duration;
  /** `--account` of every job. */
  account?: string;
  /** More `#SBATCH` directives, e.g. `["--qos=debug", "--constraint=avx2"]`. */
  extraArgs?: string[];
  /** Shell lines run in the job before the worker starts, e.g. `["module load deno"]`. */
  prologue?: string[];
  /** The command that submits a job script given on stdin (default `["sbatch"]`; `--parsable` is appended). */
  submitCommand?: string[];
  /** The command that cancels jobs by id (default `["scancel"]`). */
  cancelCommand?: string[];
  /** The command that lists jobs (default `["squeue"]`). */
  queueCommand?: string[];
  /** The worker command in the job, before `--connect` (default: `baton worker`, i.e. this Deno running `cli.ts worker`). */
  workerCommand?: string[];
  /** Calls each job runs at once, each in its own process (default: `cpus`). */
  concurrency?: number;
  /** Address to listen on for workers, reachable from the compute nodes (default: this machine's host name). */
  hostname?: string;
  /** Port to listen on (default: any free port). */
  port?: number;
  /** Directory for the jobs' output files `baton-<job id>.log` (default: Slurm's, the working directory). */
  logDirectory?: string;
  /** `--job-name` (default `baton-<random id>`); jobs are found in `squeue` by it. */
  jobName?: string;
  /** Times a call is re-queued when its job is lost before it rejects (default 1; 0 rejects at once). */
  requeueLost?: number;
  /** Adaptive mode: a job idle this long is released when the queue does not need it (default `"30s"`). */
  idleTimeout?: Duration;
  /** How often `squeue` is asked about the jobs (default `"5s"`). */
  pollInterval?: Duration;
  /** Default permissions of calls in the jobs' processes (default: all). */
  permissions?: Permissions;
  /** Default limits of every call, enforced by the job's process executor. */
  limits?: Limits;
}

/**
 * {@linkcode SlurmOptions} checked and with defaults.
 *
 * @example
 * ```ts ignore
 * resolveSlurmOptions({ workers: { min: 0, max: 4 } }).adaptive; // true
 * ```
 */
export interface ResolvedSlurmOptions {
  readonly min: number;
  readonly max: number;
  readonly adaptive: boolean;
  readonly partition?: string;
  readonly cpus: number;
  readonly memoryMegabytes?: number;
  readonly timeMinutes?: number;
  readonly account?: string;
  readonly extraArgs: readonly string[];
  readonly prologue: readonly string[];
  readonly submitCommand: readonly string[];
  readonly cancelCommand: readonly string[];
  readonly queueCommand: readonly string[];
  readonly workerCommand?: readonly string[];
  readonly concurrency: number;
  readonly hostname?: string;
  readonly port: number;
  readonly logDirectory?: string;
  readonly jobName?: string;
  readonly requeueLost: number;
  readonly idleTimeout: number;
  readonly pollInterval: number;
}

const KNOWN = new Set([
  "workers",
  "partition",
  "cpus",
  "memory",
  "time",
  "account",
  "extraArgs",
  "prologue",
  "submitCommand",
  "cancelCommand",
  "queueCommand",
  "workerCommand",
  "concurrency",
  "hostname",
  "port",
  "logDirectory",
  "jobName",
  "requeueLost",
  "idleTimeout",
  "pollInterval",
  "permissions",
  "limits",
]);

/**
 * Checks the options; errors name the bad value and what is accepted.
 *
 * @example
 * ```ts ignore
 * resolveSlurmOptions({ workers: 2, time: "90s" }).timeMinutes; // 2
 * ```
 */
export function resolveSlurmOptions(options: SlurmOptions): ResolvedSlurmOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Slurm options must be an object like { workers: 2 }, got ${options}`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw new TypeError(`Unknown Slurm option "${key}"; accepted: ${[...KNOWN].join(", ")}`);
    }
  }
  const { min, max, adaptive } = resolveWorkers(options.workers);
  const cpus = positiveInteger("cpus", options.cpus ?? 1);
  resolvePermissions(options.permissions);
  return {
    min,
    max,
    adaptive,
    partition: word("partition", options.partition),
    cpus,
    memoryMegabytes: options.memory === undefined
      ? undefined
      : Math.max(1, Math.ceil(parseSize(options.memory) / 1024 ** 2)),
    timeMinutes: options.time === undefined
      ? undefined
      : Math.max(1, Math.ceil(parseDuration(options.time) / 60_000)),
    account: word("account", options.account),
    extraArgs: directives(options.extraArgs),
    prologue: lines("prologue", options.prologue),
    submitCommand: command("submitCommand", options.submitCommand ?? ["sbatch"]),
    cancelCommand: command("cancelCommand", options.cancelCommand ?? ["scancel"]),
    queueCommand: command("queueCommand", options.queueCommand ?? ["squeue"]),
    workerCommand: options.workerCommand === undefined
      ? undefined
      : command("workerCommand", options.workerCommand),
    concurrency: positiveInteger("concurrency", options.concurrency ?? cpus),
    hostname: options.hostname === undefined ? undefined : word("hostname", options.hostname),
    port: port(options.port ?? 0),
    logDirectory: options.logDirectory === undefined
      ? undefined
      : lines("logDirectory", [options.logDirectory])[0],
    jobName: word("jobName", options.jobName),
    requeueLost: nonNegativeInteger("requeueLost", options.requeueLost ?? 1),
    idleTimeout: parseDuration(options.idleTimeout ?? "30s"),
    pollInterval: Math.max(100, parseDuration(options.pollInterval ?? "5s")),
  };
}

function resolveWorkers(workers: SlurmWorkers): { min: number; max: number; adaptive: boolean } {
  if (typeof workers === "number") {
    return { min: positiveInteger("workers", workers), max: workers, adaptive: false };
  }
  if (typeof workers === "object" && workers !== null) {
    const min = nonNegativeInteger("workers.min", workers.min);
    const max = positiveInteger("workers.max", workers.max);
    if (min > max) {
      throw new RangeError(`workers.min (${min}) must not exceed workers.max (${max})`);
    }
    return { min, max, adaptive: true };
  }
  throw new TypeError(
    `workers must be a positive integer or { min, max }, got ${JSON.stringify(workers)}`,
  );
}

function positiveInteger(name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function nonNegativeInteger(name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function port(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

/** A value that goes into a directive or a command line: no spaces, quotes or newlines. */
function word(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^[\w.,:@%+=\/\[\]-]+$/.test(value)) {
    throw new TypeError(
      `${name} must be a non-empty string of letters, digits and .,:@%+=/-[]_, got ${
        JSON.stringify(value)
      }`,
    );
  }
  return value;
}

function lines(name: string, value: string[] | undefined): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((l) => typeof l === "string" && !/[\n\r]/.test(l))) {
    throw new TypeError(
      `${name} must be a list of single-line strings, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function directives(value: string[] | undefined): string[] {
  const list = lines("extraArgs", value);
  for (const arg of list) {
    if (!arg.startsWith("-")) {
      throw new TypeError(
        `extraArgs must be sbatch options like "--qos=debug", got ${JSON.stringify(arg)}`,
      );
    }
  }
  return list;
}

function command(name: string, value: unknown): string[] {
  if (
    !Array.isArray(value) || value.length === 0 ||
    !value.every((part) => typeof part === "string" && part.length > 0)
  ) {
    throw new TypeError(
      `${name} must be a non-empty list of strings like ["sbatch"], got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
