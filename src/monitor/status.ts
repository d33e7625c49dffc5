/**
 * The JSON snapshot served at `GET /api/status`.
 *
 * @module
 */

import type { Scheduler } from "../scheduler/scheduler.ts";
import type { AnyTask } from "../scheduler/task.ts";
import type { Flow } from "../flow/flow.ts";
import type { Job } from "../flow/job.ts";
import type { ExitState } from "../scheduler/scheduler.ts";
import { brief } from "./brief.ts";
import { limitsText } from "./text.ts";
import type { Targets } from "./target.ts";
import type { EventHub } from "./events.ts";
import type { CallLog } from "./calls.ts";
import type { Future } from "../scheduler/future.ts";

/**
 * `GET /api/status`: every watched scheduler and flow.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { monitor, type MonitorStatus, Scheduler } from "@baton/baton";
 * const app = monitor(Scheduler.sequential());
 * const status: MonitorStatus = await (await app.request("/api/status")).json();
 * assert.equal(status.schedulers[0].running, false);
 * ```
 * @category Monitor
 */
export interface MonitorStatus {
  /** When the snapshot was taken (milliseconds since the epoch). */
  time: number;
  /** The id of the last event recorded; `GET /api/events?after=<id>` continues from here. */
  lastEventId: number;
  /** The watched schedulers (also those that a watched flow's task jobs use). */
  schedulers: SchedulerStatus[];
  /** The watched flows, nested ones included. */
  flows: FlowStatus[];
}

/**
 * One scheduler in {@linkcode MonitorStatus}.
 *
 * @category Monitor
 */
export interface SchedulerStatus {
  /** Its index, as in the `scheduler` field of events. */
  index: number;
  /** Its name. */
  name: string;
  /** Whether `run()` is in progress and it was not stopped. */
  running: boolean;
  /** How its last run ended (as seen from its events), or `null` while running or before a run. */
  exit: { code: ExitState["code"]; error?: string } | null;
  /** The executor: kind, options, workers and queue. */
  executor: {
    kind: string;
    options: Record<string, string>;
    queued: number;
    busy: number;
    idle: number;
    workers: { id: string; busy: boolean; inFlight: number; pid?: number }[];
  };
  /** Futures queued or running. */
  queueSize: number;
  /** Event counts by name. */
  eventCounts: Record<string, number>;
  /** Its tasks. */
  tasks: TaskStatus[];
  /** Futures submitted and not finished, oldest first (at most 100). */
  futures: InFlightStatus[];
}

/**
 * One task in {@linkcode SchedulerStatus}.
 *
 * @category Monitor
 */
export interface TaskStatus {
  /** Its index in `scheduler.tasks`. */
  index: number;
  /** Its name. */
  name: string;
  /** Calls not finished. */
  running: number;
  /** Event counts by name. */
  eventCounts: Record<string, number>;
  /** Plugins with their state line (`describe()`), if they have one. */
  plugins: { name: string; state?: string }[];
  /** Limits in milliseconds and bytes. */
  limits: { wallTime?: number; cpuTime?: number; memory?: number };
  /** The same limits for people: `{ wallTime: "30s", memory: "256 MB" }`. */
  limitsText: Record<string, string>;
}

/**
 * A future in flight in {@linkcode SchedulerStatus}.
 *
 * @category Monitor
 */
export interface InFlightStatus {
  /** Its id. */
  id: number;
  /** Its task's name, if it went through one. */
  task?: string;
  /** `"pending"` (queued) or `"running"`. */
  status: string;
  /** Milliseconds since it was submitted. */
  elapsed: number;
  /** Its arguments, briefly. */
  args: string;
}

/**
 * One flow in {@linkcode MonitorStatus}.
 *
 * @category Monitor
 */
export interface FlowStatus {
  /** Its index, as in the `flow` field of events. */
  index: number;
  /** Its label. */
  label: string;
  /** The job id of this flow inside its parent flow, if nested. */
  job: number;
  /** Whether `run()` is in progress. */
  running: boolean;
  /** Why the run ended, `"RUNNING"` or `"NOT RUN yet"`. */
  why: string;
  /** Counts by state, as `flow.stats()`. */
  stats: string;
  /** Its jobs, in the order they were added. */
  jobs: JobStatus[];
  /** Graphviz DOT text of the graph. */
  dot: string;
}

/**
 * One job in {@linkcode FlowStatus}.
 *
 * @category Monitor
 */
