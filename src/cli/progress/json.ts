/**
 * `--json`: one JSON object per line, for other programs.
 *
 * @module
 */

import { cliWording } from "../errors.ts";
import { isRetrying } from "../workflow/jobs.ts";
import { errorLine, type ProgressContext, type ProgressView, watchFlow } from "./watch.ts";

/** A result as JSON can carry it: big or odd values become a short text. */
export function jsonSafe(value: unknown, max = 4096): unknown {
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return null;
    return text.length <= max ? JSON.parse(text) : `${text.slice(0, max)}…`;
  } catch {
    return String(value);
  }
}

function errorRecord(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: cliWording(error.message) }
    : { name: "Error", message: errorLine(error) };
}

/**
 * Events `job-started`, `job-done` (with `duration` ms and `result`),
 * `job-failed` (with `error: { name, message }`), `job-cancelled`,
 * `job-retry` (with `attempt` — the one that failed —, `retries`, `delay` ms and `error`),
 * `flow-done` (with `ok` and `why`); each has `time` (ISO) and `job` or `flow`
 * (a path like `sub/train`). The run command adds a last `end` event.
 */
export function jsonView(context: ProgressContext): ProgressView {
  let stop = () => {};
  const emit = (object: Record<string, unknown>) =>
    context.write(JSON.stringify({ time: new Date().toISOString(), ...object }) + "\n");
  return {
    start() {
      emit({ event: "flow-start", flow: context.flow.label, jobs: context.flow.jobs.length });
      stop = watchFlow(context.flow, (event) => {
        switch (event.type) {
          case "job-started":
            return emit({ event: event.type, job: event.path });
          case "job-done":
            return emit({
              event: event.type,
              job: event.path,
              duration: Math.round(event.job.duration ?? 0),
              result: jsonSafe(event.result),
            });
          case "job-failed":
            return emit({
              event: event.type,
              job: event.path,
              duration: Math.round(event.job.duration ?? 0),
              error: errorRecord(event.error),
            });
          case "job-cancelled":
            return emit({ event: event.type, job: event.path });
          case "job-retry":
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
    },
  };
}
