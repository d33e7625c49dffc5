/**
 * The terminal view: a live area of one line per job and a summary line,
 * redrawn in place at the bottom, with job output and messages printed
 * above it (the area redraws below them, never over them). A frame never
 * wraps and never exceeds the terminal's height (finished jobs collapse
 * into a count), so the cursor can always get back to its first line and
 * no stale frame is left in the scrollback.
 *
 * @module
 */

import { reuseOf } from "../../flow/durable.ts";
import { Flow } from "../../flow/flow.ts";
import type { Job } from "../../flow/job.ts";
import { isRetrying } from "../workflow/jobs.ts";
import { CallClock, type CallPhase } from "./calls.ts";
import { displayWidth, elapsed, fitLine, limitUse, summarize } from "./format.ts";
import { LineSplitter, type OutputLine, prefixed } from "./lines.ts";
import { allJobs, type ProgressContext, type ProgressView, watchFlow } from "./watch.ts";

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

type Word =
  | "done"
  | "failed"
  | "cancelled"
  | "skipped"
  | "cached"
  | "running"
  | "starting"
  | "queued"
  | "waiting"
  | "idle";

function wordOf(job: Job, phase: CallPhase | undefined): Word {
  if (job.cancelled) return "cancelled";
  if (job.failed) return "failed";
  const reuse = reuseOf(job);
  if (reuse) return reuse.cached ? "cached" : "skipped";
  if (job.isDone()) return "done";
  if (job.state === "running") return phase === "running" || !phase ? "running" : phase;
  return job.state === "scheduled" ? "waiting" : "idle";
}

/** What the state column says: the word, or `retry 1/2` for a running job on a retry. */
function shownWord(job: Job, word: Word): string {
  if (word !== "running" || !isRetrying(job) || job.retry.retried === 0) return word;
  return `retry ${job.retry.retried}/${job.retry.retries}`;
}

const SYMBOLS: Record<Exclude<Word, "running">, string> = {
  done: "✔",
  failed: "✖",
  cancelled: "⊘",
  skipped: "↷",
  cached: "↷",
  starting: "…",
  queued: "…",
  waiting: "…",
  idle: "·",
};

const FINISHED: ReadonlySet<Word> = new Set(["done", "skipped", "cached"]);
/** What stays on screen first when the jobs do not fit. */
const PRIORITY: Record<Word, number> = {
  running: 0,
  starting: 0,
  queued: 0,
  failed: 1,
  cancelled: 1,
  waiting: 2,
  idle: 3,
  done: 4,
  skipped: 4,
  cached: 4,
};

interface Row {
  readonly job: Job;
  readonly depth: number;
  readonly word: Word;
  readonly line: string;
}

function plural(n: number, word: string): string {
  return `${n} ${word}`;
}

/**
 * The lines of one frame, each narrower than `width` columns, at most
 * `height - 1` of them (exported for tests). `calls` tells queued calls
 * from running ones and times a call from its start.
 */
