/** The explorer's routes: futures and jobs, filters, paging, detail, failures, timeline, durations. */
import assert from "node:assert/strict";
import { Flow, job, monitor, Scheduler } from "../mod.ts";

// deno-lint-ignore no-explicit-any
async function get(app: ReturnType<typeof monitor>, path: string): Promise<any> {
  const res = await app.request(path);
  assert.equal(res.status, 200, `${path}: ${res.status} ${await res.clone().text()}`);
  return await res.json();
}

class DivergedError extends Error {
  code = "E_DIVERGED";
  constructor(lr: number, options?: ErrorOptions) {
    super(`diverged at lr=${lr}`, options);
    this.name = "DivergedError";
  }
}

/** Runs 10 trials on a sequential scheduler: every third fails, with a cause. */
async function searchRun() {
  const scheduler = Scheduler.sequential({ name: "search" });
  const app = monitor(scheduler);
  const trial = scheduler.task(function trial(config: { lr: number; i: number }): number {
    if (config.i % 3 === 2) {
      throw new DivergedError(config.lr, { cause: new RangeError("loss is NaN") });
    }
    return config.lr * 10;
  });
  const other = scheduler.task(function other(s: string) {
    return s.toUpperCase();
  });
  scheduler.onStart(() => {
    for (let i = 0; i < 10; i++) trial.submit({ lr: i / 100, i });
    other.submit("x");
  });
  await scheduler.run({ onException: "continue" });
  return { scheduler, app };
}

Deno.test("GET /api/futures lists every call newest first, with state, task, attempts, times and worker", async () => {
  const { app } = await searchRun();
  const page = await get(app, "/api/futures");
  assert.equal(page.total, 11);
  assert.equal(page.rows.length, 11);
  assert.deepEqual(page.states, { queued: 0, running: 0, done: 8, failed: 3, cancelled: 0 });
  assert.deepEqual(page.groups, { trial: 10, other: 1 });
  const ids = page.rows.map((r: { id: number }) => r.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), "newest first");
  const first = page.rows.at(-1);
  assert.equal(first.task, "trial");
  assert.equal(first.state, "done");
  assert.equal(first.attempts, 1);
  assert.equal(first.worker, "main");
  assert.equal(first.args, "{ lr: 0, i: 0 }");
  assert.equal(first.result, "0");
  assert.ok(first.submitted <= first.started && first.started <= first.ended);
  assert.ok(first.duration >= 0 && first.wait >= 0);
  const failed = page.rows.find((r: { state: string }) => r.state === "failed");
  assert.equal(
    failed.error,
    `DivergedError: diverged at lr=${/lr: ([\d.]+)/.exec(failed.args)![1]}`,
  );
});

Deno.test("GET /api/futures filters by state and task and pages on the server", async () => {
  const { app } = await searchRun();
  const failed = await get(app, "/api/futures?state=failed");
  assert.equal(failed.total, 3);
  assert.ok(failed.rows.every((r: { state: string }) => r.state === "failed"));
  // State counts ignore the state filter (they label the filter's chips); task counts follow it.
  assert.equal(failed.states.done, 8);
  assert.deepEqual(failed.groups, { trial: 3 });
  const both = await get(app, "/api/futures?state=failed,done&task=other");
  assert.equal(both.total, 1);
  assert.equal(both.rows[0].task, "other");
  const page2 = await get(app, "/api/futures?task=trial&order=oldest&offset=4&limit=3");
  assert.equal(page2.total, 10);
  assert.equal(page2.offset, 4);
  assert.deepEqual(page2.rows.map((r: { args: string }) => r.args), [
    "{ lr: 0.04, i: 4 }",
    "{ lr: 0.05, i: 5 }",
    "{ lr: 0.06, i: 6 }",
  ]);
  for (
    const bad of ["state=broken", "limit=0", "limit=5000", "offset=-1", "order=up", "scheduler=3"]
  ) {
    const res = await app.request(`/api/futures?${bad}`);
    assert.equal(res.status, 400, bad);
    const { error } = await res.json();
    assert.match(error, new RegExp(`bad ${bad.split("=")[0]} "${bad.split("=")[1]}": expected`));
  }
});

