/**
 * The process pool against its raw ceiling, side by side in alternating
 * rounds (see `compareRounds`): a trivial task with 64 and with 1 call in
 * flight against 2 raw `deno run` children doing framed stdio ping-pong, and
 * a wall-time kill until the next call runs on the replacement against a raw
 * SIGKILL + respawn. An extra row drives the executor alone (no scheduler)
 * against the same reference, to tell the pool's cost from the scheduler's.
 *
 * Run: `deno run -A bench/processes.ts [rounds]`
 *
 * @module
 */

import { type Call, type ExecutorHost, ProcessExecutor, Scheduler } from "../mod.ts";
import { compareRounds, measure, type Measurement, ratioLine } from "./stats.ts";
import { rawKillRespawn, rawThroughput } from "./raw_processes.ts";
import { inc, stall } from "./fixtures/process_tasks.ts";

/** Tasks/s and submit→result latency with `inFlight` calls kept running. */
export async function batonThroughput(
  processes: number,
  inFlight: number,
  total: number,
): Promise<Measurement> {
  const scheduler = Scheduler.withProcesses(processes);
  const task = scheduler.task(inc);
  const submittedAt = new Map<number, number>();
  const latencies: number[] = [];
  let submitted = 0;
  let started = 0;
  let warm = 0;
  const submit = () => {
    submitted++;
    const future = task.submit(submitted)!;
    submittedAt.set(future.id, performance.now());
  };
  // A warm-up call per process starts them before the clock runs.
  scheduler.onStart(() => {
    for (let i = 0; i < processes; i++) task.submit(0);
  });
  task.onResult((future) => {
    const at = submittedAt.get(future.id);
    if (at === undefined) {
      if (++warm === processes) {
        started = performance.now();
        for (let i = 0; i < inFlight; i++) submit();
      }
      return;
    }
    latencies.push(performance.now() - at);
    if (submitted < total) submit();
  });
  await scheduler.run();
  return measure(latencies, performance.now() - started);
}

/**
 * The executor alone, driven through its host interface with no scheduler:
 * what the pool, transport and framing cost, apart from futures and events.
 */
export async function executorThroughput(
  processes: number,
  inFlight: number,
  total: number,
): Promise<Measurement> {
  const executor = new ProcessExecutor(processes);
  const sentAt = new Float64Array(total + processes + 1);
  const latencies: number[] = [];
  let id = 0;
  let warm = 0;
  let started = 0;
  const { promise, resolve } = Promise.withResolvers<void>();
  const submit = () => {
    const call: Call = { id: ++id, fn: inc as Call["fn"], args: [id], limits: {} };
    sentAt[id] = performance.now();
    executor.execute(call);
  };
  const host: ExecutorHost = {
    started() {},
    comm() {},
    rejected(_call, error) {
      throw error;
    },
    fulfilled(call) {
      if (call.id <= processes) {
        if (++warm < processes) return;
        started = performance.now();
        for (let i = 0; i < inFlight; i++) submit();
        return;
      }
      latencies.push(performance.now() - sentAt[call.id]);
      if (latencies.length === total) resolve();
      else if (id < total + processes) submit();
    },
  };
  executor.start(host);
  for (let i = 0; i < processes; i++) submit();
  await promise;
  const elapsed = performance.now() - started;
  await executor.shutdown(false);
  return measure(latencies, elapsed);
}

/** Ms from a wall-time deadline (the rejection) to the next call answering on the replacement. */
export async function batonKillReplace(rounds: number): Promise<Measurement> {
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
  const m = measure(costs, 1);
  return { ...m, perSecond: 1000 / m.p50 };
}

if (import.meta.main) {
  const rounds = Number(Deno.args[0] ?? 5);
  console.log(`processes: ${rounds} alternating rounds, ${navigator.hardwareConcurrency} cores`);
  const many = await compareRounds(
    rounds,
    () => rawThroughput(2, 64, 20_000),
    () => batonThroughput(2, 64, 20_000),
  );
  console.log(ratioLine("withProcesses(2), 64 in flight", many, "perSecond", "≥ 0.6"));
  const one = await compareRounds(
    rounds,
    () => rawThroughput(2, 1, 3_000),
    () => batonThroughput(2, 1, 3_000),
  );
  console.log(ratioLine("withProcesses(2), 1 in flight", one, "perSecond", "≥ 0.8"));
  const bare = await compareRounds(
    rounds,
    () => rawThroughput(2, 64, 20_000),
    () => executorThroughput(2, 64, 20_000),
  );
  console.log(ratioLine("(ProcessExecutor(2) alone, no scheduler, 64)", bare, "perSecond"));
  const kill = await compareRounds(
    rounds,
    () => rawKillRespawn(5),
    () => batonKillReplace(5),
    "p50",
  );
  console.log(ratioLine("wall-time kill → next call on replacement", kill, "p50", "≤ 1.3"));
}
