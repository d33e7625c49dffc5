/**
 * Durations and sizes as the API accepts them: a number (milliseconds or
 * bytes) or a string with a unit.
 *
 * @module
 */

import { quote } from "./options.ts";

/**
 * A duration: milliseconds, or a string such as `"250ms"`, `"10s"`, `"5m"`, `"1h"`.
 *
 * @example
 * ```ts
 * import type { Duration } from "@baton/baton";
 * const timeout: Duration = "90s";
 * ```
 * @category Core
 */
export type Duration = number | string;

/**
 * A size: bytes, or a string such as `"512KB"`, `"256MB"`, `"2GB"` (powers of 1024).
 *
 * @example
 * ```ts
 * import type { Size } from "@baton/baton";
 * const memory: Size = "512MB";
 * ```
 * @category Core
 */
export type Size = number | string;

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  tb: 1024 ** 4,
};

function parseWithUnits(
  value: unknown,
  units: Record<string, number>,
  what: string,
  accepted: string,
): number {
  let parsed = NaN;
  if (typeof value === "number") parsed = value;
  else if (typeof value === "string") {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
    const factor = match && units[(match[2] || Object.keys(units)[0]).toLowerCase()];
    if (match && factor) parsed = Number(match[1]) * factor;
  }
  if (Number.isFinite(parsed) && parsed >= 0 && parsed <= Number.MAX_SAFE_INTEGER) return parsed;
  const why = parsed > Number.MAX_SAFE_INTEGER
    ? ` (more than ${Number.MAX_SAFE_INTEGER}, the largest accepted)`
    : "";
  throw new TypeError(`Invalid ${what}: ${quote(value)}${why}; expected ${accepted}`);
}

/**
 * Converts a {@linkcode Duration} to milliseconds.
 *
 * @throws {TypeError} naming the value when it is not a duration.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "@baton/baton";
 * assert.equal(parseDuration("1.5s"), 1500);
 * assert.equal(parseDuration(250), 250);
 * ```
 * @category Core
 */
export function parseDuration(value: Duration): number {
  return parseWithUnits(
    value,
    DURATION_UNITS,
    "duration",
    'a non-negative number of milliseconds or a string like "250ms", "10s", "5m", "1h"',
  );
}

/**
 * Converts a {@linkcode Size} to bytes (units are powers of 1024).
 *
 * @throws {TypeError} naming the value when it is not a size.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSize } from "@baton/baton";
 * assert.equal(parseSize("256MB"), 268435456);
 * ```
 * @category Core
 */
export function parseSize(value: Size): number {
  return parseWithUnits(
    value,
    SIZE_UNITS,
    "size",
    'a non-negative number of bytes or a string like "512KB", "256MB", "2GB"',
  );
}

/** Renders milliseconds compactly for listings: `850ms`, `2s`, `1.5m`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1_000).toFixed(2)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(2)}m`;
  return `${+(ms / 3_600_000).toFixed(2)}h`;
}
