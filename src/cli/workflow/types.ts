/**
 * A workflow file once checked: what `build` turns into a flow.
 *
 * @module
 */

import type { Limits, Permissions } from "../../executors/limits.ts";
import type { WorkflowIssue } from "../errors.ts";
import type { Path } from "./parse.ts";

/** The executors a workflow may run module jobs on. */
export const EXECUTORS = ["workers", "processes", "sequential"] as const;

/** One of {@linkcode EXECUTORS}. */
export type ExecutorKind = (typeof EXECUTORS)[number];

/** An argument `{ from: <job id> }`: replaced by that job's result. */
export interface FromRef {
  /** The job whose result is passed. */
  readonly from: string;
}

/** Whether `value` is exactly `{ from: "<id>" }`. */
export function isFromRef(value: unknown): value is FromRef {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    Object.keys(value).length === 1 && typeof (value as FromRef).from === "string";
}

interface JobBase {
  /** The key under `jobs:`. */
  readonly id: string;
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
  readonly retries: number;
}

/** A function job (`module` + `export` + `args`). */
export interface ModuleJobSpec extends JobBase {
  readonly kind: "module";
  /** Absolute `file:` URL of the module. */
  readonly moduleUrl: string;
  readonly exportName: string;
  readonly args: readonly unknown[];
  readonly limits: Limits;
  readonly permissions?: Permissions;
  readonly retries: number;
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
  /** In file order. */
  readonly jobs: readonly JobSpec[];
}
