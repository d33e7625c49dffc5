/**
 * The worker pool against its ceiling, in one run: (a) a hand-written
 * ping-pong over two raw Web Workers, (b) `Scheduler.withWorkers(2)` running
 * the same trivial task through `task.submit` with a result callback that
 * resubmits, keeping the same number of calls in flight.
 *
 * @module
 */

import { Scheduler } from "../mod.ts";
import { measure, type Measurement, row } from "./stats.ts";

function increment(x: number): number {
  return x + 1;
}

/** (a) Raw Web Workers, `inFlight` messages outstanding at all times. */
export async function rawPingPong(inFlight: number, total: number): Promise<Measurement> {
  const url = new URL("./fixtures/echo_worker.ts", import.meta.url);
  const workers = [0, 1].map(() => new Worker(url, { type: "module" }));
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

/** (b) The scheduler on two workers, `inFlight` calls outstanding at all times. */
export async function schedulerPingPong(inFlight: number, total: number): Promise<Measurement> {
  const scheduler = Scheduler.withWorkers(2);
  const task = scheduler.task(increment);
  const submittedAt = new Map<number, number>();
  const latencies: number[] = [];
  let submitted = 0;
  const submit = () => {
    const future = task.submit(1)!;
    submittedAt.set(future.id, performance.now());
    submitted++;
  };
  scheduler.onStart(() => {
    for (let i = 0; i < inFlight; i++) submit();
  });
  task.onResult((future) => {
    latencies.push(performance.now() - submittedAt.get(future.id)!);
    submittedAt.delete(future.id);
    if (submitted < total) submit();
  });
  const started = performance.now();
  await scheduler.run();
  return measure(latencies, performance.now() - started);
}

if (import.meta.main) {
  const total = Number(Deno.args[0] ?? 100_000);
  console.log(`Worker pool vs raw Web Workers (2 workers, ${total.toLocaleString()} calls)`);
  for (const inFlight of [64, 1]) {
    // Warm both up so JIT and worker start-up are not measured.
    await rawPingPong(inFlight, 2_000);
    await schedulerPingPong(inFlight, 2_000);
    const raw = await rawPingPong(inFlight, total);
    const pool = await schedulerPingPong(inFlight, total);
    console.log(row(`(a) raw ping-pong, ${inFlight} in flight`, raw));
    console.log(
      row(
        `(b) Scheduler.withWorkers(2), ${inFlight} in flight`,
        pool,
        pool.perSecond / raw.perSecond,
      ),
    );
  }
}
