/**
 * The view for logs and pipes: one timestamped line per event, never redrawn.
 *
 * @module
 */

import { reuseOf } from "../../flow/durable.ts";
import type { Job } from "../../flow/job.ts";
import { isRetrying } from "../workflow/jobs.ts";
import { CallClock } from "./calls.ts";
import { clock, elapsed, limitUse } from "./format.ts";
import { LineSplitter, type OutputLine, prefixed } from "./lines.ts";
import { errorLine, type ProgressContext, type ProgressView, watchFlow } from "./watch.ts";

/** Options of {@linkcode plainView}. */
export interface PlainViewOptions {
  /** The clock of the timestamps. */
  now?: () => Date;
  /** Where messages go (default: with the rest). */
  message?: (text: string) => void;
  /** How often queued calls are looked at (default 50 ms). */
  pollMs?: number;
}

/**
 * Lines like `12:00:01.234 started   train-1 (mem ≤256MB)`,
 * `12:00:02.001 done      train-1 in 767ms` and, for job output,
 * `12:00:01.500 train-1 | epoch 1` (`!` for stderr). A task job's call that
 * waits for a free worker shows `queued` first; `started` is printed when
 * it runs. The format after the time is stable: scripts may match on it.
 */
export function plainView(context: ProgressContext, options: PlainViewOptions = {}): ProgressView {
  const now = options.now ?? (() => new Date());
  const calls = new CallClock(context.run?.futureOf.bind(context.run));
  const lines = new LineSplitter();
  // Task jobs that started but whose call was not seen running yet.
  const pending = new Map<Job, { path: string; queued: boolean; since?: number }>();
  const pollMs = options.pollMs ?? 50;
  let poll: ReturnType<typeof setInterval> | undefined;
  let stop = () => {};
  const line = (word: string, rest: string) =>
    context.write(`${clock(now())} ${word.padEnd(9)} ${rest}\n`);
  const outputLines = (out: OutputLine[]) => {
    for (const l of out) context.write(`${clock(now())} ${prefixed(l)}\n`);
  };
  const within = (job: Job) => {
    const limits = context.limits.get(job);
    return limits ? ` (${limitUse(limits, undefined)})` : "";
  };
  const started = (job: Job, path: string) => {
    pending.delete(job);
    line("started", `${path}${within(job)}`);
  };
  const check = () => {
    for (const [job, entry] of pending) {
      const phase = calls.phase(job);
      if (phase === "running") started(job, entry.path);
      else if (phase === "queued" && !entry.queued) {
        // Submitted and still waiting one poll later: it waits for a free worker.
        entry.since ??= performance.now();
        if (performance.now() - entry.since < pollMs) continue;
        entry.queued = true;
        line("queued", `${entry.path} (waiting for a free worker)`);
      }
    }
    if (pending.size === 0 && poll !== undefined) {
      clearInterval(poll);
      poll = undefined;
    }
  };
  const ended = (job: Job, path: string, ran: boolean) => {
    if (pending.has(job)) {
      if (ran) started(job, path);
      else pending.delete(job);
    }
    const key = context.run?.keyOf(job);
    if (key !== undefined) outputLines(lines.flush(key));
  };
  return {
    start() {
      line("start", `flow ${context.flow.label} (${context.flow.jobs.length} jobs)`);
      stop = watchFlow(context.flow, (event) => {
        switch (event.type) {
          case "job-started": {
            const reuse = reuseOf(event.job);
            if (reuse) {
              return line(
                reuse.cached ? "cached" : "skipped",
                `${event.path} (result of run ${reuse.run})`,
              );
            }
            if (calls.phase(event.job) === undefined) {
              return line("started", event.path + within(event.job));
            }
            pending.set(event.job, { path: event.path, queued: false });
            poll ??= setInterval(check, pollMs);
            return;
          }
          case "job-done":
            if (reuseOf(event.job)) return;
            ended(event.job, event.path, true);
            return line("done", `${event.path} in ${elapsed(event.job.duration)}`);
          case "job-failed":
            ended(event.job, event.path, true);
            return line(
              "FAILED",
              `${event.path} after ${elapsed(event.job.duration)}: ${errorLine(event.error)}`,
            );
          case "job-cancelled":
            ended(event.job, event.path, false);
            return line("cancelled", event.path);
          case "job-retry":
            // The failed attempt ran and its output is over: as for a failure.
            ended(event.job, event.path, true);
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
      clearInterval(poll);
      poll = undefined;
      outputLines(lines.flush());
    },
    output(key, text, stream) {
      // Output means the call runs, even if no poll has seen it yet.
      for (const [job, entry] of pending) {
        if (context.run?.keyOf(job) === key) started(job, entry.path);
      }
      outputLines(lines.push(key, text, stream));
    },
    message(text) {
      (options.message ?? context.write)(text.endsWith("\n") ? text : `${text}\n`);
    },
  };
}
