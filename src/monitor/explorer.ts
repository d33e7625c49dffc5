/**
 * The explorer's queries: futures and jobs, filtered, counted and paged on
 * the server (a run can hold 100k futures), and the detail of one.
 *
 * @module
 */

import type { Future } from "../scheduler/future.ts";
import { Flow } from "../flow/flow.ts";
import { type Job, TaskJob } from "../flow/job.ts";
import { brief } from "./brief.ts";
import { type CallLog, type CallState, callState } from "./calls.ts";
import { futureKey, jobKey, type Recorder } from "./recorder.ts";
import type { Targets } from "./target.ts";
import { type ErrorView, errorView, inline, inlineItems, type TextView, viewText } from "./text.ts";

/** One future in `GET /api/futures`. */
export interface FutureRow {
  id: number;
  /** Index of its scheduler. */
  scheduler: number;
  /** Its task's name, or the submitted function's name. */
  task: string;
  state: CallState;
  attempts: number;
  /** Its arguments, briefly. */
  args: string;
  /** Times in milliseconds since the epoch. */
  submitted: number;
  started?: number;
  ended?: number;
  /** Milliseconds it ran (so far), from its latest start. */
  duration?: number;
  /** Milliseconds it waited before its latest start. */
  wait?: number;
  /** The worker that ran it, as in `executor.info()`. */
  worker?: string;
  /** Its result, briefly, once done. */
  result?: string;
  /** Its error as `Name: message`, briefly, once failed or cancelled. */
  error?: string;
  /** The id of the task job that submitted it, if any. */
  job?: number;
}

/** One job in `GET /api/jobs`. */
export interface JobRow {
  id: number;
  /** Index of its flow, and its label. */
  flow: number;
  flowLabel: string;
  label: string;
  /** `waiting` (for requirements), `queued` (for a window slot), `running`, `done`, `failed`, `cancelled`. */
  state: "waiting" | "queued" | "running" | "done" | "failed" | "cancelled";
  /** `function`, `task`, `command`, `flow`, or the class name of a custom job. */
  kind: string;
  critical: boolean;
  forever: boolean;
  requirements: number[];
  started?: number;
  ended?: number;
  duration?: number;
  result?: string;
  error?: string;
  /** The future a task job submitted. */
  future?: number;
}

/** A page of rows with the counts the filters show. */
export interface Page<R> {
  /** Rows matching the filters. */
  total: number;
  offset: number;
  rows: R[];
  /** Matching rows by state, ignoring the state filter. */
  states: Record<string, number>;
  /** Matching rows by task (or flow), ignoring that filter. */
  groups: Record<string, number>;
  /** Finished futures the monitor let go of (see `maxFutures`). */
  evicted: number;
}

/** Filters and paging of the explorer's lists. */
export interface Query {
  scheduler?: number;
  flow?: number;
  /** States to keep (any of them). */
  states?: Set<string>;
  /** Task name (futures) or flow label (jobs). */
  group?: string;
  offset: number;
  limit: number;
  newestFirst: boolean;
}

/** The states futures are listed and filtered by. */
export const FUTURE_STATES: readonly string[] = [
  "queued",
  "running",
  "done",
  "failed",
  "cancelled",
];
/** The states jobs are listed and filtered by. */
export const JOB_STATES: readonly string[] = ["waiting", ...FUTURE_STATES];

/**
 * Counts items by state and group the way the filters show them (states
 * ignoring the state filter, groups ignoring the group filter), and says
 * which matching items fall in the page asked for.
 */
class Facets {
  readonly states: Record<string, number> = {};
  readonly groups: Record<string, number> = {};
  /** Matching items seen so far. */
  total = 0;
  readonly #query: Query;

  constructor(states: readonly string[], query: Query) {
    for (const state of states) this.states[state] = 0;
    this.#query = query;
  }

  /** Counts one item; returns whether it matches and is on the page. */
  add(state: string, group: string): boolean {
    const q = this.#query;
    const stateOk = !q.states || q.states.has(state);
    const groupOk = q.group === undefined || group === q.group;
    if (groupOk) this.states[state]++;
    if (stateOk) this.groups[group] = (this.groups[group] ?? 0) + 1;
    if (!stateOk || !groupOk) return false;
    const n = this.total++;
    return n >= q.offset && n < q.offset + q.limit;
  }
}

/** The name a future is listed under. */
export function taskName(future: Future): string {
  return future.task?.name ?? (future.fn.name || "anonymous");
}

/** What the explorer needs to know of a call besides its future. */
export interface CallRef {
  future: Future;
  scheduler: number;
  /** Milliseconds since the epoch; `NaN` when not known (any more). */
  submitted: number;
  ended: number;
}

