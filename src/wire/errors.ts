/**
 * The errors that cross a boundary as themselves: what executors reject
 * futures with (limits, crashes, cancellation, thrown non-Errors) and what
 * comm channels throw. They live at the bottom so that the codec can
 * rebuild them anywhere.
 *
 * @module
 */

import { formatDuration } from "../units.ts";

/**
 * Which limit a {@linkcode LimitError} is about.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LimitError, MemoryLimitError, Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * const task = scheduler.task(() => {
 *   throw new MemoryLimitError(256 * 1024 ** 2);
 * });
 * const kinds: string[] = [];
 * task.onException((_f, e) => {
 *   if (e instanceof LimitError) kinds.push(e.kind);
 * });
 * scheduler.onStart(() => task.submit());
 * await scheduler.run({ onException: "continue" });
 * assert.deepEqual(kinds, ["memory"]);
 * ```
 * @category Executors
 */
export type LimitKind = "wallTime" | "cpuTime" | "memory";

/**
 * A call went over one of its task's limits. Carries the limit and what was observed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LimitError, WallTimeLimitError } from "@baton/baton";
 * const error = new WallTimeLimitError(1000, 1003);
 * assert.ok(error instanceof LimitError);
 * assert.equal(error.limit, 1000);
 * ```
 * @category Executors
 */
export class LimitError extends Error {
  /** Which limit. */
  readonly kind: LimitKind;
  /** The limit (milliseconds or bytes). */
  readonly limit: number;
  /** What was observed when the call was stopped, when known. */
  readonly observed?: number;

  /** Creates the error; `options.cause` is what the limit surfaced as, when it was an error. */
  constructor(
    kind: LimitKind,
    limit: number,
    observed: number | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
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
 * import assert from "node:assert/strict";
 * import { WallTimeLimitError } from "@baton/baton";
 * assert.equal(new WallTimeLimitError(500).message, "wall-time limit of 500ms reached");
 * ```
 * @category Executors
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
 * import assert from "node:assert/strict";
 * import { CpuTimeLimitError } from "@baton/baton";
 * assert.equal(new CpuTimeLimitError(2000).kind, "cpuTime");
 * ```
 * @category Executors
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
 * import assert from "node:assert/strict";
 * import { MemoryLimitError } from "@baton/baton";
 * assert.equal(new MemoryLimitError(256 * 1024 ** 2).kind, "memory");
 * ```
 * @category Executors
 */
export class MemoryLimitError extends LimitError {
  /** `limit` and `observed` (the peak resident set, when known) are bytes. */
  constructor(limit: number, observed?: number, detail = "", options?: ErrorOptions) {
    super(
      "memory",
      limit,
      observed,
      `memory limit of ${Math.round(limit / 1024 ** 2)}MB reached${
        observed === undefined ? "" : ` (${Math.round(observed / 1024 ** 2)}MB observed)`
      }${detail}`,
      options,
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
 * import assert from "node:assert/strict";
 * import { WorkerCrashedError } from "@baton/baton";
 * const error = new WorkerCrashedError("process 2 exited with code 3", { code: 3 });
 * assert.equal(error.code, 3);
 * ```
 * @category Executors
 */
export class WorkerCrashedError extends Error {
  /** The exit code, for a process. */
  readonly code?: number;
  /** The signal that ended it, for a process. */
  readonly signal?: string;
  /** The last lines it wrote to stderr, for a process. */
  readonly stderr?: string;

  /** Creates the error; `details.cause` is what made it die, when known. */
  constructor(
    message: string,
    details: { code?: number; signal?: string; stderr?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "WorkerCrashedError";
    this.code = details.code;
    this.signal = details.signal;
    this.stderr = details.stderr;
  }
}

/**
 * The error a cancelled future rejects with, and the reason its call's
 * `this.signal` aborts with, on every executor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CancelledError } from "@baton/baton";
 * assert.equal(new CancelledError(3).message, "Future 3 was cancelled");
 * ```
 * @category Core
 */
export class CancelledError extends Error {
  /** Creates the error for the future `id`. */
  constructor(id: number, why?: string) {
    super(`Future ${id} was cancelled${why ? `: ${why}` : ""}`);
    this.name = "CancelledError";
  }
}

/**
 * A value that was thrown but is not an `Error`, wrapped so that every
 * `future-exception` carries a message and a stack. `value` is what was
 * thrown, when it could cross the boundary (structured-cloneable), else
 * `undefined`; the message describes it either way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ThrownValueError } from "@baton/baton";
 * assert.equal(new ThrownValueError(42).value, 42);
 * ```
 * @category Core
 */
export class ThrownValueError extends Error {
  /** What was thrown. */
  readonly value: unknown;
  /** Wraps `value`; `description` replaces the printed value in the message. */
  constructor(value: unknown, stack?: string, description?: string) {
    super(`A non-Error value was thrown: ${description ?? describeValue(value)}`);
    this.name = "ThrownValueError";
    this.value = value;
    if (stack) this.stack = `${this.name}: ${this.message}\n${stack}`;
  }
}

/**
 * How a thrown value prints, whatever it is: a null-prototype object, one
 * whose `toString` throws, or a hostile proxy all get a description.
 */
export function describeValue(value: unknown): string {
  try {
    return typeof value === "string" ? JSON.stringify(value) : Deno.inspect(value, { depth: 2 });
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return "a value that cannot be printed";
    }
  }
}

/**
 * A `comm.request()` got no answer in time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CommTimeoutError } from "@baton/baton";
 * assert.equal(new CommTimeoutError(100).message, "comm request got no answer within 100ms");
 * ```
 * @category Extending
 */
export class CommTimeoutError extends Error {
  /** Creates the error for a request that waited `ms`. */
  constructor(ms: number) {
    super(`comm request got no answer within ${ms}ms`);
    this.name = "CommTimeoutError";
  }
}

/**
 * The comm channel was closed (by either side, or because the call ended)
 * while something was pending, or something was sent after it closed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CommClosedError } from "@baton/baton";
 * assert.equal(new CommClosedError("the call ended").message, "comm channel closed: the call ended");
 * ```
 * @category Extending
 */
export class CommClosedError extends Error {
  /** Creates the error; `why` says what closed it. */
  constructor(why: string) {
    super(`comm channel closed: ${why}`);
    this.name = "CommClosedError";
  }
}

/** baton's own classes that the codec rebuilds, by class name. */
export const BATON_ERRORS: ReadonlyMap<string, abstract new (...args: never[]) => Error> = new Map<
  string,
  abstract new (...args: never[]) => Error
>([
  ["LimitError", LimitError],
  ["WallTimeLimitError", WallTimeLimitError],
  ["CpuTimeLimitError", CpuTimeLimitError],
  ["MemoryLimitError", MemoryLimitError],
  ["WorkerCrashedError", WorkerCrashedError],
  ["CancelledError", CancelledError],
  ["ThrownValueError", ThrownValueError],
  ["CommTimeoutError", CommTimeoutError],
  ["CommClosedError", CommClosedError],
]);
