/**
 * The Retry plugin: runs a failed call again, on the same future, after an
 * exponential backoff with jitter.
 *
 * @module
 */

import { isErrorOf } from "../wire/codec.ts";
import { quote } from "../options.ts";
import type { Event } from "../events/event.ts";
import { LimitError } from "../executors/errors.ts";
import { CancelledError } from "../scheduler/errors.ts";
import { TaskEvents } from "../scheduler/events.ts";
import type { Future } from "../scheduler/future.ts";
import type { ErrorClass } from "../scheduler/scheduler.ts";
import type { AnyTask } from "../scheduler/task.ts";
import {
  BACKOFF_OPTIONS,
  backoffDelay,
  type BackoffOptions,
  type BackoffPolicy,
  resolveBackoff,
} from "./backoff.ts";
import type { Plugin } from "./plugin.ts";

/**
 * Options of {@linkcode Retry}: how many attempts, which errors, and the
 * backoff between attempts.
 *
 * @example
 * ```ts
 * import { Retry } from "@baton/baton";
 * new Retry({ attempts: 5, delay: "1s", factor: 2, maxDelay: "1m", jitter: true, on: [TypeError] });
 * ```
 * @category Extending
 */
export interface RetryOptions extends BackoffOptions {
  /** Attempts in all, the first call included (default 3; 1 = never retry). */
  attempts?: number;
  /**
   * Retry only errors of these classes (or their subclasses). Default: every
   * error except cancellations and `LimitError`s (a call that ran out of
   * time or memory would most likely do so again).
   */
  on?: ErrorClass | readonly ErrorClass[];
}

const RETRY_OPTIONS = ["attempts", "on", ...BACKOFF_OPTIONS] as const;
const RETRY_HINTS = {
  retries: "use attempts: the number of attempts in all, the first call included",
  maxAttempts: "use attempts",
  max_attempts: "use attempts",
  retry_on: "use on: [ErrorClass, …]",
  exceptions: "use on: [ErrorClass, …]",
  backoff: "use factor (how much each wait grows)",
  maxTimeout: "use maxDelay",
  minTimeout: "use delay",
};

/**
 * Runs a failed call again after a backoff: the wait before retry `n` is
 * `delay × factor^(n−1)` capped at `maxDelay`, and with `jitter` a random
 * 50–100% of that. The call stays on the same future, which settles once,
 * after its last attempt; `future.attempts` counts the attempts. Before each
 * retry the task emits `retry` (future, error, attempt, delayMs) — `attempt`
 * is the attempt that failed — and nothing else: `done`, `result` or
 * `exception` come once, at the end.
 *
 * A retry needs the scheduler running: after `stop()` a failure stands, and
 * a call waiting for its retry is cancelled when the run ends. On Redis,
 * BullMQ's own `attempts` retry inside the executor first; this plugin sees
 * only the failure that comes out of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Retry, Scheduler } from "@baton/baton";
 * let calls = 0;
 * const scheduler = Scheduler.sequential();
 * const flaky = scheduler.task((name: string) => {
 *   if (++calls < 3) throw new Error("flaky");
 *   return `hello ${name}`;
 * }, { plugins: new Retry({ attempts: 3, delay: "1ms" }) });
 * const retries: number[] = [];
 * flaky.on(Retry.RETRY, (_future, _error, attempt, _delayMs) => retries.push(attempt as number));
 * const [greeting] = await scheduler.map(flaky, ["ada"]);
 * assert.equal(greeting, "hello ada");
 * assert.equal(calls, 3);
 * assert.deepEqual(retries, [1, 2]);
 * ```
 * @category Extending
 */
export class Retry implements Plugin {
  /** A failed attempt will run again: (future, error, attempt, delayMs). */
  static readonly RETRY: Event<[future: Future, error: unknown, attempt: number, delayMs: number]> =
    TaskEvents.RETRY;

  /** Always `"retry"`. */
  readonly name = "retry";
  /** The events it emits on its task. */
  readonly events: readonly Event<unknown[]>[] = [Retry.RETRY] as Event<unknown[]>[];
  /** Attempts in all, per call. */
  readonly attempts: number;
  /** The backoff between attempts, in milliseconds. */
  readonly backoff: BackoffPolicy;
  /** Retries asked for so far, over every task it serves. */
  retried = 0;
  readonly #on?: readonly ErrorClass[];

  /** Creates the plugin; every option has a default. */
  constructor(options: RetryOptions = {}) {
    this.backoff = resolveBackoff(
      options as RetryOptions & Record<string, unknown>,
      "new Retry()",
      RETRY_OPTIONS,
      RETRY_HINTS,
    );
    const attempts = options?.attempts ?? 3;
    if (!Number.isInteger(attempts) || attempts < 1) {
      throw new RangeError(
        `new Retry(): attempts must be a positive integer (the first call included), got ${
          quote(attempts)
        }`,
      );
    }
    this.attempts = attempts;
    const on = options?.on;
    if (on !== undefined) {
      const list = (Array.isArray(on) ? on : [on]) as ErrorClass[];
      for (const errorClass of list) {
        if (typeof errorClass !== "function") {
          throw new TypeError(
            `new Retry(): on must be an error class or an array of them, got ${quote(errorClass)}`,
          );
        }
      }
      this.#on = list;
    }
  }

  /** Nothing to set up: every decision is made per failure. */
  attach(_task: AnyTask): void {}

  /** The backoff before the next attempt, or `undefined` when this one is the last or the error is not retried. */
  retryAfter(_future: Future, error: unknown, attempt: number): number | undefined {
    if (attempt >= this.attempts || !this.retries(error)) return undefined;
    this.retried++;
    return backoffDelay(this.backoff, attempt);
  }

  /** Whether `error` is one this plugin retries. */
  retries(error: unknown): boolean {
    // By class chain too, so a policy matches a remote error whose class is not registered here.
    if (this.#on) return this.#on.some((errorClass) => isErrorOf(error, errorClass));
    return !isErrorOf(error, CancelledError) && !isErrorOf(error, LimitError);
  }

  /** Live state, e.g. `Retried 2 times (3 attempts per call)`. */
  describe(): string {
    return `Retried ${this.retried} time${
      this.retried === 1 ? "" : "s"
    } (${this.attempts} attempts per call)`;
  }
}
