/**
 * Timers for any duration the API accepts. `setTimeout` fires at once for
 * delays above 2^31−1 ms (about 24.8 days); these chain shorter timers up to
 * the deadline instead, so `wallTime: "600h"` means 600 hours.
 *
 * @module
 */

/** The longest delay `setTimeout` honours. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * A running timer: the platform's id for ordinary delays (no allocation on
 * the hot path), a small record for chained ones.
 */
export type Timer = ReturnType<typeof setTimeout> | Chain;

/** A timer made of shorter ones; `id` is the one pending now. */
class Chain {
  id?: ReturnType<typeof setTimeout>;
}

/**
 * Calls `fn` once after `ms` milliseconds, for any `ms` up to
 * `Number.MAX_SAFE_INTEGER`.
 *
 * @example
 * ```ts
 * import { startTimer, stopTimer } from "./timers.ts";
 * const timer = startTimer(() => console.log("30 days later"), 30 * 24 * 3_600_000);
 * stopTimer(timer);
 * ```
 */
export function startTimer(fn: () => void, ms: number): Timer {
  if (ms <= MAX_DELAY) return setTimeout(fn, ms);
  const deadline = performance.now() + ms;
  const chain = new Chain();
  const step = () => {
    const left = deadline - performance.now();
    chain.id = left <= MAX_DELAY ? setTimeout(fn, Math.max(0, left)) : setTimeout(step, MAX_DELAY);
  };
  chain.id = setTimeout(step, MAX_DELAY);
  return chain;
}

/** Stops a timer made by {@linkcode startTimer}; `undefined` and fired timers are fine. */
export function stopTimer(timer: Timer | undefined): void {
  if (timer === undefined) return;
  clearTimeout(timer instanceof Chain ? timer.id : timer);
}
