/**
 * Adaptive prefetch: a worker holds its share of every call in flight, and
 * nothing it holds is lost or run twice when it dies, is killed at a
 * deadline, or a held call is cancelled. The pool is driven through a fake
 * transport (deterministic: the test answers each call), then the worker
 * executor end to end.
 */

import assert from "node:assert/strict";
import { Pool, type Transport, type TransportEvents } from "../src/executors/pool.ts";
import type { Call, ExecutorHost } from "../src/executors/executor.ts";
import type { ToWorker } from "../src/wire/messages.ts";
import type { ResolvedLimits } from "../src/executors/limits.ts";
import { WallTimeLimitError, WorkerCrashedError } from "../src/wire/errors.ts";
import { type Future, Scheduler } from "../mod.ts";

/** One fake worker: what it was sent, and a way to answer or die. */
interface FakeWorker {
  readonly n: number;
  readonly sent: ToWorker[];
  readonly events: TransportEvents;
  killed: boolean;
  /** Ids of the calls it was sent and has not answered, in order. */
  held(): number[];
  /** Answers its oldest call with `ok`. */
  answerNext(value?: unknown): number;
}

function fakePool(
  options: { size: number; prefetch: number; maxPrefetch?: number; onWallTime?: "kill" | "signal" },
) {
  const workers: FakeWorker[] = [];
  const reports: string[] = [];
  const pool = new Pool({
    size: options.size,
    prefetch: options.prefetch,
    maxPrefetch: options.maxPrefetch,
    label: "worker",
    onWallTime: options.onWallTime ?? "kill",
    keyOf: () => "",
    spawn: (_key, events) => {
      const sent: ToWorker[] = [];
      const answered = new Set<number>();
      const worker: FakeWorker = {
        n: workers.length + 1,
        sent,
        events,
        killed: false,
        held: () =>
          sent.filter((m) => m.t === "call").map((m) => (m as { id: number }).id)
            .filter((id) => !answered.has(id)),
        answerNext: (value = "ok") => {
          const id = worker.held()[0];
          answered.add(id);
          events.message({ t: "ok", id, value });
          return id;
        },
      };
      const transport: Transport = {
        post: (message) => {
          sent.push(message);
          // A fake worker hands back a call it was asked for, as the runtime does when it has
          // not started it; the pool forgets its own copy first.
          if (message.t === "cancel" || message.t === "steal") {
            const id = message.id;
            if (worker.held()[0] !== id && worker.held().includes(id)) {
              answered.add(id);
              queueMicrotask(() => events.message({ t: "dropped", id }));
            }
          }
        },
        kill: () => {
          worker.killed = true;
        },
      };
      workers.push(worker);
      queueMicrotask(() => events.ready());
      return transport;
    },
  });
  const host: ExecutorHost = {
    started: (call, worker) => reports.push(`started ${call.id} on ${worker}`),
    fulfilled: (call, value) => reports.push(`fulfilled ${call.id} ${value}`),
    rejected: (call, error) => reports.push(`rejected ${call.id} ${(error as Error).name}`),
    comm: () => {},
  };
  pool.start(host);
  return { pool, workers, reports };
}

