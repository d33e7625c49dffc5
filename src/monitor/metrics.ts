/**
 * `GET /metrics`: Prometheus text exposition format (version 0.0.4).
 *
 * @module
 */

import type { MonitorStatus } from "./status.ts";

/** Default histogram buckets for task durations, in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.001,
  0.005,
  0.01,
  0.05,
  0.1,
  0.5,
  1,
  5,
  10,
  60,
  300,
];

interface Histogram {
  readonly scheduler: string;
  readonly task: string;
  /** Non-cumulative counts per bucket, plus one for +Inf. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** Task-duration histograms, one per (scheduler, task); fed from `future-submitted` → `future-done`. */
export class Histograms {
  readonly buckets: readonly number[];
  /** By task (or by scheduler, for its raw submits): an object key costs no string per call. */
  readonly #byKey = new Map<object, Histogram>();
  #lastKey?: object;
  #last?: Histogram;

  constructor(buckets: readonly number[] = DEFAULT_BUCKETS) {
    if (
      !Array.isArray(buckets) || buckets.length === 0 ||
      buckets.some((b, i) =>
        !(typeof b === "number" && b > 0 && Number.isFinite(b)) ||
        (i > 0 && b <= buckets[i - 1])
      )
    ) {
      throw new RangeError(
        `Monitor option buckets must be a non-empty increasing list of positive seconds, got ${
          JSON.stringify(buckets)
        }`,
      );
    }
    this.buckets = [...buckets];
  }

  /** Counts one duration of `seconds` under `key` (a task, or a scheduler for raw submits). */
  observe(key: object, scheduler: string, task: string, seconds: number): void {
    // Calls of one task come in runs: the last histogram spares a lookup per call.
    let h = key === this.#lastKey ? this.#last : this.#byKey.get(key);
    if (!h) {
      h = { scheduler, task, counts: new Array(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
      this.#byKey.set(key, h);
    }
    this.#lastKey = key;
    this.#last = h;
    let i = 0;
    while (i < this.buckets.length && seconds > this.buckets[i]) i++;
    h.counts[i]++;
    h.sum += seconds;
    h.count++;
  }

  /** The histograms, in first-seen order. */
  all(): readonly Histogram[] {
    return [...this.#byKey.values()];
  }
}

/** Escapes a label value as the exposition format requires. */
export function labelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labels(pairs: Record<string, string>): string {
  const body = Object.entries(pairs).map(([k, v]) => `${k}="${labelValue(v)}"`).join(",");
  return `{${body}}`;
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN";
}

/** Renders the metrics of a status snapshot and the duration histograms. */
export function renderMetrics(status: MonitorStatus, histograms: Histograms): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  family("baton_events_total", "counter", "Events emitted by a scheduler, by event name.");
  for (const s of status.schedulers) {
    for (const [event, n] of Object.entries(s.eventCounts)) {
      out.push(`baton_events_total${labels({ scheduler: s.name, event })} ${n}`);
    }
  }
  family("baton_task_events_total", "counter", "Events emitted by a task, by event name.");
  for (const s of status.schedulers) {
    for (const t of s.tasks) {
      for (const [event, n] of Object.entries(t.eventCounts)) {
        out.push(
          `baton_task_events_total${labels({ scheduler: s.name, task: t.name, event })} ${n}`,
        );
      }
    }
  }
  const gauges: [string, string, (s: MonitorStatus["schedulers"][number]) => number][] = [
    ["baton_running", "1 while the scheduler runs, else 0.", (s) => (s.running ? 1 : 0)],
    ["baton_in_flight", "Futures submitted and not finished.", (s) => s.queueSize],
    ["baton_queued", "Calls waiting for a worker.", (s) => s.executor.queued],
    ["baton_workers_busy", "Workers running a call.", (s) => s.executor.busy],
    ["baton_workers_idle", "Workers not running a call.", (s) => s.executor.idle],
  ];
  for (const [name, help, value] of gauges) {
    family(name, "gauge", help);
    for (const s of status.schedulers) {
      out.push(`${name}${labels({ scheduler: s.name })} ${value(s)}`);
    }
  }
  family("baton_task_running", "gauge", "Calls of a task not finished.");
  for (const s of status.schedulers) {
    for (const t of s.tasks) {
      out.push(`baton_task_running${labels({ scheduler: s.name, task: t.name })} ${t.running}`);
    }
  }
  family("baton_flow_jobs", "gauge", "Jobs of a flow, by state.");
  for (const f of status.flows) {
    const byState: Record<string, number> = { idle: 0, scheduled: 0, running: 0, done: 0 };
    for (const j of f.jobs) byState[j.state] = (byState[j.state] ?? 0) + 1;
    for (const [state, n] of Object.entries(byState)) {
      out.push(`baton_flow_jobs${labels({ flow: f.label, state })} ${n}`);
    }
  }
  family(
    "baton_task_duration_seconds",
    "histogram",
    "Seconds from a future's submission to its result or exception.",
  );
  for (const h of histograms.all()) {
    const base = { scheduler: h.scheduler, task: h.task };
    let cumulative = 0;
    histograms.buckets.forEach((le, i) => {
      cumulative += h.counts[i];
      out.push(
        `baton_task_duration_seconds_bucket${labels({ ...base, le: num(le) })} ${cumulative}`,
      );
    });
    out.push(`baton_task_duration_seconds_bucket${labels({ ...base, le: "+Inf" })} ${h.count}`);
    out.push(`baton_task_duration_seconds_sum${labels(base)} ${num(h.sum)}`);
    out.push(`baton_task_duration_seconds_count${labels(base)} ${h.count}`);
  }
  return out.join("\n") + "\n";
}
