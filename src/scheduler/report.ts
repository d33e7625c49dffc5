/**
 * Trial reports (amltk's `Trial.Task` idea): a task made with
 * `{ report: true }` fulfils every call with a report, so a search keeps
 * going through failures, limits and crashes without exception policies.
 *
 * @module
 */

import { LimitError, type LimitKind, WorkerCrashedError } from "../executors/errors.ts";

/**
 * How a call of a reporting task ended: `"success"` (it returned),
 * `"fail"` (it threw, or a limit stopped it), `"crashed"` (the worker or
 * process running it died).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * const score = scheduler.task((lr: number) => {
 *   if (lr > 1) throw new RangeError("diverged");
 *   return 1 - lr;
 * }, { report: true });
 * const reports = await scheduler.map(score, [0.5, 2]);
 * const failed = reports.filter((r) => r.status !== "success");
 * assert.equal(failed.length, 1);
 * ```
 * @category Core
 */
export type TrialStatus = "success" | "fail" | "crashed";

/**
 * What a call of a task made with `{ report: true }` fulfils with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler, type TrialReport } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * const score = scheduler.task((lr: number) => {
 *   if (lr > 1) throw new RangeError("diverged");
 *   return 1 - lr;
 * }, { report: true });
 * const reports: TrialReport<number>[] = await scheduler.map(score, [0.1, 2]);
 * assert.deepEqual(reports.map((r) => r.status), ["success", "fail"]);
 * ```
 * @category Core
 */
export type TrialReport<T> =
  | {
    readonly status: "success";
    readonly value: T;
    readonly error?: undefined;
    readonly limit?: undefined;
  }
  | {
    readonly status: "fail" | "crashed";
    readonly value?: undefined;
    /** What went wrong. */
    readonly error: Error;
    /** Which limit stopped the call, when one did. */
    readonly limit?: LimitKind;
  };

/** The report of a settled call: a result or an error. */
export function toReport<T>(ok: boolean, outcome: unknown): TrialReport<T> {
  if (ok) return { status: "success", value: outcome as T };
  const error = outcome as Error;
  if (error instanceof WorkerCrashedError) return { status: "crashed", error };
  if (error instanceof LimitError) return { status: "fail", error, limit: error.kind };
  return { status: "fail", error };
}
