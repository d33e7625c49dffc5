/**
 * `--json`: one JSON object per line, for other programs.
 *
 * @module
 */

import { reuseOf } from "../../flow/durable.ts";
import type { Job } from "../../flow/job.ts";
import { cliWording } from "../errors.ts";
import { isRetrying } from "../workflow/jobs.ts";
import { LineSplitter, type OutputLine } from "./lines.ts";
import { errorLine, type ProgressContext, type ProgressView, watchFlow } from "./watch.ts";

const INSPECT: Deno.InspectOptions = {
  colors: false,
  depth: Infinity,
  iterableLimit: Infinity,
  strAbbreviateSize: Infinity,
  breakLength: Infinity,
  compact: true,
};

/** Whether JSON keeps `value` as it is (no undefined, bigint, Map, function, NaN…). */
function isPlainJson(value: unknown, seen = new Set<object>()): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if (seen.has(value)) return false;
      const proto = Object.getPrototypeOf(value);
      if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return false;
      seen.add(value);
      const ok = Array.isArray(value)
        ? value.every((v) => isPlainJson(v, seen))
        : Object.values(value).every((v) => isPlainJson(v, seen));
      seen.delete(value);
      return ok;
    }
    default:
      return false;
  }
}

/**
 * A result as JSON carries it, in full: plain JSON data as is; anything
 * JSON would change (undefined, bigints, maps, class instances, cycles…)
 * as `{ "$inspect": "<Deno.inspect of the whole value>" }`. Nothing is cut.
 */
export function jsonSafe(value: unknown): unknown {
  if (isPlainJson(value)) return value;
  try {
    return { $inspect: Deno.inspect(value, INSPECT) };
  } catch {
    return { $inspect: Object.prototype.toString.call(value) };
  }
}

function errorRecord(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: cliWording(error.message) }
    : { name: "Error", message: errorLine(error) };
}

/**
 * Events `job-started`, `job-done` (with `duration` ms and the full
 * `result`), `job-failed` (with `error: { name, message }`),
 * `job-cancelled`, `job-retry` (with `attempt` — the one that failed —,
 * `retries`, `delay` ms and `error`), `job-skipped` (a stored result
 * stands in: `from` run, `cached`), `log` (one line of a job's output: `stream`, `text`),
 * `warning` (`message`), `flow-done` (with `ok` and `why`); each has `time`
 * (ISO) and `job` or `flow` (a path like `sub/train`). The run command adds
 * a last `end` event.
 */
export function jsonView(context: ProgressContext): ProgressView {
  let stop = () => {};
  const lines = new LineSplitter();
  const emit = (object: Record<string, unknown>) =>
    context.write(JSON.stringify({ time: new Date().toISOString(), ...object }) + "\n");
  const logs = (out: OutputLine[]) => {
    for (const l of out) emit({ event: "log", job: l.key, stream: l.stream, text: l.text });
  };
  const flushJob = (job: Job) => {
    const key = context.run?.keyOf(job);
    if (key !== undefined) logs(lines.flush(key));
  };
  return {
    start() {
      emit({
        event: "flow-start",
        flow: context.flow.label,
        jobs: context.flow.jobs.length,
        ...(context.run?.id === undefined ? {} : { run: context.run.id }),
      });
      stop = watchFlow(context.flow, (event) => {
        switch (event.type) {
          case "job-started": {
            const reuse = reuseOf(event.job);
            if (reuse) {
              return emit({
                event: "job-skipped",
                job: event.path,
                from: reuse.run,
                cached: reuse.cached,
              });
            }
            return emit({ event: event.type, job: event.path });
          }
          case "job-done":
            if (reuseOf(event.job)) return;
            flushJob(event.job);
            return emit({
              event: event.type,
              job: event.path,
              duration: Math.round(event.job.duration ?? 0),
              result: jsonSafe(event.result),
            });
          case "job-failed":
            flushJob(event.job);
            return emit({
              event: event.type,
              job: event.path,
              duration: Math.round(event.job.duration ?? 0),
              error: errorRecord(event.error),
            });
          case "job-cancelled":
            flushJob(event.job);
            return emit({ event: event.type, job: event.path });
          case "job-retry":
            // The failed attempt's last partial line belongs before the retry.
            flushJob(event.job);
            return emit({
              event: event.type,
              job: event.path,
              attempt: event.attempt,
              retries: isRetrying(event.job) ? event.job.retry.retries : undefined,
              delay: Math.round(event.delayMs),
              error: errorRecord(event.error),
            });
          case "flow-done":
            return emit({ event: event.type, flow: event.path, ok: event.ok, why: event.why });
        }
      });
    },
    stop() {
      stop();
      logs(lines.flush());
    },
    output(key, text, stream) {
      logs(lines.push(key, text, stream));
    },
    message(text) {
      emit({ event: "warning", message: text.trim() });
    },
  };
}
