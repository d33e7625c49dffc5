/**
 * The worker pool against its ceiling, side by side in one run: (a) a
 * hand-written ping-pong over two raw Web Workers, (b) `Scheduler.withWorkers(2)`
 * running the same trivial task through `task.submit` with a result callback
 * that resubmits, keeping the same number of calls in flight. The two run in
 * alternating rounds (`compareRounds`); the ratio is taken within each round.
 *
 * Targets (issue 13): 64 in flight, throughput ≥ 0.9× raw; 1 in flight, p99
 * submit→result ≤ 1.1× raw.
 *
 * Run: `deno run -A bench/workers.ts [calls per round] [rounds]`
 *
 * @module
 */

import { Scheduler } from "../mod.ts";
import { compareRounds, type Comparison, measure, type Measurement, ratioLine } from "./stats.ts";

function increment(x: number): number {
  return x + 1;
}

/**
 * (a) Raw Web Workers, `inFlight` messages outstanding at all times.
 *
 * @example
 * ```ts ignore
 * const m = await rawPingPong(64, 40_000);
 * ```
 */
export async function rawPingPong(inFlight: number, total: number): Promise<Measurement> {
  const url = new URL("./fixtures/echo_worker.ts", import.meta.url);
  const workers = [0, 1].map(() => new Worker(url, { type: "module" }));
  // Both workers are up before the clock starts, as the pool's are after its warm-up.
  await Promise.all(workers.map((worker) =>
    new Promise<void>((resolve) => {
      worker.onmessage = () => resolve();
      worker.postMessage({ id: -1, x: 0 });
    })
  ));
  const sentAt = new Float64Array(total);
  const latencies: number[] = [];
  let sent = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const send = (worker: Worker) => {
      sentAt[sent] = performance.now();
      worker.postMessage({ id: sent++, x: 1 });
    };
    for (const worker of workers) {
      worker.onmessage = (event) => {
        latencies.push(performance.now() - sentAt[event.data.id]);
        if (latencies.length === total) resolve();
        else if (sent < total) send(worker);
      };
    }
    for (let i = 0; i < inFlight; i++) send(workers[i % workers.length]);
  });
  const elapsed = performance.now() - started;
  workers.forEach((w) => w.terminate());
  return measure(latencies, elapsed);
}

/**
 * (b) The scheduler on two workers, `inFlight` calls outstanding at all times.
 *
 * @example
 * ```ts ignore
 * const m = await schedulerPingPong(64, 40_000);
 * ```
 */
export async function schedulerPingPong(inFlight: number, total: number): Promise<Measurement> {
  const scheduler = Scheduler.withWorkers(2);
  const task = scheduler.task(increment);
  // The same bookkeeping as the raw side: submit times in a typed array, by
  // position (future ids are consecutive), and 0 for calls that are not timed.
  const submittedAt = new Float64Array(total);
  const latencies: number[] = [];
  let submitted = 0;
  let started = 0;
  let base = 0;
  const submit = () => {
    const future = task.submit(1)!;
    if (submitted === 0) base = future.id;
    submittedAt[future.id - base] = performance.now();
    submitted++;
  };
  scheduler.onStart(async () => {
    // Both workers are up before the clock starts (a worker starts on its first call).
    await Promise.all([task.submit(0), task.submit(0)]);
    started = performance.now();
    for (let i = 0; i < inFlight; i++) submit();
  });
  task.onResult((future) => {
    const index = future.id - base;
    // The warm-up calls (before `base`) and any id outside this run are not timed.
    if (submitted === 0 || index < 0 || index >= total || submittedAt[index] === 0) return;
    latencies.push(performance.now() - submittedAt[index]);
    submittedAt[index] = 0;
    if (submitted < total) submit();
  });
  await scheduler.run();
  if (latencies.length !== total) {
    throw new Error(`timed ${latencies.length} of ${total} calls: future ids were not consecutive`);
  }
  return measure(latencies, performance.now() - started);
}

/**
 * The worker rows of issue 13, each side by side with raw workers.
 *
 * @example
 * ```ts ignore
 * for (const r of await workerRows(40_000, 7)) console.log(ratioLine(r.name, r.comparison, r.figure, r.target));
 * ```
 */
export async function workerRows(
  total: number,
  rounds: number,
): Promise<
  { name: string; comparison: Comparison; figure: "perSecond" | "p99"; target: string }[]
> {
  // Warm both up so JIT and worker start-up are not measured.
  for (const inFlight of [64, 1]) {
    await rawPingPong(inFlight, 2_000);
    await schedulerPingPong(inFlight, 2_000);
  }
  const many = await compareRounds(
    rounds,
    () => rawPingPong(64, total),
    () => schedulerPingPong(64, total),
  );
  const one = await compareRounds(
    rounds,
    () => rawPingPong(1, total / 4),
    () => schedulerPingPong(1, total / 4),
    "p99",
  );
  return [
    {
      name: "withWorkers(2), 64 in flight, calls/s",
      comparison: many,
      figure: "perSecond",
      target: "≥ 0.90",
    },
    {
      name: "withWorkers(2), 1 in flight, p99 submit→result",
      comparison: one,
      figure: "p99",
      target: "≤ 1.10",
    },
  ];
}

if (import.meta.main) {
  const total = Number(Deno.args[0] ?? 40_000);
  const rounds = Number(Deno.args[1] ?? 7);
  console.log(
    `Worker pool vs raw Web Workers (2 workers, ${total.toLocaleString()} calls per round at ` +
      `64 in flight, ${(total / 4).toLocaleString()} at 1, ${rounds} alternating rounds)`,
  );
  for (const { name, comparison, figure, target } of await workerRows(total, rounds)) {
    console.log(ratioLine(name, comparison, figure, target));
  }
}
