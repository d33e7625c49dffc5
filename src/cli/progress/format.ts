/**
 * Shared renderings: durations, limits, clock times.
 *
 * @module
 */

import type { Limits } from "../../executors/limits.ts";
import { formatDuration, parseDuration, parseSize } from "../../units.ts";

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