export interface JobStatus {
  /** Monitor-wide job id, as in the `job` field of events. */
  id: number;
  /** Its label. */
  label: string;
  /** `idle`, `scheduled`, `running` or `done`. */
  state: string;
  /** Whether it is done and threw. */
  failed: boolean;
  /** Whether the flow cancelled it. */
  cancelled: boolean;
  /** Whether its failure fails the flow. */
  critical: boolean;
  /** Whether it is a forever job. */
  forever: boolean;
  /** Ids of the jobs it requires. */
  requirements: number[];
  /** Its result, briefly, once done. */
  result?: string;
  /** Its error, briefly, once failed. */
  error?: string;
  /** Milliseconds it ran (so far). */
  duration?: number;
  /** The index of the nested flow, for a job that is a flow. */
  flow?: number;
}

/** Builds the snapshot. */
export function buildStatus(targets: Targets, hub: EventHub): MonitorStatus {
  for (const flow of [...targets.flows]) targets.rescanFlow(flow);
  for (const scheduler of targets.schedulers) hub.watchTasks(scheduler);
  return {
    time: Date.now(),
    lastEventId: hub.lastId,
    schedulers: targets.schedulers.map((s, i) => schedulerStatus(s, i, hub)),
    flows: targets.flows.map((f, i) => flowStatus(f, i, targets)),
  };
}

function counts(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries(map);
}

/** How the scheduler's last run ended; `null` while running or before. */
function exitOf(scheduler: Scheduler): SchedulerStatus["exit"] {
  const exit = scheduler.exitState;
  if (!exit) return null;
  return exit.error === undefined
    ? { code: exit.code }
    : { code: exit.code, error: brief(exit.error) };
}

function schedulerStatus(scheduler: Scheduler, index: number, hub: EventHub): SchedulerStatus {
  const info = scheduler.executor.info();
  const busy = info.workers.filter((w) => w.busy).length;
  const now = Date.now();
  const calls = hub.calls(scheduler);
  return {
    index,
    name: scheduler.name,
    running: scheduler.running(),
    exit: exitOf(scheduler),
    executor: {
      kind: info.kind,
      options: Object.fromEntries(Object.entries(info.options).map(([k, v]) => [k, brief(v)])),
      queued: info.queued,
      busy,
      idle: info.workers.length - busy,
      workers: info.workers.map((w) => ({
        id: w.id,
        busy: w.busy,
        inFlight: w.inFlight,
        ...(w.pid !== undefined ? { pid: w.pid } : {}),
      })),
    },
    queueSize: scheduler.queueSize,
    eventCounts: counts(scheduler.eventCounts),
    tasks: scheduler.tasks.map(taskStatus),
    futures: firstInFlight(calls, 100).map((future) => {
      const i = calls!.find(future.id);
      return {
        id: future.id,
        ...(future.task ? { task: future.task.name } : {}),
        status: future.status,
        elapsed: i < 0 ? 0 : Math.max(0, Math.round(now - calls!.submittedAt(i))),
        args: brief(future.args),
      };
    }),
  };
}

function taskStatus(task: AnyTask, index: number): TaskStatus {
  return {
    index,
    name: task.name,
    running: task.nRunning,
    eventCounts: counts(task.eventCounts),
    plugins: task.plugins.map((p) => ({
      name: p.name,
      ...(p.describe ? { state: p.describe() } : {}),
    })),
    limits: { ...task.limits },
    limitsText: limitsText(task.limits),
  };
}

function flowStatus(flow: Flow, index: number, targets: Targets): FlowStatus {
  return {
    index,
    label: flow.label,
    job: targets.jobId(flow),
    running: flow.running(),
    why: flow.why(),
    stats: flow.stats(),
    jobs: flow.jobs.map((job) => jobStatus(job, targets)),
    dot: flow.toDot(),
  };
}

function jobStatus(job: Job, targets: Targets): JobStatus {
  const nested = targets.flows.indexOf(job as Flow);
  const duration = job.duration;
  return {
    id: targets.jobId(job),
    label: job.label,
    state: job.state,
    failed: job.failed,
    cancelled: job.cancelled,
    critical: job.critical,
    forever: job.forever,
    requirements: [...job.requirements].map((r) => targets.jobId(r)),
    ...(job.isDone() && !job.failed ? { result: brief(job.result) } : {}),
    ...(job.failed ? { error: brief(job.error) } : {}),
    ...(duration !== undefined ? { duration: Math.round(duration) } : {}),
    ...(nested >= 0 ? { flow: nested } : {}),
  };
}

/** The oldest `n` calls in flight of `calls`. */
function firstInFlight(calls: CallLog | undefined, n: number): Future[] {
  const out: Future[] = [];
  if (!calls) return out;
  for (const future of calls.inFlight) {
    if (out.length >= n) break;
    out.push(future);
  }
  return out;
}
