/**
 * Benchmarks of the process pool: throughput and latency of a trivial task
 * with 64 and with 1 call in flight (a result callback resubmits), and the
 * cost of a wall-time kill plus its replacement.
 *
 * Run: `deno run -A bench/processes.ts`
 *
 * @module
 */

import { remote, Scheduler } from "../mod.ts";

/** The trivial task. */
export const inc = remote(import.meta.url, function inc(n: number): number {
  return n + 1;
});

/** Sleeps past any deadline of the kill benchmark. */
export const stall = remote(import.meta.url, async function stall(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 60_000));
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Tasks/s and submit→result latency with `inFlight` calls kept running. */
async function throughput(processes: number, inFlight: number, total: number) {
  const scheduler = Scheduler.withProcesses(processes);
  const task = scheduler.task(inc);
  const submittedAt = new Map<number, number>();
  const latencies: number[] = [];
  let submitted = 0;
  let started = 0;
  const submit = () => {
    submitted++;
    const future = task.submit(submitted)!;
    submittedAt.set(future.id, performance.now());
  };
  // A warm-up call starts the processes before the clock runs.
  scheduler.onStart(() => {
    for (let i = 0; i < processes; i++) task.submit(0);
  });
  task.onResult((future) => {
    const at = submittedAt.get(future.id);
    if (at === undefined) {
      if (task.nRunning === 0) {
        started = performance.now();
        for (let i = 0; i < inFlight; i++) submit();
      }
      return;
    }
    latencies.push(performance.now() - at);
    if (submitted < total) submit();
  });
  await scheduler.run();
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: Math.round(latencies.length / seconds),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/** Ms from a wall-time deadline (the rejection) to a replacement process answering. */
async function killAndReplace(rounds: number): Promise<number[]> {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
  const slow = scheduler.task(stall, { limits: { wallTime: "100ms" } });
  const probe = scheduler.task(inc);
  const costs: number[] = [];
  let deadlineAt = 0;
  scheduler.onStart(() => probe.submit(0));
  probe.onResult(() => {
    if (deadlineAt) costs.push(performance.now() - deadlineAt);
    if (costs.length < rounds) slow.submit();
  });
  slow.onException(() => {
    deadlineAt = performance.now();
    probe.submit(0);
  });
  await scheduler.run({ onException: "continue" });
  return costs.sort((a, b) => a - b);
}

if (import.meta.main) {
  const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
  for (const inFlight of [64, 1]) {
    const r = await throughput(2, inFlight, inFlight === 1 ? 1000 : 5000);
    console.log(
      `processes(2), ${inFlight} in flight: ${r.perSecond} tasks/s, ` +
        `latency p50 ${fmt(r.p50)}, p99 ${fmt(r.p99)}`,
    );
  }
  const costs = await killAndReplace(10);
  console.log(
    `wall-time kill + replacement ready: median ${fmt(percentile(costs, 50))}, ` +
      `max ${fmt(costs.at(-1)!)} (${costs.length} rounds)`,
  );
}
