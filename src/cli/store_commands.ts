/**
 * `baton runs`, `baton show RUN` and `baton logs RUN [JOB] [--follow]`:
 * reading the run store.
 *
 * @module
 */

import { relative } from "node:path";
import { type JobRecord, type RunRecord, RunStore } from "../store/run_store.ts";
import { elapsed } from "./progress/format.ts";
import { HELP, parseStoreArgs } from "./args.ts";
import { EXIT, UsageError } from "./errors.ts";
import { out } from "./io.ts";

function when(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${
    pad(d.getMinutes())
  }:${pad(d.getSeconds())}`;
}

function display(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel.length < path.length ? rel : path;
}

function took(run: RunRecord): string {
  return run.endedAt === undefined ? "" : elapsed(run.endedAt - run.startedAt);
}

function jobCounts(run: RunRecord): string {
  const c = run.counts;
  const total = Object.values(c).reduce((a, b) => a + b, 0);
  const ok = c.succeeded + c.skipped + c.cached;
  return [
    `${ok}/${total} ok`,
    c.skipped + c.cached ? `${c.skipped + c.cached} skipped` : "",
    c.failed ? `${c.failed} failed` : "",
    c.cancelled ? `${c.cancelled} cancelled` : "",
    c.running ? `${c.running} running` : "",
  ].filter(Boolean).join(", ");
}

/** Columns padded to their widest cell. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd())
    .join("\n") + "\n";
}

function runsCommand(store: RunStore, json: boolean): number {
  const runs = store.runs();
  if (json) {
    for (const run of runs) {
      const { listing: _listing, ...rest } = run;
      out(JSON.stringify(rest) + "\n");
    }
    return EXIT.ok;
  }
  if (runs.length === 0) {
    out(`no runs in ${display(store.path)} yet\n`);
    return EXIT.ok;
  }
  out(table([
    ["RUN", "STARTED", "TOOK", "STATE", "JOBS", "WORKFLOW"],
    ...runs.map((run) => [
      run.id,
      when(run.startedAt),
      took(run),
      run.state,
      jobCounts(run),
      `${display(run.workflow)}${run.resumedFrom ? ` (resumes ${run.resumedFrom})` : ""}`,
    ]),
  ]));
  return EXIT.ok;
}

function jobLine(job: JobRecord): string {
  const duration = job.startedAt !== undefined && job.endedAt !== undefined
    ? ` in ${elapsed(job.endedAt - job.startedAt)}`
    : "";
  const outcome = job.error
    ? ` !! ${job.error.name}: ${job.error.message.split("\n")[0]}`
    : job.resultSummary
    ? ` => ${job.resultSummary}`
    : "";
  const reused = job.reusedFrom ? ` [${job.state}: from run ${job.reusedFrom}]` : "";
  return `${"    ".repeat(job.depth)}${
    job.key.split("/").pop()
  } ${job.state}${duration}${outcome}${reused}`;
}

function showCommand(store: RunStore, id: string): number {
  const run = store.requireRun(id);
  const jobs = store.jobs(run.id);
  const lines = [
    `run ${run.id}: ${run.label} (${display(run.workflow)})`,
    `started ${when(run.startedAt)}${
      run.endedAt === undefined ? "" : `, took ${took(run)}`
    } · ${run.state}${run.resumedFrom ? ` · resumes run ${run.resumedFrom}` : ""}`,
  ];
  if (run.state === "lost") {
    lines.push(
      `its process (pid ${run.pid}) ended without recording an end (killed?); jobs left ` +
        `running did not finish`,
    );
  } else if (run.why) lines.push(`why: ${run.why}`);
  if (run.error) lines.push(`error: ${run.error}`);
  lines.push(
    `logs: ${display(store.logsFolder(run.id))}${run.logsIncomplete ? " (incomplete)" : ""}`,
    "",
    // The listing the flow printed at the end, when the run got there; else what was recorded.
    run.listing ?? jobs.map(jobLine).join("\n"),
  );
  const failed = jobs.filter((j) => j.state === "failed" && j.kind !== "flow" && j.error);
  if (failed.length) {
    lines.push(`--- ${failed.length} job${failed.length === 1 ? "" : "s"} raised an exception`);
    for (const job of failed) {
      lines.push(`* ${job.key}${job.critical ? " (critical)" : ""}:`);
      const text = job.error!.stack ?? `${job.error!.name}: ${job.error!.message}`;
      lines.push(...text.split("\n").map((l) => `    ${l}`));
    }
  }
  out(lines.join("\n") + "\n");
  return EXIT.ok;
}

/** Reads a file from `offset` on; missing means nothing yet. */
function readFrom(path: string, offset: number): Uint8Array {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Uint8Array();
    throw error;
  }
  try {
    const size = file.statSync().size;
    if (size <= offset) return new Uint8Array();
    file.seekSync(offset, Deno.SeekMode.Start);
    const bytes = new Uint8Array(size - offset);
    let read = 0;
    while (read < bytes.length) {
      const n = file.readSync(bytes.subarray(read));
      if (n === null) break;
      read += n;
    }
    return bytes.subarray(0, read);
  } finally {
    file.close();
  }
}

/** Follows log files: what each job appended since the last look, in whole lines when prefixed. */
class LogTail {
  readonly #offsets = new Map<string, number>();
  readonly #decoders = new Map<string, TextDecoder>();
  readonly #partial = new Map<string, string>();

  constructor(readonly store: RunStore, readonly run: string, readonly job?: string) {}

  /** Prints what is new; `last` prints unfinished lines too. */
  step(last: boolean): void {
    const jobs = this.store.jobs(this.run).filter((j) =>
      this.job === undefined ? j.logFile !== undefined : j.key === this.job
    );
    for (const job of jobs) {
      const path = job.logFile ?? this.store.logFile(this.run, job.key);
      if (!path) continue;
      const offset = this.#offsets.get(job.key) ?? 0;
      const bytes = readFrom(path, offset);
      this.#offsets.set(job.key, offset + bytes.length);
      let decoder = this.#decoders.get(job.key);
      if (!decoder) this.#decoders.set(job.key, decoder = new TextDecoder());
      const text = decoder.decode(bytes, { stream: !last });
      if (this.job !== undefined) {
        out(text);
        continue;
      }
      const parts = ((this.#partial.get(job.key) ?? "") + text).split("\n");
      const rest = parts.pop()!;
      this.#partial.set(job.key, rest);
      if (last && rest) parts.push(rest);
      for (const line of parts) out(`${job.key} | ${line}\n`);
    }
  }
}

async function logsCommand(
  store: RunStore,
  id: string,
  key: string | undefined,
  follow: boolean,
): Promise<number> {
  const run = store.requireRun(id);
  if (key !== undefined) {
    const keys = store.jobs(run.id).map((j) => j.key);
    if (!keys.includes(key)) {
      throw new UsageError(
        `run ${run.id} has no job ${JSON.stringify(key)}; its jobs: ${keys.join(", ")}`,
      );
    }
  }
  const tail = new LogTail(store, run.id, key);
  if (!follow) {
    tail.step(true);
    return EXIT.ok;
  }
  for (;;) {
    const state = store.run(run.id)?.state;
    const over = state !== "running";
    tail.step(over);
    if (over) return EXIT.ok;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Runs `baton runs|show|logs …`; returns the exit code. */
export async function storeCommand(
  command: "runs" | "show" | "logs",
  args: string[],
): Promise<number> {
  const options = parseStoreArgs(command, args);
  if (options.help) {
    out(HELP[command]);
    return EXIT.ok;
  }
  const store = RunStore.open(options.store, { create: false });
  try {
    const [run, job] = options.positionals;
    if (command === "runs") return runsCommand(store, options.json);
    if (command === "show") return showCommand(store, run);
    return await logsCommand(store, run, job, options.follow);
  } finally {
    store.close();
  }
}