function call(id: number, limits: ResolvedLimits = {}): Call {
  return { id, fn: function noop() {}, args: [], limits };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("with maxPrefetch, each worker holds its share of the calls in flight", async () => {
  const { pool, workers } = fakePool({ size: 2, prefetch: 2, maxPrefetch: 8 });
  for (let id = 1; id <= 10; id++) pool.execute(call(id));
  await tick();
  // 10 calls on 2 workers: 5 each, round-robin to the roomiest, each in submission order.
  assert.deepEqual(workers.map((w) => w.held()), [[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]]);
  assert.equal(pool.info("workers", {}).queued, 0);
  // Past maxPrefetch the rest waits here.
  for (let id = 11; id <= 30; id++) pool.execute(call(id));
  assert.deepEqual(workers.map((w) => w.held().length), [8, 8]);
  assert.equal(pool.info("workers", {}).queued, 14);
  // As the share falls the depth falls with it, never below prefetch.
  while (workers[0].held().length > 0 || workers[1].held().length > 0) {
    for (const w of workers) if (w.held().length > 0) w.answerNext();
  }
  assert.equal(pool.info("workers", {}).queued, 0);
  await pool.shutdown(false);
});

Deno.test("without maxPrefetch the depth stays fixed at prefetch", async () => {
  const { pool, workers } = fakePool({ size: 2, prefetch: 3 });
  for (let id = 1; id <= 20; id++) pool.execute(call(id));
  await tick();
  assert.deepEqual(workers.map((w) => w.held().length), [3, 3]);
  assert.equal(pool.info("workers", {}).queued, 14);
  await pool.shutdown(false);
});

Deno.test("a prefetched call whose worker dies is not lost: it runs once, on the replacement, in order", async () => {
  const { pool, workers, reports } = fakePool({ size: 1, prefetch: 1, maxPrefetch: 16 });
  for (let id = 1; id <= 6; id++) pool.execute(call(id));
  await tick();
  assert.deepEqual(workers[0].held(), [1, 2, 3, 4, 5, 6]);
  workers[0].answerNext(); // 1 answers; 2 starts
  workers[0].events.exit(new WorkerCrashedError("worker-1 crashed"));
  await tick();
  // The running call fails; those waiting behind it move to the replacement, in order.
  assert.equal(workers.length, 2);
  assert.deepEqual(workers[1].held(), [3, 4, 5, 6]);
  while (workers[1].held().length > 0) workers[1].answerNext();
  const settled = reports.filter((r) => !r.startsWith("started"));
  assert.deepEqual(settled, [
    "fulfilled 1 ok",
    "rejected 2 WorkerCrashedError",
    "fulfilled 3 ok",
    "fulfilled 4 ok",
    "fulfilled 5 ok",
    "fulfilled 6 ok",
  ]);
  await pool.shutdown(false);
});

Deno.test("a prefetched call behind one killed at its wall time is not lost", async () => {
  const { pool, workers, reports } = fakePool({ size: 1, prefetch: 1, maxPrefetch: 16 });
  pool.execute(call(1, { wallTime: 30 }));
  for (let id = 2; id <= 5; id++) pool.execute(call(id));
  await tick();
  assert.deepEqual(workers[0].held(), [1, 2, 3, 4, 5]);
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.ok(workers[0].killed, "the worker past its deadline is killed");
  assert.equal(workers.length, 2);
  assert.deepEqual(workers[1].held(), [2, 3, 4, 5]);
  // The killed worker's late answer, if any, is ignored.
  workers[0].events.message({ t: "ok", id: 2, value: "late" });
  while (workers[1].held().length > 0) workers[1].answerNext();
  const settled = reports.filter((r) => !r.startsWith("started"));
  assert.deepEqual(settled, [
    "rejected 1 WallTimeLimitError",
    "fulfilled 2 ok",
    "fulfilled 3 ok",
    "fulfilled 4 ok",
    "fulfilled 5 ok",
  ]);
  await pool.shutdown(false);
});

Deno.test("cancelling a prefetched call takes it back from its worker; the others go on", async () => {
  const { pool, workers, reports } = fakePool({ size: 1, prefetch: 1, maxPrefetch: 16 });
  for (let id = 1; id <= 5; id++) pool.execute(call(id));
  await tick();
  assert.equal(pool.cancel(3), true);
  const cancel = workers[0].sent.find((m) => m.t === "cancel");
  assert.deepEqual(cancel && { t: cancel.t, id: (cancel as { id: number }).id }, {
    t: "cancel",
    id: 3,
  });
  await tick(); // the worker's "dropped" arrives and is ignored
  while (workers[0].held().length > 0) workers[0].answerNext();
  assert.deepEqual(reports.filter((r) => !r.startsWith("started")), [
    "fulfilled 1 ok",
    "fulfilled 2 ok",
    "fulfilled 4 ok",
    "fulfilled 5 ok",
  ]);
  assert.equal(pool.cancel(3), false, "a cancelled call is forgotten");
  assert.equal(workers.length, 1, "cancelling a waiting call does not end its worker");
  await pool.shutdown(false);
});

Deno.test("an idle worker steals the prefetched calls behind a long one, the latest first", async () => {
  const { pool, workers, reports } = fakePool({ size: 2, prefetch: 1, maxPrefetch: 16 });
  for (let id = 1; id <= 8; id++) pool.execute(call(id));
  await tick();
  assert.deepEqual(workers.map((w) => w.held()), [[1, 3, 5, 7], [2, 4, 6, 8]]);
  // Worker 2 finishes everything while worker 1 is still on call 1.
  while (workers[1].held().length > 0) {
    workers[1].answerNext();
    await tick();
  }
  // Worker 2 took back worker 1's waiting calls one by one, and ran them.
  assert.deepEqual(workers[0].held(), [1]);
  workers[0].answerNext();
  const fulfilled = reports.filter((r) => r.startsWith("fulfilled")).map((r) => r.split(" ")[1]);
  assert.deepEqual(fulfilled.sort((a, b) => +a - +b), ["1", "2", "3", "4", "5", "6", "7", "8"]);
  assert.equal(new Set(fulfilled).size, 8, "no call ran twice");
  await pool.shutdown(false);
});

// End to end on Web Workers: the default prefetch adapts.

function exitNow(code: number): never {
  Deno.exit(code);
}

function crashSoon(): Promise<never> {
  return new Promise(() => {
    setTimeout(() => {
      throw new Error("escaped");
    }, 20);
  });
}

function increment(x: number): number {
  return x + 1;
}

async function ignoreSignal(ms: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return "late";
}

/** One worker, a first call that `first` makes fail, and 20 calls prefetched behind it. */
async function behind(first: (scheduler: Scheduler) => Future): Promise<{
  held: number;
  head: Future;
  rest: Future[];
}> {
  const scheduler = Scheduler.withWorkers(1);
  let held = 0;
  let head!: Future;
  const rest: Future[] = [];
  scheduler.onStart(() => {
    head = first(scheduler);
    for (let i = 0; i < 20; i++) rest.push(scheduler.submit(increment, i));
    held = scheduler.executor.info().workers[0].inFlight;
  });
  await scheduler.run({ onException: "continue" });
  return { held, head, rest };
}

Deno.test("workers: calls prefetched behind a Deno.exit() run on the replacement", async () => {
  const { held, head, rest } = await behind((s) => s.submit(exitNow, 3));
  assert.equal(held, 21, "all 21 calls were handed to the one worker at once");
  assert.ok(head.error instanceof WorkerCrashedError);
  assert.deepEqual(rest.map((f) => f.value), Array.from({ length: 20 }, (_, i) => i + 1));
});

Deno.test("workers: calls prefetched behind a crashing call run on the replacement", async () => {
  const { held, head, rest } = await behind((s) => s.submit(crashSoon));
  assert.equal(held, 21);
  assert.ok(head.error instanceof WorkerCrashedError, String(head.error));
  assert.deepEqual(rest.map((f) => f.value), Array.from({ length: 20 }, (_, i) => i + 1));
});

Deno.test("workers: calls prefetched behind one past its wall time still run", async () => {
  const { held, head, rest } = await behind((s) =>
    s.task(ignoreSignal, { limits: { wallTime: "30ms" } }).submit(120)!
  );
  assert.equal(held, 21);
  assert.ok(head.error instanceof WallTimeLimitError, String(head.error));
  assert.deepEqual(rest.map((f) => f.value), Array.from({ length: 20 }, (_, i) => i + 1));
});

Deno.test("workers: cancelling prefetched calls leaves the others to finish", async () => {
  const scheduler = Scheduler.withWorkers(1);
  const futures: Future[] = [];
  const cancelled: number[] = [];
  scheduler.onFutureCancelled((f) => cancelled.push(f.id));
  scheduler.onStart(() => {
    futures.push(scheduler.submit(ignoreSignal, 50));
    for (let i = 0; i < 10; i++) futures.push(scheduler.submit(increment, i));
    assert.equal(scheduler.executor.info().workers[0].inFlight, 11);
    for (let i = 2; i <= 10; i += 2) assert.equal(futures[i].cancel(), true);
  });
  await scheduler.run({ onCancelled: "continue" });
  assert.equal(futures[0].value, "late");
  const expected = futures.slice(1).map((_f, i) => (i % 2 === 1 ? "cancelled" : "fulfilled"));
  assert.deepEqual(futures.slice(1).map((f) => f.status), expected);
  assert.deepEqual(futures.filter((f) => f.status === "fulfilled").slice(1).map((f) => f.value), [
    1,
    3,
    5,
    7,
    9,
  ]);
  assert.equal(cancelled.length, 5);
});

Deno.test("workers: an explicit prefetch is kept fixed", async () => {
  const scheduler = Scheduler.withWorkers(1, { prefetch: 2 });
  let held = 0;
  scheduler.onStart(() => {
    for (let i = 0; i < 10; i++) scheduler.submit(increment, i);
    held = scheduler.executor.info().workers[0].inFlight;
  });
  await scheduler.run();
  assert.equal(held, 2);
});

Deno.test("a worker gets each function's source once, whatever the order of calls", async () => {
  const { pool, workers } = fakePool({ size: 1, prefetch: 8 });
  const a = function a() {};
  const b = function b() {};
  const order = [a, a, b, a, b, b, a];
  order.forEach((fn, i) => pool.execute({ id: i + 1, fn, args: [], limits: {} }));
  await tick();
  const calls = workers[0].sent.filter((m) => m.t === "call") as { id: number; fn: unknown }[];
  assert.deepEqual(calls.map((m) => m.id), [1, 2, 3, 4, 5, 6, 7]);
  // The first call of each function carries its source; every later one only its key.
  const sources = calls.map((m) => typeof m.fn !== "number");
  assert.deepEqual(sources, [true, false, true, false, false, false, false]);
  const keys = calls.map((m) => typeof m.fn === "number" ? m.fn : (m.fn as { key: number }).key);
  assert.deepEqual(keys.map((k) => k === keys[0]), order.map((fn) => fn === a));
  while (workers[0].held().length > 0) workers[0].answerNext();
  await pool.shutdown(false);
});
