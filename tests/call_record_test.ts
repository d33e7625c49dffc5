/**
 * One record per call: the scheduler's in-flight record is the `Call` the
 * executor gets, and Web Workers carry plain calls and answers in their
 * compact form (`[id, fn, args]`, `[id, value]`). Futures must still settle
 * once and correctly under retries, cancellation, crashes, many calls in
 * flight, and calls that need the object form (comm, captured output).
 */

import assert from "node:assert/strict";
import { type Call, type Future, Retry, Scheduler, WorkerCrashedError } from "../mod.ts";
import { createRuntime } from "../workers/runtime.ts";
import type { FromWorker } from "../src/wire/messages.ts";

Deno.test("the runtime runs a compact call and answers in the compact form, or as err when it cannot", () => {
  const posted: FromWorker[] = [];
  const results: [number, unknown][] = [];
  const receive = createRuntime((message) => posted.push(message), {
    postResult: (id, value) => {
      if (typeof value === "function") throw new DOMException("no functions", "DataCloneError");
      results.push([id, value]);
    },
  });
  const add = { kind: "source", key: 1, name: "add", source: "(a, b) => a + b" } as const;
  receive({ t: "call", id: 1, fn: add, args: [1, 2] });
  receive([2, 1, [20, 22]]);
  return new Promise<void>((resolve) => setTimeout(resolve, 50)).then(() => {
    const fn = { kind: "source", key: 2, name: "f", source: "() => () => 1" } as const;
    receive([3, fn, []]);
    return new Promise<void>((resolve) => setTimeout(resolve, 50));
  }).then(() => {
    assert.deepEqual(results, [[1, 3], [2, 42]]);
    assert.equal(posted.length, 1);
    assert.equal(posted[0].t, "err");
    assert.equal((posted[0] as { id: number }).id, 3);
  });
});

Deno.test("many calls in flight on workers: each future gets its own result, once", async () => {
  const scheduler = Scheduler.withWorkers(2);
  const task = scheduler.task((x: number) => x * 2);
  const seen = new Map<number, number>();
  task.onResult((future, value) => {
    assert.ok(!seen.has(future.id), "settled once");
    seen.set(future.id, value);
  });
  const futures: Future<number>[] = [];
  scheduler.onStart(() => {
    for (let i = 0; i < 300; i++) futures.push(task.submit(i)!);
  });
  await scheduler.run();
  futures.forEach((future, i) => {
    assert.equal(future.status, "fulfilled");
    assert.equal(future.value, i * 2);
    assert.equal(seen.get(future.id), i * 2);
  });
});

Deno.test("a retried call is a fresh record with a fresh id; its future settles once", async () => {
  const ids: number[] = [];
  const scheduler = Scheduler.withWorkers(1);
  const flaky = scheduler.task(function flaky(key: string) {
    const g = globalThis as unknown as { tries?: Record<string, number> };
    const tries = (g.tries ??= {});
    tries[key] = (tries[key] ?? 0) + 1;
    if (tries[key] < 3) throw new Error(`${key} failed`);
    return key;
  }, { plugins: new Retry({ attempts: 3, delay: 1, jitter: false }) });
  const original = scheduler.executor.execute.bind(scheduler.executor);
  scheduler.executor.execute = (call: Call) => {
    ids.push(call.id);
    original(call);
  };
  let done = 0;
  flaky.onDone(() => done++);
  let future: Future<string> | undefined;
  scheduler.onStart(() => void (future = flaky.submit("a")));
  await scheduler.run();
  assert.equal(future?.value, "a");
  assert.equal(future?.attempts, 3);
  assert.equal(done, 1);
  assert.equal(ids.length, 3);
  assert.equal(ids[0], future?.id);
  assert.equal(new Set(ids).size, 3, "every attempt has its own id");
});

Deno.test("cancelling held and queued calls settles them cancelled; the rest still get their results", async () => {
  const scheduler = Scheduler.withWorkers(1, { prefetch: 4 });
  const slow = scheduler.task(async (x: number) => {
    await new Promise((r) => setTimeout(r, 20));
    return x;
  });
  const futures: Future<number>[] = [];
  scheduler.onStart(() => {
    for (let i = 0; i < 8; i++) futures.push(slow.submit(i)!);
    // One waiting in the worker, one still queued here.
    assert.equal(futures[2].cancel(), true);
    assert.equal(futures[6].cancel(), true);
  });
  await scheduler.run({ onCancelled: "continue" });
  futures.forEach((future, i) => {
    if (i === 2 || i === 6) assert.equal(future.status, "cancelled");
    else assert.equal(future.value, i);
  });
});

Deno.test("a worker that dies fails its own call only; the calls it held run elsewhere", async () => {
  const scheduler = Scheduler.withWorkers(1, { prefetch: 4 });
  const task = scheduler.task((x: number) => {
    if (x === 1) Deno.exit(3);
    return x;
  });
  const futures: Future<number>[] = [];
  scheduler.onStart(() => {
    for (let i = 0; i < 5; i++) futures.push(task.submit(i)!);
  });
  await scheduler.run({ onException: "continue" });
  assert.ok(futures[1].error instanceof WorkerCrashedError);
  for (const i of [0, 2, 3, 4]) assert.equal(futures[i].value, i);
});

Deno.test("calls that need the object form (captured output) and plain ones mix on one worker", async () => {
  const scheduler = Scheduler.withWorkers(1, { echo: false });
  const loud = scheduler.task((x: number) => {
    console.log(`x=${x}`);
    return x;
  });
  const quiet = scheduler.task((x: number) => x + 100);
  const lines: string[] = [];
  loud.onOutput((_future, text) => lines.push(text));
  const futures: Future<number>[] = [];
  scheduler.onStart(() => {
    for (let i = 0; i < 3; i++) futures.push(loud.submit(i)!, quiet.submit(i)!);
  });
  await scheduler.run();
  assert.deepEqual(futures.map((f) => f.value), [0, 100, 1, 101, 2, 102]);
  assert.deepEqual(lines, ["x=0\n", "x=1\n", "x=2\n"]);
});

Deno.test("eventCounts is a snapshot in the order of first emission", async () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task((x: number) => x);
  scheduler.onStart(() => void task.submit(1));
  const before = scheduler.eventCounts;
  await scheduler.run();
  assert.equal(before.size, 0, "a snapshot does not change afterwards");
  const counts = scheduler.eventCounts;
  assert.equal(counts.get("future-submitted"), 1);
  assert.equal(counts.get("future-result"), 1);
  assert.equal(scheduler.onFutureResult.count, 1);
  const order = [...counts.keys()];
  assert.ok(order.indexOf("start") < order.indexOf("future-submitted"));
  assert.ok(order.indexOf("future-submitted") < order.indexOf("future-done"));
});
