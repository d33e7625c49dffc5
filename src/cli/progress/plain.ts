/**
 * The view for logs and pipes: one timestamped line per event, never redrawn.
 *
 * @module
 */

import { isRetrying } from "../workflow/jobs.ts";
import { clock, elapsed, limitUse } from "./format.ts";
import { errorLine, type ProgressContext, type ProgressView, watchFlow } from "./watch.ts";

/**
 * Lines like `12:00:01.234 started   train-1 (mem ≤256MB)` and
 * `12:00:02.001 done      train-1 in 767ms`. The format after the time is
 * stable: scripts may match on it.
 */
export function plainView(
  context: ProgressContext,
  now: () => Date = () => new Date(),
): ProgressView {
  let stop = () => {};
  const line = (word: string, rest: string) =>
    context.write(`${clock(now())} ${word.padEnd(9)} ${rest}\n`);
  return {
    start() {
      line("start", `flow ${context.flow.label} (${context.flow.jobs.length} jobs)`);
      stop = watchFlow(context.flow, (event) => {
        const limits = context.limits.get(event.job);
        const within = limits ? ` (${limitUse(limits, undefined)})` : "";
        switch (event.type) {
          case "job-started":
            return line("started", `${event.path}${within}`);
          case "job-done":
            return line("done", `${event.path} in ${elapsed(event.job.duration)}`);
          case "job-failed":
            return line(
              "FAILED",
              `${event.path} after ${elapsed(event.job.duration)}: ${errorLine(event.error)}`,
            );
          case "job-cancelled":
            return line("cancelled", event.path);
          case "job-retry":
            return line(
              "retry",
              `${event.path} ${event.attempt}/${
                isRetrying(event.job) ? event.job.retry.retries : "?"
              } in ${elapsed(event.delayMs)}: ${errorLine(event.error)}`,
            );
          case "flow-done":
            return line(event.ok ? "finished" : "ended", `flow ${event.path}: ${event.why}`);
        }
      });
    },
    stop() {
      stop();
    },
  };
}
