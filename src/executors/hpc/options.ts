/**
 * The options every batch engine shares (how many jobs, their size, the
 * commands, the endpoint, loss and scaling), and the checks the engines'
 * own options use.
 *
 * @module
 */

import { type Duration, parseDuration, parseSize, type Size } from "../../units.ts";
import { type Limits, type Permissions, resolveLimits, resolvePermissions } from "../limits.ts";
import { checkOptions, quote } from "../../options.ts";

/**
 * How many batch jobs to keep: a fixed number, or a range that follows the
 * queue (like dask's `adapt()`).
 *
 * @example
 * ```ts
 * import type { HpcWorkers } from "@baton/baton";
 * const fixed: HpcWorkers = 4;
 * const adaptive: HpcWorkers = { min: 0, max: 16 };
 * ```
 * @category Distributed
 */
export type HpcWorkers = number | { min: number; max: number };

/**
 * Options of every batch engine's executor.
 *
 * @example
 * ```ts
 * import type { HpcOptions } from "@baton/baton";
 * const options: HpcOptions = { workers: { min: 0, max: 8 }, memory: "8GB", time: "2h" };
 * ```
 * @category Distributed
 */
export interface HpcOptions {
  /** Jobs to keep: a number, or `{ min, max }` to grow with the queue and release idle jobs. */
  workers: HpcWorkers;
  /** Memory of every job, e.g. `"4GB"` (default: the cluster's). */
  memory?: Size;
  /** Run-time limit of every job, e.g. `"2h"`. */
  time?: Duration;
  /** More options for the submit command, one per entry, e.g. `["--qos=debug"]`. */
  extraArgs?: string[];
  /** Shell lines run in the job before the worker starts, e.g. `["module load deno"]`. */
  prologue?: string[];
  /** The command that submits a job script given on stdin. */
  submitCommand?: string[];
  /** The command that cancels jobs by id. */
  cancelCommand?: string[];
  /** The command that lists jobs. */
  queueCommand?: string[];
  /** The command that says how an ended job ended (accounting). */
  accountingCommand?: string[];
  /** The worker command in the job, before `--connect` (default: `baton worker`, i.e. this Deno running `cli.ts worker`). */
  workerCommand?: string[];
  /** Calls each job runs at once, each in its own process (default: the job's CPUs or slots). */
  concurrency?: number;
  /** Address to listen on for workers, reachable from the compute nodes (default: this machine's host name). */
  hostname?: string;
  /** Port to listen on (default: any free port). */
  port?: number;
  /** Directory for the jobs' output files `baton-<job id>.log` (default: the engine's, in the working directory). */
  logDirectory?: string;
  /** The job name (default `baton-<random id>`); jobs are found in the engine's listing by it. */
  jobName?: string;
  /** Times a call is re-queued when its job is lost before it rejects (default 1; 0 rejects at once). */
  requeueLost?: number;
  /** Adaptive mode: a job idle this long is released when the queue does not need it (default `"30s"`). */
  idleTimeout?: Duration;
  /** How often the engine is asked about the jobs (default `"5s"`, at least 100 ms). */
  pollInterval?: Duration;
  /** Default permissions of calls in the jobs' processes (default: all). */
  permissions?: Permissions;
  /** Default limits of every call, enforced by the job's process executor. */
  limits?: Limits;
}

/** The keys of {@linkcode HpcOptions}. */
export const HPC_OPTION_KEYS: readonly string[] = [
  "workers",
  "memory",
  "time",
  "extraArgs",
  "prologue",
  "submitCommand",
  "cancelCommand",
  "queueCommand",
  "accountingCommand",
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
];

/**
 * {@linkcode HpcOptions} checked, with defaults; the engine's commands are
 * filled in by the engine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveHpcOptions } from "./options.ts";
 * const resolved = resolveHpcOptions({ workers: { min: 0, max: 4 } }, [], "example", 1);
 * assert.equal(resolved.adaptive, true);
 * assert.equal(resolved.max, 4);
 * ```
 * @category Distributed
 */
export interface ResolvedHpcOptions {
  /** Jobs kept at least (the fixed number, or `workers.min`). */
  readonly min: number;
  /** Jobs kept at most. */
  readonly max: number;
  /** Whether `workers` was a `{ min, max }` range. */
  readonly adaptive: boolean;
  /** `memory` in whole megabytes, rounded up. */
  readonly memoryMegabytes?: number;
  /** `time` in milliseconds. */
  readonly time?: number;
  /** More submit options, checked as single lines. */
  readonly extraArgs: readonly string[];
  /** Shell lines before the worker. */
  readonly prologue: readonly string[];
  /** The worker command before `--connect`, if given. */
  readonly workerCommand?: readonly string[];
  /** Calls per job. */
  readonly concurrency: number;
  /** Where the endpoint listens, if given. */
  readonly hostname?: string;
  /** The endpoint's port (0: any). */
  readonly port: number;
  /** Where the jobs' output goes, if given. */
  readonly logDirectory?: string;
  /** The job name (given, or `baton-<random>`). */
  readonly jobName: string;
  /** Times a call of a lost job is re-queued. */
  readonly requeueLost: number;
  /** Adaptive mode's idle time before a job is released, in ms. */
  readonly idleTimeout: number;
  /** Between two listings, in ms. */
  readonly pollInterval: number;
  /** Default permissions of calls. */
  readonly permissions?: Permissions;
  /** Default limits of calls. */
  readonly limits?: Limits;
}

