import assert from "node:assert/strict";
import { Flow, type Job, job, JobCancelledError, Sequence, TimeoutError } from "../mod.ts";
import { boom, sleep, tick, timed } from "./flow_helpers.ts";

Deno.test("an empty flow runs and returns true", async () => {
  const flow = new Flow();
  assert.equal(await flow.run(), true);
  assert.equal(flow.why(), "FINE");
  assert.equal(flow.stats(), "0 done + 0 running + 0 idle = 0 jobs");
});

Deno.test("a 7-job DAG runs every job after its requirements", async () => {
  const order: string[] = [];
  const step = (name: string, ms: number) =>
    job(async function (this: { signal: AbortSignal }) {
      await sleep.call(this, ms);
      order.push(name);
      return name;
    });
  const [a1, a2, a3, a4, a5, a6, a7] = [10, 20, 30, 10, 20, 10, 10].map((ms, i) =>
    step(`a${i + 1}`, ms)
  );
  a4.requires(a1, a2, a3);
  a5.requires(a4);
  a6.requires(a4);
  a7.requires(a5, a6);
  const flow = new Flow(a1, a2, a3, a4, a5, a6, a7);
  assert.equal(flow.checkCycles(), true);
  assert.equal(await flow.run(), true);
  assert.deepEqual(order.slice(0, 3), ["a1", "a2", "a3"]);
  assert.equal(order[3], "a4");
  assert.deepEqual(new Set(order.slice(4, 6)), new Set(["a5", "a6"]));
  assert.equal(order[6], "a7");
  for (const j of [a1, a2, a3, a4, a5, a6, a7]) {
    assert.equal(j.isDone(), true);
    assert.equal(j.error, undefined);
  }
  assert.equal(a7.result, "a7");
  assert.equal(flow.stats(), "7 done + 0 running + 0 idle = 7 jobs");
});

Deno.test("forever jobs are cancelled once the others are done", async () => {
  const ticks = { n: 0 };
  const finite = job(sleep, 120);
  const forever = job(tick, 20, ticks);
  const flow = new Flow(finite, { label: "f" });
  flow.add(forever, { forever: true, label: "ticker" });
  const cancelled: Job[] = [];
  flow.onJobCancelled((j) => cancelled.push(j));
  assert.equal(await flow.run(), true);
  assert.equal(finite.isDone(), true);
  assert.equal(forever.isDone(), false);
  assert.equal(forever.cancelled, true);
  assert.deepEqual(cancelled, [forever]);
  assert.ok(ticks.n >= 2, `ticked ${ticks.n} times`);
  assert.equal(flow.stats(), "1 done + 1 cancelled + 0 running + 0 idle = 2 jobs");
});

Deno.test("example D: a flow of forever jobs only runs until its timeout, then is not ok", async () => {
  const ticks = { n: 0 };
  const flow = new Flow({ timeout: 250, critical: false });
  const forever = flow.add(job(tick, 20, ticks), { forever: true });
  const [ok, ms] = await timed(() => flow.run());
  assert.equal(ok, false);
  assert.ok(ms >= 240, `took ${ms}ms`);
  assert.equal(flow.failedTimeOut(), true);
  assert.equal(flow.why(), "TIMED OUT after 250ms");
  assert.equal(forever.cancelled, true);
  assert.ok(ticks.n >= 3, `ticked ${ticks.n} times`);
  // Critical (the default): the timeout is the error.
  const critical = new Flow({ timeout: 30 });
  critical.add(job(tick, 10, { n: 0 }), { forever: true });
  await assert.rejects(critical.run(), TimeoutError);
});

Deno.test("with forever jobs only, the run ends (fine) when one of them does", async () => {
  const ticks = { n: 0 };
  const flow = new Flow({ timeout: 5000 });
  const loop = flow.add(job(tick, 10, ticks), { forever: true });
  const short = flow.add(job(sleep, 30), { forever: true });
  assert.equal(await flow.run(), true);
  assert.equal(short.isDone(), true);
  assert.equal(loop.cancelled, true);
});