export function renderFrame(
  context: ProgressContext,
  tick: number,
  width: number,
  height = Infinity,
  calls: CallClock = new CallClock(),
): string[] {
  const jobs = allJobs(context.flow);
  const nameWidth = Math.min(
    32,
    Math.max(4, ...jobs.map((r) => displayWidth(r.job.label) + r.depth * 2)),
  );
  const counts: Record<Word, number> = {
    done: 0,
    failed: 0,
    cancelled: 0,
    skipped: 0,
    cached: 0,
    running: 0,
    starting: 0,
    queued: 0,
    waiting: 0,
    idle: 0,
  };
  const rows: Row[] = jobs.map(({ job, depth }) => {
    const phase = calls.phase(job);
    const word = wordOf(job, phase);
    if (!(job instanceof Flow)) counts[word]++;
    const symbol = word === "running" ? SPINNER[tick % SPINNER.length] : SYMBOLS[word];
    const name = "  ".repeat(depth) + job.label;
    const ran = phase === "running" ? calls.runningFor(job) ?? job.duration : job.duration;
    const time = word === "skipped" || word === "cached" ? "" : elapsed(job.duration);
    const use = limitUse(context.limits.get(job), phase && phase !== "running" ? undefined : ran);
    const reuse = reuseOf(job);
    const tail = reuse
      ? `  result of run ${reuse.run}`
      : word === "done" && !(job instanceof Flow)
      ? `  => ${summarize(job.result, 30)}`
      : "";
    const line = `${symbol} ${name.padEnd(nameWidth)} ${shownWord(job, word).padEnd(9)} ${
      time.padStart(7)
    }${use ? `  ${use}` : ""}${tail}`;
    return { job, depth, word, line: fitLine(line, width) };
  });
  const finished = counts.done + counts.skipped + counts.cached;
  const summary = fitLine(
    `${context.flow.label}: ${
      [
        plural(counts.done, "done"),
        counts.skipped + counts.cached ? plural(counts.skipped + counts.cached, "skipped") : "",
        plural(counts.running, "running"),
        counts.queued + counts.starting ? plural(counts.queued + counts.starting, "queued") : "",
        plural(counts.waiting + counts.idle, "waiting"),
        counts.failed ? plural(counts.failed, "failed") : "",
        counts.cancelled ? plural(counts.cancelled, "cancelled") : "",
      ].filter(Boolean).join(", ")
    } · ${elapsed(context.flow.duration ?? 0)}`,
    width,
  );
  // One line is the cursor's, one the summary's.
  const room = height - 2;
  if (rows.length <= room) return [...rows.map((r) => r.line), summary];
  if (room < 1) return [summary];
  const open = rows.filter((r) => !FINISHED.has(r.word));
  const collapsed = fitLine(
    `✔ ${plural(finished, "finished")}${
      counts.skipped + counts.cached ? ` (${counts.skipped + counts.cached} skipped)` : ""
    }`,
    width,
  );
  if (open.length + 1 <= room) return [collapsed, ...open.map((r) => r.line), summary];
  // Still too many: the busiest rows, in listing order, and a count of the rest.
  const head = finished > 0 && room >= 3 ? [collapsed] : [];
  const keep = new Set(
    open.map((r, i) => ({ r, i })).sort((a, b) =>
      PRIORITY[a.r.word] - PRIORITY[b.r.word] || a.i - b.i
    ).slice(0, Math.max(0, room - 1 - head.length)).map(({ r }) => r),
  );
  const hidden = open.filter((r) => !keep.has(r));
  const hiddenCounts = new Map<Word, number>();
  for (const r of hidden) hiddenCounts.set(r.word, (hiddenCounts.get(r.word) ?? 0) + 1);
  const more = fitLine(
    `… ${hidden.length} more: ${[...hiddenCounts].map(([word, n]) => `${n} ${word}`).join(", ")}`,
    width,
  );
  return [...head, ...open.filter((r) => keep.has(r)).map((r) => r.line), more, summary];
}

/** Options of {@linkcode ttyView}. */
export interface TtyViewOptions {
  /** The terminal's size (default `Deno.consoleSize()`). */
  size?: () => { columns: number; rows: number };
  /** Redraw period in milliseconds (default 100). */
  interval?: number;
}

/**
 * Redraws every `interval` ms, on each event, and soon after output: moves
 * the cursor back to the first line of the last frame, clears below,
 * prints what arrived (output lines prefixed by the job key, messages),
 * then the new frame.
 */
export function ttyView(context: ProgressContext, options: TtyViewOptions = {}): ProgressView {
  const size = options.size ?? (() => {
    try {
      return Deno.consoleSize();
    } catch {
      return { columns: 100, rows: 40 };
    }
  });
  const calls = new CallClock(context.run?.futureOf.bind(context.run));
  const lines = new LineSplitter();
  let above: string[] = [];
  let drawnWidths: number[] = [];
  let drawnColumns = 0;
  let tick = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let soon: ReturnType<typeof setTimeout> | undefined;
  let unwatch = () => {};
  let running = false;

  /** Screen rows the last frame takes now (lines rewrap if the terminal got narrower). */
  const drawnRows = (columns: number) =>
    columns === drawnColumns
      ? drawnWidths.length
      : drawnWidths.reduce((sum, w) => sum + Math.max(1, Math.ceil(w / columns)), 0);

  const draw = () => {
    clearTimeout(soon);
    soon = undefined;
    const { columns, rows } = size();
    const width = Math.max(20, columns);
    const frame = renderFrame(context, tick++, width, Math.max(2, rows), calls);
    const up = drawnRows(width);
    const text = (up > 0 ? `\x1b[${up}F` : "") + "\x1b[0J" +
      above.map((l) => `${l}\n`).join("") + frame.map((l) => `${l}\n`).join("");
    above = [];
    drawnWidths = frame.map(displayWidth);
    drawnColumns = width;
    context.write(text);
  };
  const later = () => {
    if (running) soon ??= setTimeout(draw, 16);
    else draw();
  };
  const print = (out: OutputLine[]) => {
    if (!out.length) return;
    above.push(...out.map(prefixed));
    later();
  };
  return {
    start() {
      running = true;
      draw();
      unwatch = watchFlow(context.flow, (event) => {
        if (event.type !== "job-started" && event.type !== "flow-done") {
          const key = context.run?.keyOf(event.job);
          if (key !== undefined) above.push(...lines.flush(key).map(prefixed));
        }
        draw();
      });
      timer = setInterval(draw, options.interval ?? 100);
    },
    stop() {
      running = false;
      clearInterval(timer);
      unwatch();
      above.push(...lines.flush().map(prefixed));
      draw();
    },
    output(key, text, stream) {
      print(lines.push(key, text, stream));
    },
    message(text) {
      above.push(...text.replace(/\n$/, "").split("\n"));
      later();
    },
  };
}
