/**
 * The terminal view: one line per job, redrawn in place, and a summary line.
 *
 * @module
 */

import { Flow } from "../../flow/flow.ts";
import type { Job } from "../../flow/job.ts";
import { isRetrying } from "../workflow/jobs.ts";
import { elapsed, limitUse } from "./format.ts";
import { allJobs, type ProgressContext, type ProgressView, watchFlow } from "./watch.ts";

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

function symbol(job: Job, tick: number): string {
  if (job.cancelled) return "⊘";
  if (job.failed) return "✖";
  if (job.isDone()) return "✔";
  if (job.state === "running") return SPINNER[tick % SPINNER.length];
  if (job.state === "scheduled") return "…";
  return "·";
}

function stateWord(job: Job): string {
  if (job.cancelled) return "cancelled";
  if (job.failed) return "failed";
  if (job.isDone()) return "done";
  if (job.state === "running" && isRetrying(job) && job.retry.retried > 0) {
    return `retry ${job.retry.retried}/${job.retry.retries}`;
  }
  if (job.state === "running") return job.forever ? "running ∞" : "running";
  return job.state === "scheduled" ? "waiting" : "idle";
}

/** The lines of one frame (exported for tests). */
export function renderFrame(context: ProgressContext, tick: number, width: number): string[] {
  const rows = allJobs(context.flow);
  const nameWidth = Math.min(32, Math.max(4, ...rows.map((r) => r.job.label.length + r.depth * 2)));
  const counts = { done: 0, running: 0, waiting: 0, failed: 0, cancelled: 0 };
  const lines = rows.map(({ job, depth }) => {
    const word = stateWord(job);
    if (!(job instanceof Flow)) {
      const key = word.startsWith("running") || word.startsWith("retry")
        ? "running"
        : word === "idle"
        ? "waiting"
        : word;
      counts[key as keyof typeof counts]++;
    }
    const name = ("  ".repeat(depth) + job.label).padEnd(nameWidth);
    const use = limitUse(context.limits.get(job), job.duration);
    const line = `${symbol(job, tick)} ${name} ${word.padEnd(10)} ${
      elapsed(job.duration).padStart(7)
    }${use ? `  ${use}` : ""}`;
    return line.length > width ? line.slice(0, width - 1) + "…" : line;
  });
  const total = elapsed(context.flow.duration ?? 0);
  lines.push(
    `${context.flow.label}: ${counts.done} done, ${counts.running} running, ${counts.waiting} waiting` +
      `${counts.failed ? `, ${counts.failed} failed` : ""}` +
      `${counts.cancelled ? `, ${counts.cancelled} cancelled` : ""} · ${total}`,
  );
  return lines;
}

/** Redraws every 100 ms and on each event, moving the cursor back over the last frame. */
export function ttyView(context: ProgressContext): ProgressView {
  let drawn = 0;
  let tick = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let unwatch = () => {};
  const draw = () => {
    let width = 100, height = 40;
    try {
      ({ columns: width, rows: height } = Deno.consoleSize());
    } catch { /* not a console after all: keep the defaults */ }
    let lines = renderFrame(context, tick++, Math.max(20, width));
    // Lines above the screen cannot be redrawn: keep the last ones and the summary.
    if (lines.length > height - 1) lines = lines.slice(lines.length - (height - 1));
    const up = drawn > 0 ? `\x1b[${drawn}F` : "";
    context.write(`${up}\x1b[0J${lines.join("\n")}\n`);
    drawn = lines.length;
  };
  return {
    start() {
      draw();
      unwatch = watchFlow(context.flow, () => draw());
      timer = setInterval(draw, 100);
    },
    stop() {
      clearInterval(timer);
      unwatch();
      draw();
    },
  };
}
