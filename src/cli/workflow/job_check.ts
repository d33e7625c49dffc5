/**
 * One job of a file under check: what its kind-specific checks need to
 * know (its name, raw value, combinations, the file's defaults) and how
 * they report, plus the options `run` and `module` jobs share: limits with
 * `timeout`, retries with backoff.
 *
 * @module
 */

import type { Limits } from "../../executors/limits.ts";
import { type BackoffOptions, resolveBackoff } from "../../plugins/backoff.ts";
import type { Combination } from "./matrix.ts";
import type { Path } from "./parse.ts";
import type { FromArg, JobBase, RetrySpec } from "./types.ts";

/** A value of the document, as the schema let it through. */
export type Raw = Record<string, unknown>;

/** Whether `value` is a mapping. */
export function isObject(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether a file (or, with `directory`, a directory) exists at `path`. */
export function fileExists(path: string, directory = false): boolean {
  try {
    const info = Deno.statSync(path);
    return directory ? info.isDirectory : info.isFile;
  } catch {
    return false;
  }
}

/** The file's `defaults:`, checked. */
export interface FileDefaults {
  /** As written (`{}` when absent or refused by the schema). */
  readonly raw: Raw;
  /** `defaults.limits`. */
  readonly limits: Limits;
  /** `defaults.cwd`, absolute (the file's directory when absent). */
  readonly cwd: string;
}

/** A job under check. */
export interface JobCheck {
  /** The key under `jobs:`. */
  readonly name: string;
  /** The job as written. */
  readonly raw: Raw;
  /** The workflow file's directory. */
  readonly dir: string;
  /** The file's defaults. */
  readonly defaults: FileDefaults;
  /** One per job to make; `[undefined]` without a matrix. */
  readonly combinations: readonly (Combination | undefined)[];
  /** The id of each combination. */
  readonly ids: readonly string[];
  /** The matrix's keys, `undefined` without a matrix. */
  readonly keys?: readonly string[];
  /** Reports a problem at `path` below the job (at the key itself with `key`). */
  report(path: Path, message: string, key?: boolean): void;
  /** Reports a problem at `path` from the top of the file. */
  reportAt(path: Path, message: string): void;
  /** Checks `{ from: ref }` at `path` (from the top) and makes the job require it. */
  take(ref: string, path: Path): FromArg | undefined;
  /** The fields every spec of the combination `index` has. */
  base(index: number): JobBase;
  /** How many problems have been reported for this job so far. */
  problems(): number;
}

/** The job's limits over the defaults, with `timeout` as `limits.wallTime`. */
export function jobLimits(job: JobCheck): Limits {
  const own = (job.raw.limits ?? {}) as Limits;
  const limits: Limits = { ...job.defaults.limits, ...own };
  if (job.raw.timeout !== undefined) {
    if (own.wallTime !== undefined) {
      job.report(
        ["timeout"],
        `job "${job.name}" has both timeout and limits.wallTime, which mean the same; keep one`,
        true,
      );
    } else limits.wallTime = job.raw.timeout as string;
  }
  return limits;
}

/** The job's retries and backoff, over the file's defaults. */
export function retrySpec(job: JobCheck): RetrySpec {
  const { raw, name } = job;
  const defaults = job.defaults.raw;
  const retries = (raw.retries ?? defaults.retries ?? 0) as number;
  if (raw.backoff !== undefined && retries === 0) {
    job.report(
      ["backoff"],
      `job "${name}": backoff has no effect without retries; add retries: <n> (or remove backoff)`,
      true,
    );
  }
  const options = {
    ...(defaults.backoff as BackoffOptions | undefined),
    ...(raw.backoff as BackoffOptions | undefined),
  };
  try {
    return { retries, backoff: resolveBackoff(options, `job "${name}" backoff`) };
  } catch (error) {
    job.report(["backoff"], (error as Error).message);
    return { retries, backoff: resolveBackoff({}, "") };
  }
}
