/**
 * Text reports on a flow: the listing, the debrief and the counts.
 *
 * @module
 */

import { checkOptions } from "../options.ts";
import { topologicalSort } from "./graph.ts";
import { describe, type Job, jobInternals, type JobState } from "./job.ts";
import { Flow } from "./flow.ts";
import { reuseOf } from "./durable.ts";

/**
 * Options of `flow.list()` and `flow.debrief()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job } from "@baton/baton";
 * const flow = new Flow();
 * flow.add(job(() => 1), { label: "one" });
 * assert.match(flow.list({ ascii: true }), /one/);
 * ```
 * @category Flow
 */
export interface ListOptions {
  /**
   * Plain ASCII marks instead of ⚠ ★ ☉ ☓ ↺ ⚑ ⚐ ∞. Default: ASCII when
   * `NO_COLOR` is set or the locale (`LC_ALL`, `LC_CTYPE`, `LANG`) is not UTF-8.
   */
  ascii?: boolean;
  /** Each job's `details()` (when it has some) on the lines below it (default `false`). */
  details?: boolean;
}

const LIST_OPTION_KEYS = ["ascii", "details"];

interface Marks {
  critical: string;
  raised: string;
  fine: string;
  states: Record<JobState, string>;
  forever: string;
}

const UNICODE: Marks = {
  critical: "⚠",
  raised: "★",
  fine: "☉",
  states: { idle: "⚐", scheduled: "⚑", running: "↺", done: "☓" },
  forever: "∞",
};

const ASCII: Marks = {
  critical: "C",
  raised: "E",
  fine: "o",
  states: { idle: ".", scheduled: "s", running: "R", done: "x" },
  forever: "~",
};

/** Whether the terminal is unlikely to show the Unicode marks. */
export function prefersAscii(): boolean {
  try {
    // Without env access, assume a modern UTF-8 terminal rather than prompting.
    if (Deno.permissions.querySync({ name: "env" }).state !== "granted") return false;
    if (Deno.env.get("NO_COLOR")) return true;
    const locale = Deno.env.get("LC_ALL") || Deno.env.get("LC_CTYPE") || Deno.env.get("LANG");
    return locale !== undefined && !/utf-?8/i.test(locale);
  } catch {
    return false;
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return describe(error, 80);
}

function listLines(
  flow: Flow,
  indent: string,
  marks: Marks,
  details: boolean,
  lines: string[],
): void {
  const members = new Set(flow.jobs);
  const { order, rest } = topologicalSort(members);
  const onCycle = new Set(rest);
  const all = [...order, ...rest];
  const width = Math.max(2, String(all.length).length);
  const numbers = new Map<Job, string>();
  all.forEach((job, i) => numbers.set(job, String(i + 1).padStart(width, "0")));
  // Details line up under the labels.
  const pad = " ".repeat(width + 9);
  for (const job of all) {
    const started = job.state === "running" || job.state === "done";
    const parts = [
      numbers.get(job),
      job.critical ? marks.critical : " ",
      job.failed ? marks.raised : started ? marks.fine : " ",
      marks.states[job.state],
      job.forever ? marks.forever : " ",
      job.label,
    ];
    let line = indent + parts.join(" ");
    if (job.failed) line += ` !! ${job.critical ? "CRITICAL " : ""}${errorText(job.error)}`;
    else if (job.isDone()) line += ` => ${describe(job.result, 60)}`;
    if (job.cancelled) line += " [cancelled]";
    const reuse = reuseOf(job);
    if (reuse) line += ` [${reuse.cached ? "cached" : "skipped"}: from run ${reuse.run}]`;
    const requirements = jobInternals.requirementList(job);
    if (requirements.length > 0) {
      const refs = requirements.map((r) => numbers.get(r) ?? `?"${r.label}"`);
      line += ` - requires {${refs.join(", ")}}`;
    }
    if (onCycle.has(job)) line += " (on a cycle)";
    lines.push(line);
    if (details) {
      const text = job.details();
      if (text) { for (const row of text.split("\n")) lines.push(`${indent}${pad}${row}`); }
    }
    if (job instanceof Flow) listLines(job, indent + "    ", marks, details, lines);
  }
}

/** The listing behind `flow.list()`. */
export function list(flow: Flow, options: ListOptions = {}): string {
  checkOptions(options, LIST_OPTION_KEYS, "flow.list()");
  const lines: string[] = [];
  const marks = (options.ascii ?? prefersAscii()) ? ASCII : UNICODE;
  listLines(flow, "", marks, options.details ?? false, lines);
  return lines.join("\n");
}

/** The counts behind `flow.stats()`. */
export function stats(flow: Flow): string {
  const counts = { done: 0, cancelled: 0, running: 0, scheduled: 0, idle: 0 };
  for (const job of flow.jobs) {
    if (job.cancelled) counts.cancelled++;
    else counts[job.state]++;
  }
  const parts = Object.entries(counts)
    .filter(([key, count]) => count > 0 || key === "done" || key === "running" || key === "idle")
    .map(([key, count]) => `${count} ${key}`);
  const total = flow.jobs.length;
  return `${parts.join(" + ")} = ${total} job${total === 1 ? "" : "s"}`;
}

function failedJobs(flow: Flow, path: string, out: [string, Job][]): void {
  for (const job of flow.jobs) {
    if (job.failed) out.push([path + job.label, job]);
    if (job instanceof Flow) failedJobs(job, `${path}${job.label} / `, out);
  }
}

/** The report behind `flow.debrief()`. */
export function debrief(flow: Flow, options: ListOptions = {}): string {
  checkOptions(options, LIST_OPTION_KEYS, "flow.debrief()");
  const lines = [
    `flow "${flow.label}": ${flow.why()}`,
    stats(flow),
    list(flow, options),
  ];
  const failed: [string, Job][] = [];
  failedJobs(flow, "", failed);
  if (failed.length > 0) {
    lines.push(`--- ${failed.length} job${failed.length === 1 ? "" : "s"} raised an exception`);
    for (const [path, job] of failed) {
      lines.push(`* ${path}${job.critical ? " (critical)" : ""}:`);
      const error = job.error;
      const text = error instanceof Error ? (error.stack ?? errorText(error)) : errorText(error);
      lines.push(...text.split("\n").map((l) => `    ${l}`));
    }
  }
  return lines.join("\n");
}
