/**
 * A workflow file once checked: what `build` turns into a flow.
 *
 * @module
 */

import type { Limits, Permissions } from "../../executors/limits.ts";
import type { BackoffPolicy } from "../../plugins/backoff.ts";
import type { WorkflowIssue } from "../errors.ts";
import type { Path } from "./parse.ts";
import type { Job } from "../../flow/job.ts";
import { ResultRef } from "../../flow/results.ts";

/** The executors a workflow may run module jobs on. */
export const EXECUTORS = ["workers", "processes", "sequential"] as const;

/** One of {@linkcode EXECUTORS}. */
export type ExecutorKind = (typeof EXECUTORS)[number];

/** An argument `{ from: <job> }` as written: replaced by that job's result. */
export interface FromRef {
  /** The job whose result is passed. */
  readonly from: string;
}

/** Whether `value` is exactly `{ from: "<job>" }`. */
export function isFromRef(value: unknown): value is FromRef {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    Object.keys(value).length === 1 && typeof (value as FromRef).from === "string";
}

/**
 * A checked `{ from: <job> }` argument: the ids of the jobs whose results it
 * stands for; `many` when it names a matrix job (then the results come as
 * a list, in matrix order). Plain data, as job definitions record it; the
 * jobs built from the file pass results with the library's `ResultRef`
 * ({@linkcode FromArg.toResultRef}), as `resultOf()` does.
 */
export class FromArg {
  /** Creates the reference. */
  constructor(readonly ids: readonly string[], readonly many: boolean) {}

  /** The library's placeholder for these results; `jobs` finds the built jobs by id. */
  toResultRef(jobs: ReadonlyMap<string, Job>): ResultRef {
    const name = this.ids.join(", ");
    // Lenient: a failed non-critical job's result is `undefined` (docs/workflows.md).
    return this.many
      ? new ResultRef(() => this.ids.map((id) => jobs.get(id)), name, undefined, true)
      : new ResultRef(() => jobs.get(this.ids[0]), name, undefined, true);
  }
}

/** A scalar a matrix may take. */
export type MatrixValue = string | number | boolean;

/** How a job retries: how often, and how long it waits before each retry. */
export interface RetrySpec {
  /** Retries after the first attempt (0: none). */
  readonly retries: number;
  /** The wait before each retry. */
  readonly backoff: BackoffPolicy;
}

/** What every job spec has, whatever its kind. */
export interface JobBase {
  /** The job's id: its key under `jobs:`, with the combination for a matrix job (`train[lr=0.1]`). */
  readonly id: string;
  /** The key under `jobs:`. */
  readonly name: string;
  /** The combination of a matrix job, keys in the order the file gives them. */
  readonly matrix?: Readonly<Record<string, MatrixValue>>;
  /** Ids of the jobs it requires (with those named by `{ from }` arguments). */
  readonly requires: readonly string[];
  readonly critical?: boolean;
  readonly forever?: boolean;
  /** Reuse a stored success with the same definition and inputs (`cache: true`). */
  readonly cache?: boolean;
  /** An issue positioned in the job's file at `path` below the job. */
  issue(path: Path, message: string): WorkflowIssue;
}

/** A command job (`run`). */
export interface RunJobSpec extends JobBase {
  readonly kind: "run";
  readonly argv: readonly string[];
  readonly env?: Record<string, string>;
  /** Absolute working directory. */
  readonly cwd: string;
  readonly limits: Limits;
  readonly permissions?: Permissions;
  readonly retry: RetrySpec;
}

/** A function job (`module` + `export` + `args` + `with`). */
export interface ModuleJobSpec extends JobBase {
  readonly kind: "module";
  /** Absolute `file:` URL of the module. */
  readonly moduleUrl: string;
  readonly exportName: string;
  /** Positional arguments; {@linkcode FromArg}s stand for other jobs' results. */
  readonly args: readonly unknown[];
  /** Passed after `args` as one object, when given; its values may be {@linkcode FromArg}s. */
  readonly with?: Readonly<Record<string, unknown>>;
  readonly limits: Limits;
  readonly permissions?: Permissions;
  readonly retry: RetrySpec;
}

/** A nested workflow file (`flow`). */
export interface FlowJobSpec extends JobBase {
  readonly kind: "flow";
  readonly workflow: WorkflowSpec;
}

/** A job of any kind. */
export type JobSpec = RunJobSpec | ModuleJobSpec | FlowJobSpec;

/** A checked workflow file. */
export interface WorkflowSpec {
  /** The file, as given or resolved from its parent. */
  readonly file: string;
  /** The flow's label. */
  readonly name: string;
  readonly window: number;
  readonly timeout?: number;
  readonly executor?: ExecutorKind;
  /** In file order, matrix jobs expanded in matrix order. */
  readonly jobs: readonly JobSpec[];
}
