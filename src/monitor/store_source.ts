/**
 * The run store as the monitor's {@linkcode RunSource}: what `baton serve`
 * browses. Read-only; every call reads the database afresh, so runs still
 * going in another process show their progress on the next poll.
 *
 * @module
 */

import type { RunStore } from "../store/run_store.ts";
import type { PastEvent, PastJob, PastLogLine, PastRun, RunSource } from "./runs.ts";

const MONITOR_STATE: Record<string, string> = {
  idle: "waiting",
  running: "running",
  succeeded: "done",
  failed: "failed",
  cancelled: "cancelled",
  skipped: "skipped",
  cached: "skipped",
};

/**
 * Wraps an open {@linkcode RunStore} as a {@linkcode RunSource}. The caller
 * keeps owning the store (and closes it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { storeRunSource } from "./store_source.ts";
 * import { RunStore } from "../store/run_store.ts";
 * const dir = await Deno.makeTempDir();
 * const store = RunStore.open(dir);
 * const runs = storeRunSource(store);
 * assert.equal((await runs.runs()).length, 0);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function storeRunSource(store: RunStore): RunSource {
  return {
    runs: (): PastRun[] =>
      store.runs().map((run) => ({
        id: run.id,
        label: run.label,
        file: run.workflowHash === undefined ? undefined : run.workflow,
        started: run.startedAt,
        ended: run.endedAt,
        ok: run.state === "ok" ? true : run.state === "running" ? undefined : false,
        why: run.why ?? run.error,
        jobs: Object.values(run.counts).reduce((a, b) => a + b, 0),
        failed: run.counts.failed,
      })),
    jobs: (id): PastJob[] | undefined => {
      if (!store.run(id)) return undefined;
      return store.jobs(id).map((job) => ({
        id: job.key,
        label: job.label,
        state: MONITOR_STATE[job.state] ?? job.state,
        requires: [...job.requires],
        critical: job.critical,
        started: job.startedAt,
        ended: job.endedAt,
        result: job.resultSummary,
        error: job.error ? `${job.error.name}: ${job.error.message}` : undefined,
        stack: job.error?.stack,
      }));
    },
    events: (id): PastEvent[] | undefined => {
      if (!store.run(id)) return undefined;
      return store.events(id).map((event) => ({
        time: event.time,
        event: event.type,
        job: event.job,
        detail: describe(event.data),
      }));
    },
    logs: (id, job, { after, limit }): PastLogLine[] | undefined => {
      if (!store.run(id) || !store.jobs(id).some((j) => j.key === job)) return undefined;
      const lines = store.readLog(id, job).split("\n");
      if (lines.at(-1) === "") lines.pop();
      // Log files keep the text as written; which stream a line came from is not recorded.
      return lines.slice(after, after + limit).map((text, i) => ({
        seq: after + i + 1,
        stream: "stdout",
        text,
      }));
    },
  };
}

function describe(data: Readonly<Record<string, unknown>>): string | undefined {
  const entries = Object.entries(data);
  if (entries.length === 0) return undefined;
  return entries.map(([key, value]) =>
    `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`
  ).join(", ");
}