/** The call at position `i` of `log`. */
export function callAt(log: CallLog, i: number): CallRef {
  return {
    future: log.at(i),
    scheduler: log.scheduler,
    submitted: log.submittedAt(i),
    ended: log.endedAt(i),
  };
}

/** A future as a row. */
export function futureRow(
  call: CallRef,
  recorder: Recorder,
  jobId: (job: Job) => number,
  now: number,
): FutureRow {
  const { future, submitted, ended } = call;
  const state = callState(future);
  const started = future.startedAt;
  const row: FutureRow = {
    id: future.id,
    scheduler: call.scheduler,
    task: taskName(future),
    state,
    attempts: future.attempts,
    args: inlineItems(future.args, 120),
    submitted: Math.round(submitted),
  };
  if (started !== undefined) {
    row.started = Math.round(started);
    if (!Number.isNaN(submitted)) row.wait = Math.max(0, Math.round(started - submitted));
    row.duration = Math.max(0, Math.round((Number.isNaN(ended) ? now : ended) - started));
  }
  if (!Number.isNaN(ended)) row.ended = Math.round(ended);
  if (future.worker !== undefined) row.worker = future.worker;
  if (state === "done") row.result = inline(future.value, 120);
  else if (state === "failed" || state === "cancelled") row.error = brief(future.error);
  const job = recorder.jobOf(future);
  if (job) row.job = jobId(job);
  return row;
}

/** `GET /api/futures`: every scheduler's calls (or one's), newest first by default. */
export function queryFutures(
  logs: readonly CallLog[],
  query: Query,
  recorder: Recorder,
  jobId: (job: Job) => number,
): Page<FutureRow> {
  const chosen = logs.filter((l) =>
    l && (query.scheduler === undefined || l.scheduler === query.scheduler)
  );
  const facets = new Facets(FUTURE_STATES, query);
  const hits: [CallLog, number][] = [];
  const visit = (log: CallLog, i: number) => {
    const future = log.at(i);
    if (facets.add(callState(future), taskName(future))) hits.push([log, i]);
  };
  if (chosen.length === 1) {
    const log = chosen[0];
    if (query.newestFirst) { for (let i = log.size - 1; i >= 0; i--) visit(log, i); }
    else for (let i = 0; i < log.size; i++) visit(log, i);
  } else mergeById(chosen, query.newestFirst, visit);
  const now = Date.now();
  return {
    total: facets.total,
    offset: query.offset,
    rows: hits.map(([log, i]) => futureRow(callAt(log, i), recorder, jobId, now)),
    states: facets.states,
    groups: facets.groups,
    evicted: chosen.reduce((n, l) => n + l.evicted, 0),
  };
}

/** Visits the calls of several logs in id order (ids grow with submission), a k-way merge. */
function mergeById(
  logs: readonly CallLog[],
  newestFirst: boolean,
  visit: (log: CallLog, i: number) => void,
): void {
  const cursor = logs.map((l) => (newestFirst ? l.size - 1 : 0));
  for (;;) {
    let pick = -1;
    for (let k = 0; k < logs.length; k++) {
      const i = cursor[k];
      if (i < 0 || i >= logs[k].size) continue;
      if (pick < 0) pick = k;
      else {
        const a = logs[k].at(i).id, b = logs[pick].at(cursor[pick]).id;
        if (newestFirst ? a > b : a < b) pick = k;
      }
    }
    if (pick < 0) return;
    visit(logs[pick], cursor[pick]);
    cursor[pick] += newestFirst ? -1 : 1;
  }
}

/** The detail of a future: its row, and arguments, result or error readably. */
export interface FutureDetail extends FutureRow {
  /** The arguments (each one an element), readably, cut for the view. */
  argsText: TextView;
  resultText?: TextView;
  errorDetail?: ErrorView;
  /** Whether it has output in the log tail. */
  hasOutput: boolean;
}

/** Finds a call by future id in the logs, or among the failures they keep. */
export function findCall(logs: readonly CallLog[], id: number): CallRef | undefined {
  for (const log of logs) {
    if (!log) continue;
    const i = log.find(id);
    if (i >= 0) return callAt(log, i);
  }
  for (const log of logs) {
    const failed = log?.failure(id);
    if (failed) return { ...failed, scheduler: log.scheduler };
  }
  return undefined;
}

/** `GET /api/futures/:id`. */
export function futureDetail(
  call: CallRef,
  recorder: Recorder,
  jobId: (job: Job) => number,
): FutureDetail {
  const row = futureRow(call, recorder, jobId, Date.now());
  const future = call.future;
  const detail: FutureDetail = {
    ...row,
    argsText: viewText(future.args),
    hasOutput: recorder.logs.has(futureKey(future.id)),
  };
  if (row.state === "done") detail.resultText = viewText(future.value);
  if (row.state === "failed" || row.state === "cancelled") {
    detail.errorDetail = errorView(future.error);
  }
  return detail;
}

