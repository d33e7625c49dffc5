/**
 * Data of the timeline (calls per worker over time, jobs of flows) and of
 * the duration chart, computed on request from the call logs.
 *
 * @module
 */

import { type CallLog, type CallState, callState } from "./calls.ts";
import { taskName } from "./explorer.ts";
import type { Recorder } from "./recorder.ts";
import type { Targets } from "./target.ts";
import { allJobs } from "./explorer.ts";
import { Flow } from "../flow/flow.ts";

/** One call on the timeline. */
export interface TimelineBar {
  /** Future id. */
  id: number;
  /** Index into `lanes`. */
  lane: number;
  /** Start and end, milliseconds since the epoch (the end of a running call is now). */
  start: number;
  end: number;
  state: CallState;
  task: string;
}

/** One job on the timeline. */
export interface TimelineJob {
  id: number;
  label: string;
  flow: number;
  start: number;
  end: number;
  state: string;
}

/** `GET /api/timeline`. */
export interface Timeline {
  /** The window shown, milliseconds since the epoch. */
  from: number;
  to: number;
  /** Worker labels (`worker-1`, `main`), then `lane N` for calls whose worker is not known. */
  lanes: string[];
  /** Calls in the window, newest first, at most `limit`. */
  bars: TimelineBar[];
  /** Calls in the window, shown or not. */
  total: number;
  /** Jobs of the watched flows that ran in the window (at most 500). */
  jobs: TimelineJob[];
}

/** Orders `worker-2` before `worker-10`. */
const byName = new Intl.Collator("en", { numeric: true }).compare;

/**
 * Calls of `log` that ran in `[from, to]`; without `from`, the last
 * `window` ms up to the latest activity (now while running).
 */
export function buildTimeline(
  log: CallLog | undefined,
  targets: Targets,
  recorder: Recorder,
  options: { from?: number; to?: number; window: number; limit: number },
): Timeline {
  const now = Date.now();
  let latest = 0;
  const running = log ? log.inFlight.size > 0 : false;
  if (log) {
    for (let i = log.size - 1; i >= 0 && i >= log.size - 1000; i--) {
      const ended = log.endedAt(i);
      if (!Number.isNaN(ended) && ended > latest) latest = ended;
    }
  }
  for (const { job } of allJobs(targets)) {
    const times = recorder.job(job);
    if (times?.ended !== undefined && times.ended > latest) latest = times.ended;
    if (times?.started !== undefined && times.ended === undefined) latest = now;
  }
  if (running || latest === 0) latest = now;
  const to = options.to ?? latest;
  // A run shorter than the window fills it: the window starts with the run's first call.
  let earliest = Infinity;
  if (log) {
    for (let i = 0; i < log.size && i < 1000; i++) {
      const started = log.at(i).startedAt;
      if (started !== undefined && started < earliest) earliest = started;
    }
  }
  for (const { job } of allJobs(targets)) {
    const started = recorder.job(job)?.started;
    if (started !== undefined && started < earliest) earliest = started;
  }
  const from = options.from ?? Math.min(to - 1, Math.max(to - options.window, earliest));
  const found: {
    id: number;
    worker?: string;
    start: number;
    end: number;
    state: CallState;
    task: string;
  }[] = [];
  let total = 0;
  if (log) {
    for (let i = log.size - 1; i >= 0; i--) {
      const future = log.at(i);
      const start = future.startedAt;
      if (start === undefined) continue;
      const ended = log.endedAt(i);
      const end = Number.isNaN(ended) ? now : ended;
      if (end < from || start > to) continue;
      total++;
      if (found.length >= options.limit) continue;
      found.push({
        id: future.id,
        worker: future.worker,
        start,
        end,
        state: callState(future),
        task: taskName(future),
      });
    }
  }
  const named = [...new Set(found.map((b) => b.worker).filter((w) => w !== undefined))].sort(
    byName,
  ) as string[];
  const lanes = [...named];
  const laneOf = new Map(named.map((name, i) => [name, i]));
  // Calls whose worker is not known go on lanes where they do not overlap.
  const free: number[] = [];
  const bars: TimelineBar[] = [];
  for (const b of [...found].sort((x, y) => x.start - y.start)) {
    let lane = b.worker !== undefined ? laneOf.get(b.worker)! : -1;
    if (lane < 0) {
      let k = free.findIndex((endsAt) => endsAt <= b.start);
      if (k < 0) {
        k = free.length;
        free.push(0);
        lanes.push(`lane ${k + 1}`);
      }
      free[k] = b.end;
      lane = named.length + k;
    }
    bars.push({ id: b.id, lane, start: b.start, end: b.end, state: b.state, task: b.task });
  }
  bars.sort((x, y) => y.start - x.start);
  const jobs: TimelineJob[] = [];
  for (const { job, flow } of allJobs(targets)) {
    if (job instanceof Flow || jobs.length >= 500) continue;
    const times = recorder.job(job);
    if (times?.started === undefined) continue;
    const end = times.ended ?? now;
    if (end < from || times.started > to) continue;
    jobs.push({
      id: targets.jobId(job),
      label: job.label,
      flow,
      start: times.started,
      end,
      state: job.cancelled ? "cancelled" : job.failed ? "failed" : job.state,
    });
  }
  return { from, to, lanes, bars, total, jobs };
}

