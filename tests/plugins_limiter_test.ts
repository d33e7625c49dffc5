import assert from "node:assert/strict";
import { CancelledError, type Future, Limiter, Scheduler } from "../mod.ts";
import { counts, eachExecutor } from "./helpers.ts";
import { maxOverlap, timed } from "./fixtures/timing.ts";

eachExecutor(
  "queue: true makes calls over maxConcurrent wait, not fail, and caps what runs",
  async (make) => {
    const scheduler = make();
    const task = scheduler.task(timed, { plugins: new Limiter({ maxConcurrent: 2, queue: true }) });
    const futures: Array<Future | undefined> = [];
    scheduler.onStart(() => {
      for (let i = 0; i < 6; i++) futures.push(task.submit(40));
    });
    const statuses: string[] = [];
    scheduler.onStart(() => statuses.push(...futures.map((f) => f!.status)));
    await scheduler.run();
    assert.equal(futures.filter((f) => f === undefined).length, 0);
    // The two let through may already run; the four over the limit wait, pending.
    assert.deepEqual(statuses.slice(2), Array(4).fill("pending"));
    assert.deepEqual(counts(task, ["submitted", "result", "concurrent-limit-reached"]), {
      submitted: 6,
      result: 6,
      "concurrent-limit-reached": 0,
    });
    const intervals = futures.map((f) => f!.value as [number, number]);
    assert.ok(maxOverlap(intervals) <= 2, `overlap ${maxOverlap(intervals)}`);
  },
);

eachExecutor("waiting calls start in submission order", async (make) => {
  const scheduler = make();
  const task = scheduler.task(timed, { plugins: new Limiter({ maxConcurrent: 1, queue: true }) });
  const futures: Future[] = [];
  const started: number[] = [];
  scheduler.onStart(() => {
    for (let i = 0; i < 5; i++) futures.push(task.submit(10 + i)!);
  });
  scheduler.onFutureDone((future) => started.push(futures.indexOf(future)));
  await scheduler.run();
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  const starts = futures.map((f) => (f.value as [number, number])[0]);
  assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
});

Deno.test("with queue: true, maxCalls and notWhileRunning still refuse, as in amltk", async () => {
  const scheduler = Scheduler.sequential();
  const other = scheduler.task(timed);
  const task = scheduler.task(timed, {
    plugins: new Limiter({ maxConcurrent: 1, maxCalls: 3, queue: true, notWhileRunning: other }),
  });
  const submitted: boolean[] = [];
  scheduler.onStart(() => {
    for (let i = 0; i < 4; i++) submitted.push(task.submit(5) !== undefined);
    other.submit(5);
    submitted.push(task.submit(5) !== undefined);
  });
  await scheduler.run();
  assert.deepEqual(submitted, [true, true, true, false, false]);
  assert.deepEqual(counts(task, ["call-limit-reached", "result"]), {
    "call-limit-reached": 2,
    result: 3,
  });
});

Deno.test("a cancelled waiting call never runs; the next one takes the slot", async () => {
  const scheduler = Scheduler.withWorkers(1);
  const task = scheduler.task(timed, { plugins: new Limiter({ maxConcurrent: 1, queue: true }) });
  const futures: Future[] = [];
  scheduler.onStart(() => {
    for (let i = 0; i < 3; i++) futures.push(task.submit(30)!);
    assert.ok(futures[1].cancel());
  });
  await scheduler.run({ onCancelled: "continue" });
  assert.deepEqual(futures.map((f) => f.status), ["fulfilled", "cancelled", "fulfilled"]);
  assert.ok(futures[1].error instanceof CancelledError);
  assert.equal(futures[1].attempts, 0);
});

Deno.test("stop() with calls waiting: they are cancelled when the run ends, and never run", async () => {
  const scheduler = Scheduler.sequential();
  const limiter = new Limiter({ maxConcurrent: 1, queue: true });
  const task = scheduler.task(timed, { plugins: limiter });
  scheduler.onStart(() => {
    for (let i = 0; i < 4; i++) task.submit(20);
  });
  task.onResult(() => scheduler.stop(), { maxCalls: 1 });
  const exit = await scheduler.run();
  assert.equal(exit.code, "stopped");
  assert.deepEqual(counts(task, ["result", "cancelled"]), { result: 1, cancelled: 3 });
  assert.equal(limiter.waiting, 0);
  assert.match(limiter.describe(), /Concurrent 0\/1, 0 waiting/);
  // The limiter's slots are free for the next run: its four calls all run.
  await scheduler.run();
  assert.deepEqual(counts(task, ["result", "cancelled"]), { result: 5, cancelled: 3 });
});

Deno.test("the rendering shows running and waiting calls", async () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task(timed, { plugins: new Limiter({ maxConcurrent: 1, queue: true }) });
  let during = "";
  scheduler.onStart(() => {
    for (let i = 0; i < 3; i++) task.submit(5);
    during = String(scheduler);
  });
  await scheduler.run();
  assert.match(during, /plugin limiter: Concurrent 1\/1, 2 waiting/);
});

Deno.test("queue needs maxConcurrent and a boolean", () => {
  assert.throws(() => new Limiter({ maxCalls: 2, queue: true }), /needs maxConcurrent/);
  assert.throws(
    () => new Limiter({ maxConcurrent: 2, queue: "yes" as never }),
    /queue must be true or false/,
  );
  assert.throws(() => new Limiter({ maxConcurrent: 2, wait: true } as never), /use queue: true/);
});
