/**
 * Shared renderings: durations, limits, clock times.
 *
 * @module
 */

import type { Limits } from "../../executors/limits.ts";
import { formatDuration, parseDuration, parseSize } from "../../units.ts";
import { describe } from "../../flow/job.ts";

/** `1.2s`, `850ms`, `2.5m`. */
export function elapsed(ms: number | undefined): string {
  return ms === undefined ? "" : formatDuration(ms);
}

function size(bytes: number): string {
  for (const [unit, factor] of [["GB", 1024 ** 3], ["MB", 1024 ** 2], ["KB", 1024]] as const) {
    if (bytes >= factor) return `${+(bytes / factor).toFixed(1)}${unit}`;
  }
  return `${bytes}B`;
}

/**
 * How much of its limits a job uses: wall time as used/limit and a
 * percentage; memory and CPU time as the caps the executor enforces.
 */
export function limitUse(limits: Limits | undefined, ms: number | undefined): string {
  if (!limits) return "";
  const parts: string[] = [];
  if (limits.wallTime !== undefined) {
    const limit = parseDuration(limits.wallTime);
    const used = ms ?? 0;
    if (ms === undefined) parts.push(`wall ≤${formatDuration(limit)}`);
    else {
      parts.push(
        `wall ${formatDuration(used)}/${formatDuration(limit)} ${
          Math.min(999, Math.round((used / Math.max(1, limit)) * 100))
        }%`,
      );
    }
  }
  if (limits.cpuTime !== undefined) {
    parts.push(`cpu ≤${formatDuration(parseDuration(limits.cpuTime))}`);
  }
  if (limits.memory !== undefined) parts.push(`mem ≤${size(parseSize(limits.memory))}`);
  return parts.join(", ");
}

/** `HH:MM:SS.mmm` in local time. */
export function clock(date: Date = new Date()): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${
    pad(date.getMilliseconds(), 3)
  }`;
}

/** Whether a code point takes two terminal columns (CJK, emoji and other wide forms). */
function wide(code: number): boolean {
  return (code >= 0x1100 && code <= 0x115f) || (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) || (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) || (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd);
}

/** Terminal columns `text` takes (no escape sequences in it; tabs count as one). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x300 && code <= 0x36f) || code === 0x200d) continue;
    width += wide(code) ? 2 : 1;
  }
  return width;
}

/** `text` cut to fewer than `width` columns (ending in `…` when cut), so it never wraps. */
export function fitLine(text: string, width: number): string {
  // deno-lint-ignore no-control-regex
  const clean = text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "").replaceAll("\t", " ");
  if (displayWidth(clean) < width) return clean;
  let out = "";
  let used = 0;
  for (const char of clean) {
    const w = displayWidth(char);
    if (used + w > width - 2) break;
    out += char;
    used += w;
  }
  return `${out}…`;
}

/** A short rendering of a job's result for one line: `exit 0` for commands. */
export function summarize(value: unknown, max = 40): string {
  if (
    typeof value === "object" && value !== null && typeof (value as { code?: unknown }).code ===
      "number" &&
    typeof (value as { stdout?: unknown }).stdout === "string"
  ) {
    return `exit ${(value as { code: number }).code}`;
  }
  return describe(value, max);
}
