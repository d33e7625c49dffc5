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

/** Command lines of live (not zombie) processes whose command line contains `tag`. */
export function liveProcesses(tag: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll("\0", " ");
      if (!cmdline.includes(tag)) continue;
      const state = Deno.readTextFileSync(`/proc/${entry.name}/stat`).split(") ")[1]?.[0];
      if (state !== "Z") found.push(`${entry.name}: ${cmdline.trim()}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Waits (up to `ms`) until no live process has `tag` in its command line; returns those left. */
export async function waitGone(tag: string, ms = 3000): Promise<string[]> {
  const deadline = Date.now() + ms;
  let left = liveProcesses(tag);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    left = liveProcesses(tag);
  }
  return left;
}

/** Waits (up to `ms`) until some live process has `tag` in its command line. */
export async function waitStarted(tag: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!liveProcesses(tag).length) {
    if (Date.now() > deadline) throw new Error(`no process with "${tag}" started`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A tag unlikely to match anything else: a sleep duration nobody types, e.g. `41.0417`. */
export function uniqueSleep(): string {
  return `${40 + Math.floor(Math.random() * 50)}.${
    String(Math.floor(Math.random() * 1e6)).padStart(6, "0")
  }`;
}
