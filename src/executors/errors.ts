/**
 * Errors that executors reject futures with.
 *
 * @module
 */

import { formatDuration } from "../units.ts";

/**
 * Which limit a {@linkcode LimitError} is about.
 *
 * @example
 * ```ts ignore
 * task.onException((_f, e) => { if (e instanceof LimitError && e.kind === "memory") shrink(); });
 * ```
 */
export type LimitKind = "wallTime" | "cpuTime" | "memory";

/**
 * A call went over one of its task's limits. Carries the limit and what was observed.
 *
 * @example
 * ```ts
 * import { LimitError, WallTimeLimitError } from "@baton/baton";
 * const error = new WallTimeLimitError(1000, 1003);
 * error instanceof LimitError; // true
 * error.limit; // 1000
 * ```
 */
export class LimitError extends Error {
  /** Which limit. */
  readonly kind: LimitKind;
  /** The limit (milliseconds or bytes). */
  readonly limit: number;
  /** What was observed when the call was stopped, when known. */
  readonly observed?: number;

  /** Creates the error. */
  constructor(kind: LimitKind, limit: number, observed: number | undefined, message: string) {
    super(message);
    this.name = "LimitError";
    this.kind = kind;
    this.limit = limit;
    this.observed = observed;
  }
}

/**
 * A call ran longer than its `wallTime` limit.
 *
 * @example
 * ```ts
 * import { WallTimeLimitError } from "@baton/baton";
 * new WallTimeLimitError(500).message; // "wall-time limit of 500ms reached"
 * ```
 */
export class WallTimeLimitError extends LimitError {
  /** `limit` and `observed` are milliseconds. */
  constructor(limit: number, observed?: number, detail = "") {
    super(
      "wallTime",
      limit,
      observed,
      `wall-time limit of ${formatDuration(limit)} reached${
        observed === undefined ? "" : ` after ${formatDuration(observed)}`
      }${detail}`,
    );
    this.name = "WallTimeLimitError";
  }
}

/**
 * A call used more CPU time than its `cpuTime` limit.
 *
 * @example
 * ```ts
 * import { CpuTimeLimitError } from "@baton/baton";
 * new CpuTimeLimitError(2000).kind; // "cpuTime"
 * ```
 */
export class CpuTimeLimitError extends LimitError {
  /** `limit` and `observed` are milliseconds. */
  constructor(limit: number, observed?: number, detail = "") {
    super(
      "cpuTime",
      limit,
      observed,
      `CPU-time limit of ${formatDuration(limit)} reached${
        observed === undefined ? "" : ` after ${formatDuration(observed)}`
      }${detail}`,
    );
    this.name = "CpuTimeLimitError";
  }
}

/**
 * A call used more memory than its `memory` limit.
 *
 * @example
 * ```ts
 * import { MemoryLimitError } from "@baton/baton";
 * new MemoryLimitError(256 * 1024 ** 2).kind; // "memory"
 * ```
 */
export class MemoryLimitError extends LimitError {
  /** `limit` and `observed` are bytes. */
  constructor(limit: number, observed?: number, detail = "") {
    super(
      "memory",
      limit,
      observed,
      `memory limit of ${Math.round(limit / 1024 ** 2)}MB reached${detail}`,
    );
    this.name = "MemoryLimitError";
  }
}

/**
 * The worker or process running a call died before answering. The pool
 * replaces it; only the call it was running is rejected.
 *
 * @example
 * ```ts
 * import { WorkerCrashedError } from "@baton/baton";
 * const error = new WorkerCrashedError("process 2 exited with code 3", { code: 3 });
 * error.code; // 3
 * ```
 */
export class WorkerCrashedError extends Error {
  /** The exit code, for a process. */
  readonly code?: number;
  /** The signal that ended it, for a process. */
  readonly signal?: string;
  /** The last lines it wrote to stderr, for a process. */
  readonly stderr?: string;

  /** Creates the error. */
  constructor(message: string, details: { code?: number; signal?: string; stderr?: string } = {}) {
    super(message);
    this.name = "WorkerCrashedError";
    this.code = details.code;
    this.signal = details.signal;
    this.stderr = details.stderr;
  }
}