Deno.test("timeout: finished results are kept, unfinished jobs are not done", async () => {
  const a1 = job(sleep, 20), a2 = job(sleep, 60), a3 = job(sleep, 5000);
  const flow = new Flow(a1, a2, a3, { timeout: "300ms", critical: false });
  const [ok, ms] = await timed(() => flow.run());
  assert.equal(ok, false);
  assert.ok(ms >= 250 && ms < 2000, `took ${ms}ms`);
  assert.equal(a1.isDone(), true);
  assert.equal(a1.result, 20);
  assert.equal(a2.result, 60);
  assert.equal(a3.isDone(), false);
  assert.equal(a3.cancelled, true);
  assert.equal(a3.result, undefined);
  assert.equal(flow.why(), "TIMED OUT after 300ms");
  assert.ok(flow.failure instanceof TimeoutError);
});

Deno.test("timeout: a critical flow rejects with a TimeoutError", async () => {
  const a1 = job(sleep, 20), a2 = job(sleep, 5000);
  a2.requires(a1);
  const flow = new Flow(a1, a2, { label: "main", timeout: 150 });
  await assert.rejects(flow.run(), (error: unknown) => {
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.timeout, 150);
    assert.match(error.message, /flow "main" TIMED OUT after 150ms/);
    return true;
  });
  assert.equal(a1.result, 20);
  assert.equal(a2.isDone(), false);
  assert.equal(a2.state, "running");
  assert.ok(flow.failed);
});

Deno.test("a non-critical failure does not stop its successors", async () => {
  const begin = job(sleep, 10), fail = job(boom, 10, "non critical boom"), end = job(sleep, 10);
  const flow = new Flow(Sequence(begin, fail, end));
  fail.critical = false;
  assert.equal(await flow.run(), true);
  assert.equal(end.result, 10);
  assert.equal(fail.failed, true);
  assert.equal((fail.error as Error).message, "non critical boom");
  assert.equal(flow.why(), "FINE");
});

Deno.test("a critical failure cancels running jobs and skips the rest", async () => {
  const slow = job(sleep, 5000);
  const begin = job(sleep, 10), fail = job(boom, 20, "critical boom"), end = job(sleep, 10);
  const flow = new Flow(Sequence(begin, fail, end), slow, { critical: false });
  const failed: Job[] = [];
  flow.onJobFailed((j) => failed.push(j));
  const [ok, ms] = await timed(() => flow.run());
  assert.equal(ok, false);
  assert.ok(ms < 2000, `took ${ms}ms`);
  assert.deepEqual(failed, [fail]);
  assert.equal(end.state, "idle");
  assert.equal(slow.cancelled, true);
  assert.equal(flow.why(), "a CRITICAL job has raised an exception");
  assert.ok(flow.failure instanceof Error);
});

Deno.test("a critical flow rejects with the critical job's error", async () => {
  const flow = new Flow(job(boom, 5, "kaboom"));
  await assert.rejects(flow.run(), /kaboom/);
});

Deno.test("a cancelled job's signal carries a JobCancelledError", async () => {
  let reason: unknown;
  const flow = new Flow({ timeout: 50, critical: false });
  flow.add(
    job(function (this: { signal: AbortSignal }) {
      return new Promise<void>((resolve) => {
        this.signal.addEventListener("abort", () => {
          reason = this.signal.reason;
          resolve();
        });
      });
    }),
    { label: "waiter" },
  );
  assert.equal(await flow.run(), false);
  assert.ok(reason instanceof JobCancelledError);
  assert.match((reason as Error).message, /job "waiter" was cancelled: TIMED OUT after 50ms/);
});

