/**
 * Hard limits on a pool of subprocesses: one task per limit runs away and is
 * stopped, its future says which limit it hit, and a well-behaved task keeps
 * its result. No task may use the network.
 *
 * Run: `deno task example:limits`
 *
 * @module
 */

import { LimitError, remote, Scheduler } from "../mod.ts";

/** Spins forever: stopped by its CPU-time limit. */
export const spin = remote(import.meta.url, function spin(): never {
  while (true) { /* burn CPU */ }
});

/** Allocates forever: stopped by its memory limit. */
export const hoard = remote(import.meta.url, function hoard(): never {
  const kept: number[][] = [];
  while (true) kept.push(new Array(100_000).fill(1));
});

/** Sleeps for a minute: stopped by its wall-time limit. */
export const nap = remote(import.meta.url, async function nap(): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 60_000));
  return "rested";
});

/** Sums 1..n within every limit. */
export const sum = remote(import.meta.url, function sum(n: number): number {
  let total = 0;
  for (let i = 1; i <= n; i++) total += i;
  return total;
});

if (import.meta.main) {
  const scheduler = Scheduler.withProcesses(2, {
    permissions: { net: false },
    limits: { wallTime: "5s" },
    forwardStderr: false, // keep V8's long out-of-memory report off the screen
  });
  const tasks = [
    scheduler.task(spin, { limits: { cpuTime: "1s" } }),
    scheduler.task(hoard, { limits: { memory: "64MB" } }),
    scheduler.task(nap, { limits: { wallTime: "500ms" } }),
  ];
  const ok = scheduler.task(sum, { limits: { cpuTime: "2s", memory: "128MB" } });

  scheduler.onStart(() => {
    for (const task of tasks) task.submit();
    ok.submit(1_000_000);
  });
  for (const task of tasks) {
    task.onTimeout((_future, error) => console.log(`${task.name}: timeout (${error.name})`));
    task.onWallTimeLimitReached((_f, e) => console.log(`${task.name}: ${e.message}`));
    task.onCpuTimeLimitReached((_f, e) => console.log(`${task.name}: ${e.message}`));
    task.onMemoryLimitReached((_f, e) => console.log(`${task.name}: ${e.message}`));
  }
  ok.onResult((_future, total) => console.log(`sum: ${total}`));

  const exit = await scheduler.run({ onException: [[LimitError, "continue"]] });
  console.log(`exit: ${exit.code}`);
  console.log(String(scheduler));
}
