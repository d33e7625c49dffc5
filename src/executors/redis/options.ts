/**
 * The options of the Redis executor and their checks.
 *
 * @module
 */

import type { JobOptions } from "./npm_types.ts";
import { type Duration, parseDuration } from "../../units.ts";
import { checkOptions, quote } from "../../options.ts";
import type { RedisConnection } from "./connection.ts";

/**
 * How long BullMQ waits before retrying a failed job.
 *
 * @category Distributed
 */
export type Backoff = Duration | { type: "fixed" | "exponential"; delay: Duration };

/**
 * Options of `Scheduler.withRedis(options)` and `new RedisExecutor(options)`.
 *
 * @category Distributed
 */
export interface RedisExecutorOptions {
  /** Where Redis is: `"redis://host:port"` or `{ host, port, password }`. */
  connection: RedisConnection;
  /** The BullMQ queue that `baton worker --queue NAME` serves. */
  queue: string;
  /**
   * Also run jobs in this process, on a local pool of this many subprocesses
   * (default 0: only `baton worker`s elsewhere take them).
   */
  workers?: number;
  /**
   * How many times a call whose function throws (or hits a limit) is run
   * before its future rejects (default 1: no retry). A worker that dies is
   * a different matter: its jobs are always recovered (see `maxStalls` of
   * `baton worker`).
   */
  maxAttempts?: number;
  /** Wait between attempts: a duration (fixed) or `{ type: "exponential", delay }`. Default: none. */
  backoff?: Backoff;
  /** BullMQ priority of every job: 1 is the highest, up to 2097152. Default: none (first in, first out). */
  priority?: number;
  /**
   * Events BullMQ keeps in the queue's event stream (default 100 000; BullMQ's
   * own default is 10 000). A scheduler that falls further behind, e.g. under
   * a burst of jobs, notices the gap and asks Redis for the outcomes it
   * missed, which is slower.
   */
  maxEvents?: number;
}

/** The per-job options that come from the executor's options. */
export function jobOptions(options: RedisExecutorOptions): JobOptions {
  const attempts = options.maxAttempts ?? 1;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${attempts}`);
  }
  const result: JobOptions = {
    attempts,
    // Kept a while, so that a scheduler that reconnects can still read the outcome.
    removeOnComplete: { age: 300 },
    removeOnFail: { age: 24 * 3600 },
  };
  if (options.backoff !== undefined) result.backoff = resolveBackoff(options.backoff);
  if (options.priority !== undefined) {
    const p = options.priority;
    if (!Number.isInteger(p) || p < 1 || p > 2_097_152) {
      throw new RangeError(`priority must be an integer from 1 (highest) to 2097152, got ${p}`);
    }
    result.priority = p;
  }
  return result;
}

function resolveBackoff(backoff: Backoff): { type: string; delay: number } {
  if (typeof backoff === "object" && backoff !== null) {
    checkOptions(backoff, ["type", "delay"], "the backoff");
    if (backoff.type !== "fixed" && backoff.type !== "exponential") {
      throw new TypeError(
        `backoff.type must be "fixed" or "exponential", got ${JSON.stringify(backoff.type)}`,
      );
    }
    return { type: backoff.type, delay: parseDuration(backoff.delay) };
  }
  return { type: "fixed", delay: parseDuration(backoff) };
}

/** Checks the number of local workers. */
export function localWorkers(options: RedisExecutorOptions): number {
  const n = options.workers ?? 0;
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`workers must be a non-negative integer, got ${n}`);
  }
  return n;
}

/** The keys of {@linkcode RedisExecutorOptions}. */
export const EXECUTOR_OPTION_KEYS: readonly string[] = [
  "connection",
  "queue",
  "workers",
  "maxAttempts",
  "backoff",
  "priority",
  "maxEvents",
];

/** Checks the length of the event stream. */
export function maxEvents(options: RedisExecutorOptions): number {
  const n = options.maxEvents ?? 100_000;
  if (!Number.isInteger(n) || n < 100) {
    throw new RangeError(`maxEvents must be an integer of at least 100, got ${quote(n)}`);
  }
  return n;
}

/** The keys of a {@linkcode RedisWorker}'s options. */
export const WORKER_OPTION_KEYS: readonly string[] = [
  "connection",
  "queue",
  "concurrency",
  "executor",
  "permissions",
  "limits",
  "lockDuration",
  "heartbeat",
  "stalledInterval",
  "maxStalls",
  "name",
];

/**
 * How a worker holds its jobs, in ms: the lock, how often the heartbeat
 * renews it, how often it looks for jobs of dead workers, and how many
 * times a job may lose its worker.
 */
export interface LockTimings {
  readonly lockDuration: number;
  readonly heartbeat: number;
  readonly stalledInterval: number;
  readonly maxStalls: number;
}

/** The longest lock or interval: what a platform timer can wait. */
const MAX_TIMING = 2 ** 31 - 1;

/**
 * Checks the lock timings of a worker's options; the defaults recover a
 * dead worker's jobs within about 3 s (lock 2 s + a stalled check every
 * second).
 */
export function resolveLockTimings(options: {
  lockDuration?: Duration;
  heartbeat?: Duration;
  stalledInterval?: Duration;
  maxStalls?: number;
}): LockTimings {
  const timing = (name: string, value: Duration | undefined, fallback: Duration, min: number) => {
    const ms = Math.round(parseDuration(value ?? fallback));
    if (ms < min || ms > MAX_TIMING) {
      throw new RangeError(
        `${name} must be from ${min}ms to ${MAX_TIMING}ms, got ${quote(value ?? fallback)}`,
      );
    }
    return ms;
  };
  const lockDuration = timing("lockDuration", options.lockDuration, "2s", 200);
  const heartbeat = timing("heartbeat", options.heartbeat, Math.min(500, lockDuration / 4), 10);
  if (heartbeat * 2 > lockDuration) {
    throw new RangeError(
      `heartbeat (${quote(options.heartbeat)}) must be at most half of lockDuration ` +
        `(${lockDuration}ms), so that a lock is renewed at least twice before it expires`,
    );
  }
  const stalledInterval = timing("stalledInterval", options.stalledInterval, "1s", 50);
  const maxStalls = options.maxStalls ?? 1;
  if (!Number.isInteger(maxStalls) || maxStalls < 0) {
    throw new RangeError(`maxStalls must be a non-negative integer, got ${quote(maxStalls)}`);
  }
  return { lockDuration, heartbeat, stalledInterval, maxStalls };
}