Deno.test("sequences chain requirements", async () => {
  const [a1, a2, a3, a4, a5, a6] = [1, 2, 3, 4, 5, 6].map((i) => job(sleep, 5, i));
  const s1 = Sequence(a1, a2);
  const s2 = Sequence(a3, a4).requires(s1);
  const s3 = Sequence(a5, a6).requires(s2);
  const flow = new Flow(s1, s2, s3);
  for (const j of [a2, a3, a4, a5, a6]) assert.equal(j.requirements.size, 1);
  assert.equal(a1.requirements.size, 0);
  assert.deepEqual([...a3.requirements], [a2]);
  assert.deepEqual(flow.topologicalOrder(), [a1, a2, a3, a4, a5, a6]);
  assert.equal(await flow.run(), true);
  const nested = Sequence(Sequence(job(sleep, 1), job(sleep, 1)), Sequence(job(sleep, 1)));
  assert.equal(nested.jobs.length, 3);
  assert.deepEqual([...nested.jobs[2].requirements], [nested.jobs[1]]);
});

Deno.test("requirements accept jobs, sequences and nested lists", () => {
  const [a1, a2, a3, a4, a5] = [1, 2, 3, 4, 5].map((i) => job(sleep, 1, i));
  const b = job(sleep, 1);
  b.requires([a1, [a2], new Set([a3, a4]), [[[[a5]]]]]);
  assert.equal(b.requirements.size, 5);
  const seq = Sequence(job(sleep, 1), job(sleep, 1));
  const c = job(sleep, 1).requires(seq);
  assert.deepEqual([...c.requirements], [seq.last]);
  assert.throws(() => c.requires(42 as never), /A requirement must be a job.*got 42/);
  // As in asynciojobs: a job never requires itself, and null/undefined are skipped.
  c.requires(c, null, undefined, [null, [undefined]]);
  assert.deepEqual([...c.requirements], [seq.last]);
});

Deno.test("window: 15 jobs of 100ms take ≈500ms with a window of 3, ≈100ms without", async () => {
  const windowed = new Flow({ window: 3 });
  for (let i = 0; i < 15; i++) windowed.add(job(sleep, 100));
  let maxRunning = 0, running = 0;
  windowed.onJobStarted(() => maxRunning = Math.max(maxRunning, ++running));
  windowed.onJobDone(() => running--);
  const [ok, ms] = await timed(() => windowed.run());
  assert.equal(ok, true);
  assert.equal(maxRunning, 3);
  assert.ok(ms >= 450 && ms < 1500, `window 3 took ${ms}ms`);

  const open = new Flow();
  for (let i = 0; i < 15; i++) open.add(job(sleep, 100));
  const [ok2, ms2] = await timed(() => open.run());
  assert.equal(ok2, true);
  assert.ok(ms2 >= 95 && ms2 < 450, `no window took ${ms2}ms`);
});

Deno.test("window: slots are released when jobs throw", async () => {
  const flow = new Flow({ window: 2, critical: false });
  const jobs = [];
  for (let i = 0; i < 6; i++) {
    jobs.push(flow.add(job(boom, 5, `boom ${i}`), { critical: false }));
  }
  // A synchronous throw must release its slot too.
  const sync = flow.add(
    job(() => {
      throw new Error("sync");
    }),
    { critical: false },
  );
  const last = flow.add(job(sleep, 5, "last"));
  const [ok, ms] = await timed(() => flow.run());
  assert.equal(ok, true);
  assert.ok(ms < 1500);
  assert.ok(jobs.every((j) => j.failed));
  assert.equal((sync.error as Error).message, "sync");
  assert.equal(last.result, "last");
});

Deno.test("window: forever jobs do not hold a slot", async () => {
  const ticks = { n: 0 };
  const flow = new Flow({ window: 1 });
  flow.add(job(tick, 10, ticks), { forever: true });
  const a = flow.add(job(sleep, 20)), b = flow.add(job(sleep, 20));
  assert.equal(await flow.run(), true);
  assert.equal(a.isDone() && b.isDone(), true);
});

