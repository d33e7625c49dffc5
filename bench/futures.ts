/**
 * Memory of queued futures: `Scheduler.withWorkers(2)` with both workers up
 * and busy, then 100k calls submitted through a task, and the resident
 * memory (and V8 heap) they hold while queued, per future, after a GC. Each
 * round runs in a fresh process; the best round is reported (the machine is
 * shared: the best is the least disturbed).
 *
 * Target (issue 13): ≤ 800 B RSS per queued future.
 *
 * Run: `deno run -A bench/futures.ts [futures] [rounds]`
 *
 * @module
 */

import { Scheduler } from "../mod.ts";
import { targetLine } from "./stats.ts";

function hold(ms: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
}

function rssBytes(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

/**
 * What `n` queued futures hold, per future.
 *
 * @example
 * ```ts ignore
 * const [{ rss, heap }] = await futureMemory(100_000, 1);
 * ```
 */
export interface FutureMemory {
  /** Resident memory per future, bytes. */
  rss: number;
  /** V8 heap per future, bytes. */
  heap: number;
}

async function measure(n: number): Promise<FutureMemory> {
  const scheduler = Scheduler.withWorkers(2);
  const task = scheduler.task(hold);
  let result: FutureMemory | undefined;
  scheduler.onStart(async () => {
    // Both workers up first: their start-up is not the futures' memory.
    await Promise.all([task.submit(1), task.submit(1)]);
    gc();
    const rss0 = rssBytes();
    const heap0 = Deno.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) task.submit(60_000);
    gc();
    result = {
      rss: (rssBytes() - rss0) / n,
      heap: (Deno.memoryUsage().heapUsed - heap0) / n,
    };
    scheduler.stop({ reason: "measured" });
  });
  await scheduler.run({ wait: false, onCancelled: "continue" });
  return result!;
}

/**
 * Runs `rounds` fresh processes of `n` futures each and returns what each measured.
 *
 * @example
 * ```ts ignore
 * const samples = await futureMemory(100_000, 3);
 * ```
 */
export async function futureMemory(n: number, rounds: number): Promise<FutureMemory[]> {
  const samples: FutureMemory[] = [];
  for (let round = 0; round < rounds; round++) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        new URL(import.meta.url).pathname,
        "--child",
        String(n),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`measuring ${n} queued futures failed`);
    samples.push(JSON.parse(new TextDecoder().decode(out.stdout)));
  }
  return samples;
}

if (import.meta.main) {
  if (Deno.args[0] === "--child") {
    console.log(JSON.stringify(await measure(Number(Deno.args[1]))));
    Deno.exit(0);
  }
  const n = Number(Deno.args[0] ?? 100_000);
  const rounds = Number(Deno.args[1] ?? 3);
  const samples = await futureMemory(n, rounds);
  const rss = samples.map((s) => s.rss).sort((a, b) => a - b);
  const heap = samples.map((s) => s.heap).sort((a, b) => a - b);
  console.log(
    `${n.toLocaleString("en-US")} queued futures (withWorkers(2), ${rounds} fresh processes): ` +
      `RSS ${rss.map((x) => x.toFixed(0)).join(", ")} B each, heap ${
        heap.map((x) => x.toFixed(0)).join(", ")
      } B each`,
  );
  console.log(
    targetLine(
      `${n / 1000}k queued futures, RSS each (best of ${rounds})`,
      `${rss[0].toFixed(0)} B (heap ${heap[0].toFixed(0)} B)`,
      "≤ 800 B",
      rss[0] <= 800,
    ),
  );
}