/**
 * Checks the options of `where` (e.g. `"Scheduler.withSlurm()"`): unknown
 * keys (with did-you-mean) against the shared keys and `engineKeys`, then
 * the shared values. `cores` is the job's CPUs or slots, the default
 * concurrency.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveHpcOptions } from "./options.ts";
 * const options = { workers: 2, time: "1h", partition: "cpu" };
 * const common = resolveHpcOptions(options, ["partition", "cpus"], "Scheduler.withSlurm()", 4);
 * assert.equal(common.time, 3_600_000);
 * assert.throws(
 *   () => resolveHpcOptions({ workers: 2, queue: "x" } as never, ["partition"], "here", 4),
 *   /queue/,
 * );
 * ```
 */
export function resolveHpcOptions(
  options: HpcOptions,
  engineKeys: readonly string[],
  where: string,
  cores: number,
): ResolvedHpcOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${where} needs options like { workers: 2 }, got ${quote(options)}`);
  }
  checkOptions(options, [...HPC_OPTION_KEYS, ...engineKeys], where);
  const { min, max, adaptive } = resolveWorkers(options.workers);
  resolvePermissions(options.permissions);
  resolveLimits(options.limits);
  return {
    min,
    max,
    adaptive,
    memoryMegabytes: options.memory === undefined
      ? undefined
      : Math.max(1, Math.ceil(parseSize(options.memory) / 1024 ** 2)),
    time: options.time === undefined ? undefined : parseDuration(options.time),
    extraArgs: lines("extraArgs", options.extraArgs),
    prologue: lines("prologue", options.prologue),
    workerCommand: options.workerCommand === undefined
      ? undefined
      : command("workerCommand", options.workerCommand),
    concurrency: positiveInteger("concurrency", options.concurrency ?? cores),
    hostname: options.hostname === undefined ? undefined : word("hostname", options.hostname),
    port: port(options.port ?? 0),
    logDirectory: options.logDirectory === undefined
      ? undefined
      : lines("logDirectory", [options.logDirectory])[0],
    jobName: word("jobName", options.jobName) ?? `baton-${crypto.randomUUID().slice(0, 8)}`,
    requeueLost: nonNegativeInteger("requeueLost", options.requeueLost ?? 1),
    idleTimeout: parseDuration(options.idleTimeout ?? "30s"),
    pollInterval: Math.max(100, parseDuration(options.pollInterval ?? "5s")),
    permissions: options.permissions,
    limits: options.limits,
  };
}

function resolveWorkers(workers: HpcWorkers): { min: number; max: number; adaptive: boolean } {
  if (typeof workers === "number") {
    return { min: positiveInteger("workers", workers), max: workers, adaptive: false };
  }
  if (typeof workers === "object" && workers !== null) {
    checkOptions(workers, ["min", "max"], "the workers");
    const min = nonNegativeInteger("workers.min", workers.min);
    const max = positiveInteger("workers.max", workers.max);
    if (min > max) {
      throw new RangeError(`workers.min (${min}) must not exceed workers.max (${max})`);
    }
    return { min, max, adaptive: true };
  }
  throw new TypeError(`workers must be a positive integer or { min, max }, got ${quote(workers)}`);
}

/**
 * A positive integer, or a `RangeError` naming `name` and the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { positiveInteger } from "./options.ts";
 * assert.equal(positiveInteger("cpus", 4), 4);
 * assert.throws(() => positiveInteger("cpus", 0), /cpus/);
 * ```
 */
export function positiveInteger(name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${quote(value)}`);
  }
  return value as number;
}

function nonNegativeInteger(name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${quote(value)}`);
  }
  return value as number;
}

function port(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${quote(value)}`);
  }
  return value as number;
}

/**
 * A value that goes into a directive or a command line: no spaces, quotes
 * or newlines; `undefined` stays `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { word } from "./options.ts";
 * assert.equal(word("partition", "cpu"), "cpu");
 * assert.throws(() => word("partition", "cpu gpu"), /partition/);
 * ```
 */
export function word(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^[\w.,:@%+=\/\[\]-]+$/.test(value)) {
    throw new TypeError(
      `${name} must be a non-empty string of letters, digits and .,:@%+=/-[]_, got ${quote(value)}`,
    );
  }
  return value;
}

function lines(name: string, value: string[] | undefined): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((l) => typeof l === "string" && !/[\n\r]/.test(l))) {
    throw new TypeError(`${name} must be a list of single-line strings, got ${quote(value)}`);
  }
  return value;
}

/**
 * Extra submit options: each must start with `-`; `example` shows one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { directives } from "./options.ts";
 * assert.deepEqual(directives(["--qos=debug"], "sbatch", "--qos=debug"), ["--qos=debug"]);
 * ```
 */
export function directives(value: readonly string[], tool: string, example: string): string[] {
  for (const arg of value) {
    if (!arg.startsWith("-")) {
      throw new TypeError(
        `extraArgs must be ${tool} options like ${quote(example)}, got ${quote(arg)}`,
      );
    }
  }
  return [...value];
}

/**
 * A command line given as a list of words, or its default.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { command } from "./options.ts";
 * assert.deepEqual(command("submitCommand", undefined, ["sbatch"]), ["sbatch"]);
 * ```
 */
export function command(name: string, value: unknown, fallback?: readonly string[]): string[] {
  if (value === undefined && fallback) return [...fallback];
  if (
    !Array.isArray(value) || value.length === 0 ||
    !value.every((part) => typeof part === "string" && part.length > 0)
  ) {
    throw new TypeError(
      `${name} must be a non-empty list of strings like ${quote(fallback ?? ["cmd"])}, got ${
        quote(value)
      }`,
    );
  }
  return value;
}