Deno.test("events: one scheduled, started and done per job, then flow-done", async () => {
  const a = job(sleep, 5), b = job(sleep, 5);
  b.requires(a);
  const flow = new Flow(a, b);
  const seen: string[] = [];
  flow.onJobScheduled((j) => seen.push(`scheduled ${j === a ? "a" : "b"}`));
  flow.onJobStarted((j) => seen.push(`started ${j === a ? "a" : "b"}`));
  flow.onJobDone((j, r) => seen.push(`done ${j === a ? "a" : "b"} ${r}`));
  flow.onFlowDone((ok, why) => seen.push(`flow ${ok} ${why}`));
  await flow.run();
  assert.deepEqual(seen, [
    "scheduled a",
    "started a",
    "done a 5",
    "scheduled b",
    "started b",
    "done b 5",
    "flow true FINE",
  ]);
  assert.equal(flow.eventCounts.get("job-done"), 2);
  flow.on("job-failed", () => {}); // declared, so usable by name
});

Deno.test("a throwing flow callback ends the run", async () => {
  const slow = job(sleep, 5000);
  const flow = new Flow(job(sleep, 5), slow);
  flow.onJobDone(() => {
    throw new Error("bad callback");
  });
  await assert.rejects(flow.run(), /bad callback/);
  assert.equal(flow.why(), "a flow callback has raised an exception");
  assert.equal(slow.cancelled, true);
});

Deno.test("stop() ends a running flow with false", async () => {
  const slow = job(sleep, 5000);
  const flow = new Flow(slow);
  flow.onJobStarted(() => queueMicrotask(() => flow.stop("enough")));
  assert.equal(await flow.run(), false);
  assert.equal(flow.why(), "STOPPED: enough");
  assert.equal(slow.cancelled, true);
});

Deno.test("a job belongs to one flow and runs once", async () => {
  const a = job(sleep, 1);
  const flow = new Flow(a, { label: "one" });
  assert.throws(
    () => new Flow(a, { label: "two" }),
    /job "sleep\(1\)" already belongs to flow "one"/,
  );
  flow.add(a); // adding again to the same flow is harmless
  assert.equal(flow.jobs.length, 1);
  await flow.run();
  await assert.rejects(flow.run(), /has already run/);
  assert.throws(() => flow.add(job(sleep, 1)), /has already run/);
  assert.throws(() => flow.add(flow), /already run|cannot contain itself/);
});

Deno.test("bad options name the value and what is accepted", () => {
  assert.throws(() => new Flow({ window: -1 }), /window must be a non-negative integer.*-1/);
  assert.throws(() => new Flow({ timeout: "soon" }), /Invalid duration: "soon"/);
  assert.throws(
    () => new Flow({ windw: 2 } as never),
    /Unknown option "windw" in new Flow\(\) options \(did you mean "window"\?\); accepted: label, window/,
  );
  assert.throws(
    () => new Flow({ jobs_window: 2 } as never),
    /Unknown option "jobs_window" in new Flow\(\) options: asynciojobs' jobs_window is "window" here/,
  );
  assert.throws(
    () => new Flow().add(job(sleep, 1), { crit: true } as never),
    /Unknown option "crit" in job options; accepted: label, requires, critical, forever/,
  );
  assert.throws(
    () => new Flow().add(job(sleep, 1), { required: [] } as never),
    /Unknown option "required" in job options \(did you mean "requires"\?\)/,
  );
  assert.throws(() => job(42 as never), /job\(\) needs a function or a Task, got 42/);
  assert.throws(
    () => new Flow().add(job(sleep, 1), { critical: "yes" as never }),
    /critical must be true or false, got "yes"/,
  );
});

Deno.test("labels default to the function's name and arguments", () => {
  assert.equal(job(sleep, 100, "x").label, 'sleep(100, "x")');
  assert.equal(new Flow().add(job(sleep, 1), { label: "nap" }).label, "nap");
  const j = job(sleep, 1);
  assert.equal(j.label, "sleep(1)");
  assert.equal(j.name, "sleep(1)"); // the emitter's name follows the label
  j.label = "renamed";
  assert.equal(j.name, "renamed");
});
