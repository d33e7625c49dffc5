/**
 * Past runs: a read-only source the monitor can browse besides (or instead
 * of) live schedulers and flows — the run store of `baton serve`, or any
 * other record of runs.
 *
 * @module
 */

/**
 * One past run, as {@linkcode RunSource.runs} lists it.
 *
 * @example
 * ```ts
 * import type { PastRun } from "@baton/baton";
 * const run: PastRun = { id: "20260101-120000-ab12", label: "pipeline", started: Date.now(), jobs: 3, failed: 0 };
 * ```
 * @category Monitor
 */
export interface PastRun {
  /** The run id (the name of its folder under `.baton/logs/`). */
  id: string;
  /** The flow's label. */
  label: string;
  /** The workflow file, if the run came from one. */
  file?: string;
  /** When it started (milliseconds since the epoch). */
  started: number;
  /** When it ended, once it did. */
  ended?: number;
  /** Whether it succeeded; absent while running or when not known. */
  ok?: boolean;
  /** Why it ended, as `flow.why()` said. */
  why?: string;
  /** How many jobs it has. */
  jobs: number;
  /** How many of them failed. */
  failed: number;
}

/**
 * One job of a past run.
 *
 * @example
 * ```ts
 * import type { PastJob } from "@baton/baton";
 * const job: PastJob = { id: "train", label: "train", state: "failed", requires: ["prep"], error: "Error: diverged" };
 * ```
 * @category Monitor
 */
export interface PastJob {
  /** The job's id within its run. */
  id: string;
  /** Its label. */
  label: string;
  /** `waiting`, `queued`, `running`, `done`, `failed`, `cancelled`, `skipped` (resumed or cached). */
  state: string;
  /** Ids of the jobs it required. */
  requires: string[];
  /** Whether its failure failed the run. */
  critical?: boolean;
  /** When it started (milliseconds since the epoch). */
  started?: number;
  /** When it ended. */
  ended?: number;
  /** Its result, as text. */
  result?: string;
  /** Its error as `Name: message`. */
  error?: string;
  /** Its error's stack. */
  stack?: string;
}

/**
 * One event of a past run (a job's state change, the run's end…).
 *
 * @example
 * ```ts
 * import type { PastEvent } from "@baton/baton";
 * const event: PastEvent = { time: Date.now(), event: "job-failed", job: "train", detail: "Error: diverged" };
 * ```
 * @category Monitor
 */
export interface PastEvent {
  /** When (milliseconds since the epoch). */
  time: number;
  /** The event's name, as the flow emitted it (`job-started`, `job-failed`, `flow-done`…). */
  event: string;
  /** The job it is about, if any. */
  job?: string;
  /** A result, error or reason, as text. */
  detail?: string;
}

/**
 * One line of a past job's log.
 *
 * @example
 * ```ts
 * import type { PastLogLine } from "@baton/baton";
 * const line: PastLogLine = { seq: 1, stream: "stdout", text: "epoch 1: loss 0.3" };
 * ```
 * @category Monitor
 */
export interface PastLogLine {
  /** Line number within the job's log, from 1. */
  seq: number;
  /** When it was written, if known. */
  time?: number;
  /** `stdout` or `stderr`. */
  stream: string;
  /** The line, without its newline. */
  text: string;
}

/**
 * Where the monitor reads past runs: give one as `monitor(target, { runs })`
 * and it serves `GET /api/runs`, `/api/runs/:run/jobs`, `/api/runs/:run/events`
 * and `/api/runs/:run/logs/:job`, and the dashboard's "Past runs" section.
 * Every method may return a promise; an unknown run or job is `undefined`.
 * The monitor only reads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { monitor, type RunSource } from "@baton/baton";
 * const runs: RunSource = {
 *   runs: () => [{ id: "r1", label: "demo", started: 0, ended: 1000, ok: true, jobs: 1, failed: 0 }],
 *   jobs: (run) => run === "r1" ? [{ id: "a", label: "a", state: "done", requires: [] }] : undefined,
 *   events: (run) => run === "r1" ? [] : undefined,
 *   logs: (run, job) =>
 *     run === "r1" && job === "a" ? [{ seq: 1, stream: "stdout", text: "hi" }] : undefined,
 * };
 * const app = monitor([], { runs });
 * const res = await app.request("/api/runs");
 * assert.equal((await res.json())[0].id, "r1");
 * ```
 * @category Monitor
 */
export interface RunSource {
  /** Past runs, newest first. */
  runs(): PastRun[] | Promise<PastRun[]>;
  /** A run's jobs, in the order they were defined. */
  jobs(run: string): PastJob[] | undefined | Promise<PastJob[] | undefined>;
  /** A run's events, oldest first. */
  events(run: string): PastEvent[] | undefined | Promise<PastEvent[] | undefined>;
  /** A job's log lines after line `after`, at most `limit`. */
  logs(
    run: string,
    job: string,
    options: { after: number; limit: number },
  ): PastLogLine[] | undefined | Promise<PastLogLine[] | undefined>;
}

/** Whether `value` has the four methods of a {@linkcode RunSource}. */
export function isRunSource(value: unknown): value is RunSource {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return ["runs", "jobs", "events", "logs"].every((m) => typeof v[m] === "function");
}
