/**
 * Function jobs that return (or throw) synchronously: the flow settles them
 * without a promise each, one microtask after they ran, exactly as it
 * settles jobs that return a promise.
 */

import assert from "node:assert/strict";
import { Flow, type Job, job, ThrownValueError } from "../mod.ts";

Deno.test("a synchronous job's result, error and events are those of an async one", async () => {
  const events: string[] = [];
  const flow = new Flow({ critical: false });
  const one = flow.add(job(() => 1), { label: "one" });
  const two = flow.add(job((x: number) => x + 1, 1), { label: "two", requires: one });
  const bad = flow.add(
    job(() => {
      throw new Error("sync boom");
    }),
    { label: "bad", critical: false, requires: two },
  );
  const odd = flow.add(
    job(() => {
      throw 7;
    }),
    { label: "odd", critical: false },
  );
  const after = flow.add(job(() => "after"), { label: "after", requires: bad });
  flow.onJobStarted((j) => events.push(`started ${j.label}`));
  flow.onJobDone((j, r) => events.push(`done ${j.label} ${r}`));
  flow.onJobFailed((j, e) => events.push(`failed ${j.label} ${e.message}`));
  const running = flow.run();
  // Nothing settles before run() has returned: as with a resolved promise, a microtask later.
  assert.equal(one.state, "running");
  assert.equal(one.isDone(), false);
  assert.equal(await running, true);
  assert.equal(two.result, 2);
  assert.equal(bad.error?.message, "sync boom");
  assert.ok(odd.error instanceof ThrownValueError);
  assert.equal((odd.error as ThrownValueError).value, 7);
  assert.equal(after.result, "after");
  assert.ok(one.duration! >= 0);
  assert.deepEqual(events, [
    "started one",
    "started odd",
    "done one 1",
    "started two",
    `failed odd ${odd.error!.message}`,
    "done two 2",
    "started bad",
    "failed bad sync boom",
    "started after",
    "done after after",
  ]);
});

Deno.test("a long chain of synchronous jobs runs without deep recursion", async () => {
  const flow = new Flow();
  const n = 20_000;
  let previous: Job | undefined;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const next = flow.add(job(() => ++count));
    if (previous) next.requires(previous);
    previous = next;
  }
  assert.equal(await flow.run(), true);
  assert.equal(count, n);
  assert.equal(previous!.result, n);
});

Deno.test("a critical synchronous failure fails the flow and starts nothing more", async () => {
  const flow = new Flow();
  const bad = flow.add(job(() => {
    throw new Error("critical sync");
  }));
  const later = flow.add(job(() => 1), { requires: bad });
  await assert.rejects(flow.run(), /critical sync/);
  assert.equal(flow.failedCritical(), true);
  assert.equal(later.state, "idle");
});

Deno.test("a job returning an object or a thenable still takes the promise path", async () => {
  const thenable = { then: (resolve: (v: number) => void) => resolve(5) };
  const flow = new Flow();
  const a = flow.add(job(() => thenable));
  const b = flow.add(job(() => ({ x: 1 })));
  const c = flow.add(job(() => null));
  const d = flow.add(job(() => undefined));
  assert.equal(await flow.run(), true);
  assert.equal(a.result, 5);
  assert.deepEqual(b.result, { x: 1 });
  assert.equal(c.result, null);
  assert.equal(d.result, undefined);
});

Deno.test("with a window, synchronous jobs still run at most window at a time", async () => {
  const flow = new Flow({ window: 2 });
  let runningNow = 0, most = 0;
  flow.onJobStarted(() => {
    runningNow++;
    most = Math.max(most, runningNow);
  });
  flow.onJobDone(() => runningNow--);
  for (let i = 0; i < 10; i++) flow.add(job(() => i));
  assert.equal(await flow.run(), true);
  assert.equal(most, 2);
});

Deno.test("job times live in the flow's run: durations before, during and after it", async () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const flow = new Flow();
  const first = flow.add(job(async () => await sleep(5)));
  const second = flow.add(job(() => 2), { requires: first });
  // A cycle check while the run goes renumbers nothing the run relies on.
  flow.onJobStarted(() => assert.equal(flow.checkCycles(), true));
  const inner = new Flow({ label: "inner" });
  const deep = inner.add(job(() => 3));
  flow.add(inner, { requires: second });
  assert.equal(first.duration, undefined);
  assert.equal(flow.duration, undefined);
  assert.equal(await flow.run(), true);
  assert.ok(first.duration! >= 4, `first ran ${first.duration} ms`);
  for (const j of [second, inner, deep, flow]) {
    assert.equal(typeof j.duration, "number");
    assert.ok(j.duration! >= 0);
  }
  // Ended: the durations stay put.
  const before = first.duration;
  await sleep(2);
  assert.equal(first.duration, before);
  assert.ok(flow.duration! >= first.duration!);
  assert.equal(second.result, 2);
  assert.equal(deep.result, 3);
});