function jobState(job: Job): JobRow["state"] {
  if (job.cancelled) return "cancelled";
  if (job.failed) return "failed";
  switch (job.state) {
    case "idle":
      return "waiting";
    case "scheduled":
      return "queued";
    default:
      return job.state;
  }
}

function jobKind(job: Job): string {
  if (job instanceof Flow) return "flow";
  if (job instanceof TaskJob) return "task";
  const name = job.constructor.name;
  if (name === "FunctionJob") return "function";
  if (name === "CommandJob") return "command";
  return name;
}

/** A job as a row. */
export function jobRow(job: Job, flow: number, targets: Targets, recorder: Recorder): JobRow {
  const times = recorder.job(job);
  const state = jobState(job);
  const row: JobRow = {
    id: targets.jobId(job),
    flow,
    flowLabel: targets.flows[flow]?.label ?? "",
    label: job.label,
    state,
    kind: jobKind(job),
    critical: job.critical,
    forever: job.forever,
    requirements: [...job.requirements].map((r) => targets.jobId(r)),
  };
  if (times?.started !== undefined) row.started = Math.round(times.started);
  if (times?.ended !== undefined) row.ended = Math.round(times.ended);
  const duration = job.duration;
  if (duration !== undefined) row.duration = Math.round(duration);
  if (state === "done") row.result = inline(job.result, 120);
  if (state === "failed") row.error = brief(job.error);
  if (times?.future) row.future = times.future.id;
  return row;
}

/** Every job of every watched flow (or one flow's), with its flow's index. */
export function allJobs(targets: Targets, flow?: number): { job: Job; flow: number }[] {
  const out: { job: Job; flow: number }[] = [];
  targets.flows.forEach((f, index) => {
    if (flow !== undefined && flow !== index) return;
    for (const job of f.jobs) out.push({ job, flow: index });
  });
  return out;
}

/** `GET /api/jobs`: jobs in the order they were added (flow by flow), or newest first. */
export function queryJobs(targets: Targets, query: Query, recorder: Recorder): Page<JobRow> {
  const jobs = allJobs(targets, query.flow);
  if (query.newestFirst) jobs.reverse();
  const facets = new Facets(JOB_STATES, query);
  const rows: JobRow[] = [];
  for (const { job, flow } of jobs) {
    if (facets.add(jobState(job), targets.flows[flow].label)) {
      rows.push(jobRow(job, flow, targets, recorder));
    }
  }
  return {
    total: facets.total,
    offset: query.offset,
    rows,
    states: facets.states,
    groups: facets.groups,
    evicted: 0,
  };
}

/** The detail of a job. */
export interface JobDetail extends JobRow {
  resultText?: TextView;
  errorDetail?: ErrorView;
  hasOutput: boolean;
}

/** `GET /api/jobs/:id`. */
export function jobDetail(
  job: Job,
  flow: number,
  targets: Targets,
  recorder: Recorder,
): JobDetail {
  const row = jobRow(job, flow, targets, recorder);
  const detail: JobDetail = { ...row, hasOutput: recorder.logs.has(jobKey(row.id)) };
  if (row.state === "done") detail.resultText = viewText(job.result);
  if (row.state === "failed") detail.errorDetail = errorView(job.error);
  return detail;
}

/** Finds a job by its monitor id. */
export function findJob(targets: Targets, id: number): { job: Job; flow: number } | undefined {
  return allJobs(targets).find(({ job }) => targets.jobId(job) === id);
}

/** One entry of the failures panel. */
export interface Failure {
  kind: "future" | "job";
  id: number;
  /** Task name or job label. */
  name: string;
  /** When it failed (milliseconds since the epoch). */
  time: number;
  error: string;
}

/** The latest failures of futures and jobs, newest first. */
export function failures(
  logs: readonly CallLog[],
  targets: Targets,
  recorder: Recorder,
  limit: number,
): Failure[] {
  const out: Failure[] = [];
  for (const log of logs) {
    if (!log) continue;
    for (const { future, ended } of log.failures(limit)) {
      out.push({
        kind: "future",
        id: future.id,
        name: taskName(future),
        time: Math.round(ended),
        error: brief(future.error),
      });
    }
  }
  for (const { job } of allJobs(targets)) {
    if (!job.failed || job instanceof Flow) continue;
    out.push({
      kind: "job",
      id: targets.jobId(job),
      name: job.label,
      time: Math.round(recorder.job(job)?.ended ?? 0),
      error: brief(job.error),
    });
  }
  out.sort((a, b) => b.time - a.time);
  return out.slice(0, limit);
}
