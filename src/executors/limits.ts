/**
 * Resource limits and permissions a task may ask its executor to enforce.
 *
 * @module
 */

import { type Duration, parseDuration, parseSize, type Size } from "../units.ts";
import { checkPermissionEntry } from "./permission_entries.ts";

/**
 * Resource limits for one call of a task.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.withProcesses(1);
 * const train = (lr: number) => 1 - lr;
 * const task = scheduler.task(train, { limits: { wallTime: "5m", cpuTime: "2m", memory: "2GB" } });
 * assert.equal(task.limits.cpuTime, 120_000);
 * // Threads cannot enforce CPU or memory limits: the worker executor refuses them.
 * assert.throws(() => Scheduler.withWorkers(1).task(train, { limits: { memory: "2GB" } }));
 * ```
 * @category Executors
 */
export interface Limits {
  /** Wall-clock time per call. */
  wallTime?: Duration;
  /** CPU time per call (process executor only). */
  cpuTime?: Duration;
  /** Memory per call (process executor only). */
  memory?: Size;
}

/**
 * {@linkcode Limits} in milliseconds and bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.withProcesses(1);
 * const task = scheduler.task((lr: number) => 1 - lr, { limits: { wallTime: "5m", memory: "2GB" } });
 * assert.deepEqual(task.limits, { wallTime: 300000, memory: 2147483648 });
 * ```
 * @category Executors
 */
export interface ResolvedLimits {
  /** Milliseconds. */
  wallTime?: number;
  /** Milliseconds. */
  cpuTime?: number;
  /** Bytes. */
  memory?: number;
}

/**
 * One Deno permission: all, none, or a list of allowed values.
 *
 * @example
 * ```ts
 * import type { PermissionValue } from "@baton/baton";
 * const read: PermissionValue = ["./data", "/tmp"];
 * ```
 * @category Executors
 */
export type PermissionValue = boolean | string[];

/**
 * Deno's permission descriptor for task code: `"none"`, `"inherit"` or per kind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.withProcesses(1, { permissions: { net: false, read: false } });
 * const [settled] = await scheduler.map(() => Deno.readTextFileSync("/etc/hostname"), [0], {
 *   settle: true,
 * });
 * assert.ok(settled.status === "rejected" && settled.reason instanceof Deno.errors.NotCapable);
 * ```
 * @category Executors
 */
export type Permissions =
  | "none"
  | "inherit"
  | {
    read?: PermissionValue;
    write?: PermissionValue;
    net?: PermissionValue;
    env?: PermissionValue;
    run?: PermissionValue;
    ffi?: PermissionValue;
    sys?: PermissionValue;
    import?: PermissionValue;
  };

/** The permission kinds, in a fixed order. */
export const PERMISSION_KINDS = [
  "read",
  "write",
  "net",
  "env",
  "run",
  "ffi",
  "sys",
  "import",
] as const;

/**
 * Throws when `limits` ask for CPU time or memory, which only the process
 * executor can enforce; `who` names the executor and why it cannot.
 */
export function refuseKernelLimits(limits: ResolvedLimits, who: string, why = ""): void {
  const refused = [
    limits.cpuTime !== undefined && "cpuTime",
    limits.memory !== undefined && "memory",
  ].filter(Boolean);
  if (refused.length) {
    throw new Error(
      `${who} cannot enforce the ${refused.join(" and ")} limit${why}: use ` +
        `Scheduler.withProcesses(n), which enforces CPU, memory and wall time`,
    );
  }
}

/**
 * The smallest memory limit a process can work under: the limit covers its
 * whole resident set, and an idle Deno process already holds about 50MB.
 */
export const MIN_PROCESS_MEMORY = 64 * 1024 ** 2;

/** Throws a `RangeError` for a memory limit no process could keep. */
export function checkProcessMemory(limits: ResolvedLimits): void {
  if (limits.memory !== undefined && limits.memory < MIN_PROCESS_MEMORY) {
    throw new RangeError(
      `A memory limit must be at least 64MB (it covers the whole process, and an idle Deno ` +
        `process already holds about 50MB), got ${limits.memory} bytes`,
    );
  }
}

/** Checks and converts limits to milliseconds and bytes. */
export function resolveLimits(limits: Limits | undefined): ResolvedLimits {
  if (limits === undefined) return {};
  if (typeof limits !== "object" || limits === null) {
    throw new TypeError(`limits must be an object like { wallTime: "5s" }, got ${limits}`);
  }
  const known = new Set(["wallTime", "cpuTime", "memory"]);
  for (const key of Object.keys(limits)) {
    if (!known.has(key)) {
      throw new TypeError(`Unknown limit "${key}"; accepted: wallTime, cpuTime, memory`);
    }
  }
  const resolved: ResolvedLimits = {};
  if (limits.wallTime !== undefined) resolved.wallTime = parseDuration(limits.wallTime);
  if (limits.cpuTime !== undefined) resolved.cpuTime = parseDuration(limits.cpuTime);
  if (limits.memory !== undefined) resolved.memory = parseSize(limits.memory);
  return resolved;
}

/**
 * Checks a permission descriptor and fills every kind, so that nothing is
 * left to Deno's "prompt" default. Returns `undefined` for `"inherit"`.
 * Each list entry is checked as Deno would (a comma is refused anywhere).
 */
export function resolvePermissions(
  permissions: Permissions | undefined,
): Record<(typeof PERMISSION_KINDS)[number], PermissionValue> | undefined {
  if (permissions === undefined || permissions === "inherit") return undefined;
  const full = Object.fromEntries(PERMISSION_KINDS.map((k) => [k, false])) as Record<
    (typeof PERMISSION_KINDS)[number],
    PermissionValue
  >;
  if (permissions === "none") return full;
  if (typeof permissions !== "object" || permissions === null) {
    throw new TypeError(
      `permissions must be "none", "inherit" or an object like { net: false, read: ["./data"] }, ` +
        `got ${JSON.stringify(permissions)}`,
    );
  }
  for (const [key, value] of Object.entries(permissions)) {
    if (!(PERMISSION_KINDS as readonly string[]).includes(key)) {
      throw new TypeError(
        `Unknown permission "${key}"; accepted: ${PERMISSION_KINDS.join(", ")}`,
      );
    }
    const ok = typeof value === "boolean" ||
      (Array.isArray(value) && value.every((v) => typeof v === "string"));
    if (!ok) {
      throw new TypeError(
        `Permission "${key}" must be true, false or a list of strings, got ${
          JSON.stringify(value)
        }`,
      );
    }
    if (Array.isArray(value)) { for (const entry of value) checkPermissionEntry(key, entry); }
    full[key as (typeof PERMISSION_KINDS)[number]] = value as PermissionValue;
  }
  return full;
}
