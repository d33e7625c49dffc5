/**
 * Follows a flow and its nested flows: one callback for every job event,
 * with the job's path (`sub/train` for a job of nested flow `sub`).
 *
 * @module
 */

import { Flow } from "../../flow/flow.ts";
import type { Job } from "../../flow/job.ts";
import type { Limits } from "../../executors/limits.ts";
import type { OutputStream } from "../../wire/messages.ts";
import type { Future } from "../../scheduler/future.ts";
import { cliWording } from "../errors.ts";
import { JOB_RETRY } from "../workflow/jobs.ts";

/** A job event, as the progress views receive it. */
export type FlowEvent =
  | { type: "job-started"; job: Job; path: string }
  | { type: "job-done"; job: Job; path: string; result: unknown }
  | { type: "job-failed"; job: Job; path: string; error: unknown }
  | { type: "job-cancelled"; job: Job; path: string }
  | { type: "job-retry"; job: Job; path: string; error: unknown; attempt: number; delayMs: number }
  | { type: "flow-done"; job: Flow; path: string; ok: boolean; why: string };

/** What every progress view gets. */
export interface ProgressContext {
  /** The top flow. */
  readonly flow: Flow;
  /** Limits of the jobs that have some. */
  readonly limits: ReadonlyMap<Job, Limits>;
  /** Where the view writes. */
  readonly write: (text: string) => void;
  /** The recorded run, when there is one: job keys and their calls. */
  readonly run?: RunInfo;
}

/** What a view needs of a recorded run. */
export interface RunInfo {
  /** The run id. */
  readonly id?: string;
  /** The job's key (what its output lines are prefixed with). */
  keyOf(job: Job): string | undefined;
  /** The latest call of a task job. */
  futureOf(job: Job): Future | undefined;
}

/** A progress view: started before the run, stopped (and flushed) after it. */
export interface ProgressView {
  /** Starts following the flow. */
  start(): void;
  /** Stops following; draws a last time if it draws. */
  stop(): void;
  /** Shows a piece of a job's output (prefixed by its key, line by line). */
  output(key: string, text: string, stream: OutputStream): void;
  /** Shows a message of baton's (a warning, an interruption) without breaking the view. */
  message(text: string): void;
}

/** Every job of `flow`, nested ones after their flow, with its path and depth. */
export function allJobs(
  flow: Flow,
  prefix = "",
  depth = 0,
): { job: Job; path: string; depth: number }[] {
  const out: { job: Job; path: string; depth: number }[] = [];
  for (const job of flow.topologicalOrder()) {
    const path = prefix + job.label;
    out.push({ job, path, depth });
    if (job instanceof Flow) out.push(...allJobs(job, `${path}/`, depth + 1));
  }
  return out;
}

/** Subscribes `callback` to the job events of `flow` and its nested flows; returns how to stop. */
export function watchFlow(flow: Flow, callback: (event: FlowEvent) => void): () => void {
  const handlers: { remove(): void }[] = [];
  const follow = (f: Flow, prefix: string) => {
    const opts = { hidden: true, name: "baton-cli" };
    handlers.push(
      f.onJobStarted(
        (job) => callback({ type: "job-started", job, path: prefix + job.label }),
        opts,
      ),
      f.onJobDone(
        (job, result) => callback({ type: "job-done", job, path: prefix + job.label, result }),
        opts,
      ),
      f.onJobFailed(
        (job, error) => callback({ type: "job-failed", job, path: prefix + job.label, error }),
        opts,
      ),
      f.onJobCancelled(
        (job) => callback({ type: "job-cancelled", job, path: prefix + job.label }),
        opts,
      ),
      f.on(
        JOB_RETRY,
        (job, error, attempt, delayMs) =>
          callback({ type: "job-retry", job, path: prefix + job.label, error, attempt, delayMs }),
        opts,
      ),
      f.onFlowDone(
        (ok, why) =>
          callback({
            type: "flow-done",
            job: f,
            path: prefix.replace(/\/$/, "") || f.label,
            ok,
            why,
          }),
        opts,
      ),
    );
    for (const job of f.jobs) if (job instanceof Flow) follow(job, `${prefix}${job.label}/`);
  };
  follow(flow, "");
  return () => {
    for (const h of handlers) h.remove();
  };
}

/** `"TypeError: message"` (first line, in command-line terms), for one-line outputs. */
export function errorLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return cliWording(text.split("\n")[0]);
}
