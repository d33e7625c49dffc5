/**
 * Runaway and well-behaved functions for the process executor tests, marked
 * with `remote` so that subprocesses import them from this module, plus
 * helpers that look at this process's children.
 *
 * @module
 */

import { type ProcessExecutor, remote, type Scheduler } from "../mod.ts";

/** Spins until killed. */
export const busyLoop = remote(import.meta.url, function busyLoop(): number {
  let x = 0;
  while (true) x = (x + 1) % 1000;
});

/** Grows the V8 heap until it runs out. */
export const allocate = remote(import.meta.url, function allocate(): number {
  const keep: number[][] = [];
  while (true) keep.push(new Array(100_000).fill(Math.random()));
});

/** Sleeps for `ms`, then returns it. */
export const sleep = remote(import.meta.url, async function sleep(ms: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
});

/** The process id of the process running the call. */
export const whoAmI = remote(import.meta.url, function whoAmI(): number {
  return Deno.pid;
});

/** Returns `n * 2`, or exits with code 3 when `crash` is true. */
export const maybeCrash = remote(
  import.meta.url,
  function maybeCrash(n: number, crash: boolean): number {
    if (crash) Deno.exit(3);
    return n * 2;
  },
);

/** Burns about `ms` of CPU time, then returns the process id. */
export const burn = remote(import.meta.url, function burn(ms: number): number {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
  return Deno.pid;
});

/**
 * The ids of this process's live children that belong to `scheduler`'s
 * process pool (found by the `--baton-pool=<id>` argument on their command
 * line: under `deno test --parallel` other test files share this process).
 */
export function childPids(scheduler: Scheduler): number[] {
  const marker = `--baton-pool=${(scheduler.executor as ProcessExecutor).poolId}`;
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc/self/task")) {
    let text: string;
    try {
      text = Deno.readTextFileSync(`/proc/self/task/${entry.name}/children`).trim();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue; // the thread ended meanwhile
      throw error;
    }
    if (text) pids.push(...text.split(/\s+/).map(Number));
  }
  return pids.filter((pid) => {
    try {
      return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").includes(marker);
    } catch {
      return false; // exited meanwhile
    }
  }).sort((a, b) => a - b);
}

/** Whether a process with `pid` exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** An object of the counts in an emitter's `eventCounts`, for exact comparison. */
export function counts(emitter: { eventCounts: Map<string, number> }): Record<string, number> {
  return Object.fromEntries([...emitter.eventCounts].sort(([a], [b]) => a.localeCompare(b)));
}

/** The soft CPU-time limit of the process running the call, as /proc shows it. */
export const ownCpuLimit = remote(import.meta.url, function ownCpuLimit(): string {
  const line = Deno.readTextFileSync("/proc/self/limits").split("\n")
    .find((l) => l.startsWith("Max cpu time"))!;
  return line.slice(26).trim().split(/\s+/)[0];
});

/** Allocates `mb` MiB outside the V8 heap (a typed array), touches every page, returns its size. */
export const fillBuffer = remote(import.meta.url, function fillBuffer(mb: number): number {
  const bytes = new Uint8Array(mb * 1024 * 1024);
  bytes.fill(1);
  return bytes.length;
});