Deno.test("GET /api/futures/:id shows arguments, the error with its stack, fields and cause, and the whole text raw", async () => {
  const { app } = await searchRun();
  const failed = (await get(app, "/api/futures?state=failed&order=oldest")).rows[0];
  const detail = await get(app, `/api/futures/${failed.id}`);
  assert.equal(detail.state, "failed");
  assert.match(detail.argsText.text, /lr: 0\.02/);
  const e = detail.errorDetail;
  assert.equal(e.name, "DivergedError");
  assert.equal(e.message.text, "diverged at lr=0.02");
  assert.match(e.stack.text, /DivergedError: diverged at lr=0\.02\n\s+at Object\.trial/);
  assert.deepEqual(e.fields, { code: '"E_DIVERGED"' });
  assert.equal(e.cause.name, "RangeError");
  assert.equal(e.cause.message.text, "loss is NaN");
  const raw = await app.request(`/api/futures/${failed.id}/raw/error`);
  assert.equal(raw.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.match(raw.headers.get("content-security-policy")!, /sandbox/);
  const text = await raw.text();
  assert.match(text, /^DivergedError: diverged at lr=0\.02\n\s+at Object\.trial/);
  assert.match(text, /code: "E_DIVERGED"/);
  assert.match(text, /Caused by: RangeError: loss is NaN/);
  assert.equal((await app.request(`/api/futures/${failed.id}/raw/result`)).status, 404);
  assert.equal((await app.request("/api/futures/999999")).status, 404);
  assert.equal((await app.request("/api/futures/abc")).status, 400);
});

Deno.test("megabyte arguments and results are cut in the view, never in the data", async () => {
  const scheduler = Scheduler.sequential();
  const app = monitor(scheduler);
  const big = "x".repeat(3 * 1024 * 1024);
  const echo = scheduler.task((s: string) => s + "!");
  scheduler.onStart(() => echo.submit(big));
  await scheduler.run();
  const row = (await get(app, "/api/futures")).rows[0];
  assert.ok(row.args.length <= 120, "the list shows a brief");
  const detail = await get(app, `/api/futures/${row.id}`);
  assert.equal(detail.argsText.truncated, true);
  assert.equal(detail.argsText.text.length, 64 * 1024);
  assert.equal(detail.resultText.truncated, true);
  assert.equal(detail.resultText.size, big.length + 1);
  const result = await (await app.request(`/api/futures/${row.id}/raw/result`)).text();
  assert.equal(result.length, big.length + 1);
  assert.ok(result.endsWith("x!"));
  const args = await (await app.request(`/api/futures/${row.id}/raw/args`)).text();
  assert.ok(args.length > big.length, "the whole argument list, not abbreviated");
});

Deno.test("GET /api/jobs lists a flow's jobs with kind, state, times, result or error; GET /api/jobs/:id their detail", async () => {
  const scheduler = Scheduler.sequential();
  const square = scheduler.task((n: number) => n * n, { name: "square" });
  const flow = new Flow({ label: "pipe", critical: false });
  const a = flow.add(job(() => "fetched"), { label: "fetch" });
  const b = flow.add(job(square, 12), { label: "square", requires: a });
  flow.add(
    job(() => {
      throw new TypeError("bad <input>");
    }),
    { label: "broken", requires: b, critical: false },
  );
  const app = monitor(flow);
  assert.equal(await flow.run(), true);
  const page = await get(app, "/api/jobs");
  assert.equal(page.total, 3);
  assert.deepEqual(page.rows.map((r: { label: string }) => r.label), ["fetch", "square", "broken"]);
  assert.deepEqual(page.rows.map((r: { kind: string }) => r.kind), [
    "function",
    "task",
    "function",
  ]);
  assert.deepEqual(page.rows.map((r: { state: string }) => r.state), ["done", "done", "failed"]);
  assert.equal(page.rows[0].result, '"fetched"');
  assert.equal(page.rows[2].error, "TypeError: bad <input>");
  assert.ok(page.rows[1].started <= page.rows[1].ended);
  assert.deepEqual(page.rows[1].requirements, [page.rows[0].id]);
  // The task job is linked to the future it submitted, and that future to the job.
  const futures = await get(app, "/api/futures");
  assert.equal(page.rows[1].future, futures.rows[0].id);
  assert.equal(futures.rows[0].job, page.rows[1].id);
  const failed = await get(app, "/api/jobs?state=failed");
  assert.equal(failed.total, 1);
  const detail = await get(app, `/api/jobs/${page.rows[2].id}`);
  assert.equal(detail.errorDetail.name, "TypeError");
  assert.match(detail.errorDetail.stack.text, /TypeError: bad <input>/);
  const failures = await get(app, "/api/failures");
  assert.deepEqual(failures.map((f: { kind: string; name: string }) => [f.kind, f.name]), [
    ["job", "broken"],
  ]);
});

Deno.test("GET /api/failures lists the latest failed futures, newest first, even after the log let them go", async () => {
  const scheduler = Scheduler.sequential();
  const app = monitor(scheduler, { maxFutures: 10 });
  const t = scheduler.task(function t(i: number) {
    if (i % 25 === 0) throw new Error(`failure ${i}`);
    return i;
  });
  scheduler.onStart(() => {
    for (let i = 0; i < 200; i++) t.submit(i);
  });
  await scheduler.run({ onException: "continue" });
  const page = await get(app, "/api/futures");
  assert.ok(page.total >= 10 && page.total <= 40, `kept ${page.total}`);
  assert.equal(page.total + page.evicted, 200);
  assert.equal(page.rows[0].args, "199", "the newest are kept");
  const failures = await get(app, "/api/failures");
  assert.deepEqual(
    failures.map((f: { error: string }) => f.error),
    [175, 150, 125, 100, 75, 50, 25, 0].map((i) => `Error: failure ${i}`),
  );
  // An evicted failure still opens.
  const oldest = await get(app, `/api/futures/${failures.at(-1).id}`);
  assert.equal(oldest.errorDetail.message.text, "failure 0");
});

Deno.test("by default the explorer keeps the latest 1000 finished futures (maxFutures)", async () => {
  const scheduler = Scheduler.sequential();
  const app = monitor(scheduler);
  const t = scheduler.task(function t(i: number) {
    return i;
  });
  scheduler.onStart(() => {
    for (let i = 0; i < 3000; i++) t.submit(i);
  });
  await scheduler.run();
  const page = await get(app, "/api/futures");
  // Compaction runs with some slack, so between 1000 and 1000 + a quarter + 16 stay.
  assert.ok(page.total >= 1000 && page.total <= 1266, `kept ${page.total}`);
  assert.equal(page.total + page.evicted, 3000);
  assert.equal(page.rows[0].args, "2999", "the newest are kept");
});

Deno.test("GET /api/timeline puts each call on the worker that ran it, without overlaps", async () => {
  const scheduler = Scheduler.withWorkers(2, { name: "pool" });
  const app = monitor(scheduler);
  const nap = scheduler.task(async function nap(ms: number) {
    await new Promise((r) => setTimeout(r, ms));
    return ms;
  });
  scheduler.onStart(() => {
    for (let i = 0; i < 8; i++) nap.submit(20);
  });
  await scheduler.run();
  const timeline = await get(app, "/api/timeline");
  assert.deepEqual(timeline.lanes, ["worker-1", "worker-2"]);
  assert.equal(timeline.bars.length, 8);
  assert.equal(timeline.total, 8);
  for (let lane = 0; lane < 2; lane++) {
    const bars = timeline.bars.filter((b: { lane: number }) => b.lane === lane)
      .sort((x: { start: number }, y: { start: number }) => x.start - y.start);
    assert.ok(bars.length > 0, `lane ${lane} has calls`);
    for (let i = 1; i < bars.length; i++) {
      assert.ok(bars[i].start >= bars[i - 1].end - 1, "calls on one worker never overlap");
    }
  }
  assert.ok(
    timeline.bars.every((b: { state: string; task: string }) =>
      b.state === "done" && b.task === "nap"
    ),
  );
  assert.ok(timeline.from < timeline.to);
  const limited = await get(app, "/api/timeline?limit=3");
  assert.equal(limited.bars.length, 3);
  assert.equal(limited.total, 8);
  const none = await get(app, `/api/timeline?from=1&to=2`);
  assert.equal(none.bars.length, 0);
});

Deno.test("GET /api/durations gives percentiles and a histogram of run times, per task", async () => {
  const scheduler = Scheduler.sequential();
  const app = monitor(scheduler);
  const nap = scheduler.task(async function nap(ms: number) {
    await new Promise((r) => setTimeout(r, ms));
  });
  const quick = scheduler.task(function quick() {});
  scheduler.onStart(() => {
    for (const ms of [5, 5, 5, 30]) nap.submit(ms);
    quick.submit();
  });
  await scheduler.run();
  const all = await get(app, "/api/durations");
  assert.equal(all.count, 5);
  assert.deepEqual(all.tasks, ["nap", "quick"]);
  const naps = await get(app, "/api/durations?task=nap");
  assert.equal(naps.count, 4);
  assert.ok(naps.p50 >= 4, `p50 ${naps.p50}`);
  assert.ok(naps.max >= 29, `max ${naps.max}`);
  assert.equal(naps.buckets.reduce((n: number, b: { count: number }) => n + b.count, 0), 4);
  const les = naps.buckets.map((b: { le: number }) => b.le);
  assert.deepEqual(les.slice(0, 6), [1, 2, 5, 10, 20, 50]);
  assert.ok(les.at(-1) >= naps.max);
});

Deno.test("GET /api/futures merges the calls of several schedulers by id, or lists one's", async () => {
  const a = Scheduler.sequential({ name: "a" });
  const b = Scheduler.sequential({ name: "b" });
  const app = monitor([a, b]);
  const ta = a.task(async function ta(i: number) {
    await new Promise((r) => setTimeout(r, 1));
    return i;
  });
  const tb = b.task(async function tb(i: number) {
    await new Promise((r) => setTimeout(r, 1));
    return i;
  });
  let n = 0;
  const more = () => {
    if (n < 12) (n++ % 2 === 0 ? ta : tb).submit(n);
  };
  a.onStart(() => more());
  ta.onDone(() => more());
  tb.onDone(() => more());
  b.onStart(() => more());
  await Promise.all([
    a.run({ endOnEmpty: false, timeout: 400 }),
    b.run({ endOnEmpty: false, timeout: 400 }),
  ]);
  const all = await get(app, "/api/futures");
  assert.equal(all.total, 12);
  const ids = all.rows.map((r: { id: number }) => r.id);
  assert.deepEqual(ids, [...ids].sort((x, y) => y - x));
  assert.deepEqual(
    new Set(all.rows.map((r: { scheduler: number }) => r.scheduler)),
    new Set([0, 1]),
  );
  const oldest = await get(app, "/api/futures?order=oldest&limit=4&offset=2");
  assert.deepEqual(oldest.rows.map((r: { id: number }) => r.id), [...ids].reverse().slice(2, 6));
  const onlyB = await get(app, "/api/futures?scheduler=1");
  assert.ok(onlyB.rows.every((r: { task: string }) => r.task === "tb"));
  assert.equal(onlyB.total + (await get(app, "/api/futures?scheduler=0")).total, 12);
});
