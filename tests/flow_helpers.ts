/**
 * Helpers for the flow tests: jobs that sleep, fail or loop, and always
 * clear their timers when cancelled (so the sanitizers stay quiet).
 *
 * @module
 */

import type { JobContext } from "../mod.ts";

/** Resolves with `value` after `ms`, or rejects with the abort reason. */
export function sleep<T = number>(this: JobContext, ms: number, value?: T): Promise<T> {
  const signal = this.signal;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve((value ?? ms) as T);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Throws `Error(message)` after `ms`. */
export async function boom(this: JobContext, ms: number, message = "boom"): Promise<never> {
  await sleep.call(this, ms);
  throw new Error(message);
}

/** Ticks every `ms` until cancelled, counting into `ticks`. */
export async function tick(this: JobContext, ms: number, ticks: { n: number }): Promise<never> {
  for (;;) {
    await sleep.call(this, ms);
    ticks.n++;
  }
}

/** Milliseconds taken by `fn`. */
export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}