/** `GET /api/durations`: how long calls ran, as a histogram and percentiles. */
export interface Durations {
  /** Calls counted (finished, with a known start). */
  count: number;
  /** Milliseconds. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Counts of calls that ran at most `le` ms (and more than the previous bucket's `le`). */
  buckets: { le: number; count: number }[];
  /** Task names seen, for the chart's selector. */
  tasks: string[];
}

const STEPS = [1, 2, 5];

const durationsCache = new WeakMap<object, { key: string; value: Durations }>();

/** Run times of the finished calls of `logs` (of one task, when given); computed once per change. */
export function durations(logs: readonly CallLog[], task?: string): Durations {
  const key = `${task ?? ""}\0${logs.map((l) => l?.version).join()}`;
  // One log comes in a new array each time: key the cache by the log then.
  const owner: object = logs.length === 1 && logs[0] ? logs[0] : logs;
  const cached = durationsCache.get(owner);
  if (cached?.key === key) return cached.value;
  const value = computeDurations(logs, task);
  durationsCache.set(owner, { key, value });
  return value;
}

function computeDurations(logs: readonly CallLog[], task?: string): Durations {
  const values: number[] = [];
  const tasks = new Set<string>();
  for (const log of logs) {
    if (!log) continue;
    for (let i = 0; i < log.size; i++) {
      const future = log.at(i);
      const name = taskName(future);
      tasks.add(name);
      if (task !== undefined && name !== task) continue;
      const ended = log.endedAt(i);
      const start = future.startedAt;
      if (Number.isNaN(ended) || start === undefined || future.status === "cancelled") continue;
      values.push(Math.max(0, ended - start));
    }
  }
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) =>
    sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const max = sorted.length ? sorted[sorted.length - 1] : 0;
  const buckets: { le: number; count: number }[] = [];
  // 1, 2, 5, 10, 20, 50 ms … up to the longest call.
  for (let decade = 1; buckets.length === 0 || buckets[buckets.length - 1].le < max; decade *= 10) {
    for (const step of STEPS) buckets.push({ le: step * decade, count: 0 });
  }
  let b = 0;
  for (const v of sorted) {
    while (v > buckets[b].le) b++;
    buckets[b].count++;
  }
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: Math.round(at(0.5)),
    p90: Math.round(at(0.9)),
    p99: Math.round(at(0.99)),
    max: Math.round(max),
    mean: sorted.length ? Math.round(sum / sorted.length) : 0,
    buckets,
    tasks: [...tasks].sort(byName),
  };
}
