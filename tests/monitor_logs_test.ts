/**
 * The live log tail, against the event shapes the executors and flows emit:
 * task event `output` (future, text, stream) and flow event `job-output`
 * (job, text, stream). The events are driven here by hand.
 */
import assert from "node:assert/strict";
import { Event, Flow, type Future, job, type JobContext, monitor, Scheduler } from "../mod.ts";
import { SseReader } from "./monitor_helpers.ts";

const OUTPUT = new Event<[future: Future, text: string, stream: string]>("output");
const JOB_OUTPUT = new Event<[job: unknown, text: string, stream: string]>("job-output");

// deno-lint-ignore no-explicit-any
async function get(app: ReturnType<typeof monitor>, path: string): Promise<any> {
  const res = await app.request(path);
  assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
  return await res.json();
}

Deno.test("a future's output is tailed line by line, streams kept apart, partial lines joined", async () => {
  const scheduler = Scheduler.sequential();
  const app = monitor(scheduler);
  const gate = Promise.withResolvers<void>();
  const train = scheduler.task(async function train() {
    await gate.promise;
    return "ok";
  });
  let future!: Future;
  scheduler.onStart(() => {
    future = train.submit()!;
    train.emit(OUTPUT, future, "epoch 1\nepoch 2\nepo", "stdout");
    train.emit(OUTPUT, future, "warning: <b>slow</b>\n", "stderr");
    train.emit(OUTPUT, future, "ch 3\n", "stdout");
  });
  const run = scheduler.run();
  await new Promise((r) => setTimeout(r, 10));
  const page = await get(app, `/api/logs?future=${future.id}`);
  assert.deepEqual(page.lines.map((l: { stream: string; text: string }) => [l.stream, l.text]), [
    ["stdout", "epoch 1"],
    ["stdout", "epoch 2"],
    ["stdout", "epoch 3"],
    ["stderr", "warning: <b>slow</b>"],
  ]);
  assert.ok(page.lines.every((l: { open: boolean }) => !l.open));
  const seqs = page.lines.map((l: { seq: number }) => l.seq);
  // "epoch 3" is line 3: it began before the stderr line.
  assert.deepEqual(seqs, [1, 2, 3, 4]);
  const after = await get(app, `/api/logs?future=${future.id}&after=2`);
  assert.deepEqual(after.lines.map((l: { seq: number }) => l.seq), [3, 4]);
  // The detail says there is output, the event stream carries it too.
  assert.equal((await get(app, `/api/futures/${future.id}`)).hasOutput, true);
  const events = await (await app.request("/api/status")).json();
  assert.equal(events.schedulers[0].tasks[0].eventCounts.output, 3);
  gate.resolve();
  await run;
});

Deno.test("a megabyte log line is cut in the view and whole in the raw log", async () => {
  const scheduler = Scheduler.sequential();
  const app = monitor(scheduler);
  const t = scheduler.task(function t() {});
  const long = "y".repeat(2 * 1024 * 1024);
  scheduler.onStart(() => {
    const f = t.submit()!;
    t.emit(OUTPUT, f, `${long}\nshort\n`, "stdout");
  });
  await scheduler.run();
  const id = (await get(app, "/api/futures")).rows[0].id;
  const page = await get(app, `/api/logs?future=${id}`);
  assert.equal(page.lines[0].truncated, true);
  assert.equal(page.lines[0].text.length, 2000);
  assert.equal(page.lines[0].size, long.length);
  assert.equal(page.lines[1].text, "short");
  const raw = await app.request(`/api/logs/raw?future=${id}`);
  assert.equal(raw.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(await raw.text(), `${long}\nshort\n`);
  // The event stream carries the start of the chunk only (its ring never holds megabytes).
  const sse = new SseReader((await app.request("/api/events?after=0")).body!);
  const events = await sse.until((m) => m.some((e) => e.data.includes('"event":"output"')));
  await sse.cancel();
  const output = events.map((e) => JSON.parse(e.data)).find((e) => e.event === "output");
  assert.ok(output.detail.length < 400, `${output.detail.length} characters`);
});

Deno.test("the log tail is bounded: lines per future, and bytes in all (oldest first)", async () => {
  const scheduler = Scheduler.sequential();
  const byLines = monitor(scheduler, { logLines: 5 });
  const byBytes = monitor(scheduler, { logBytes: "64KB" });
  const t = scheduler.task(function t() {});
  const ids: number[] = [];
  scheduler.onStart(() => {
    const a = t.submit()!;
    ids.push(a.id);
    for (let i = 1; i <= 8; i++) t.emit(OUTPUT, a, `line ${i}\n`, "stdout");
    for (let k = 0; k < 3; k++) {
      const f = t.submit()!;
      ids.push(f.id);
      t.emit(OUTPUT, f, `${"z".repeat(12 * 1024)}\n`, "stdout");
    }
  });
  await scheduler.run();
  const first = await get(byLines, `/api/logs?future=${ids[0]}`);
  assert.deepEqual(
    first.lines.map((l: { text: string }) => l.text),
    [4, 5, 6, 7, 8].map((i) => `line ${i}`),
  );
  assert.equal(first.dropped, 3);
  // 3 × 24 KB (two bytes a character) is over 64 KB: the oldest output went first.
  const kept = await Promise.all(
    ids.map(async (id) => (await get(byBytes, `/api/logs?future=${id}`)).lines.length),
  );
  assert.deepEqual(kept, [0, 0, 1, 1]);
});

Deno.test("a job's output (flow event job-output) is tailed by job id", async () => {
  const flow = new Flow({ label: "f" });
  const gate = Promise.withResolvers<void>();
  const build = flow.add(job(async () => await gate.promise), { label: "build" });
  const app = monitor(flow);
  flow.onJobStarted((j) => {
    flow.emit(JOB_OUTPUT, j, "compiling <script>alert(1)</script>\n", "stdout");
    flow.emit(JOB_OUTPUT, j, "error: nope\n", "stderr");
  });
  const run = flow.run();
  await new Promise((r) => setTimeout(r, 10));
  const id = (await get(app, "/api/jobs")).rows[0].id;
  assert.equal(build.label, "build");
  const page = await get(app, `/api/logs?job=${id}`);
  assert.deepEqual(page.lines.map((l: { stream: string; text: string }) => [l.stream, l.text]), [
    ["stdout", "compiling <script>alert(1)</script>"],
    ["stderr", "error: nope"],
  ]);
  assert.equal((await get(app, `/api/jobs/${id}`)).hasOutput, true);
  gate.resolve();
  assert.equal(await run, true);
  assert.equal((await app.request("/api/logs")).status, 400);
  assert.equal((await app.request(`/api/logs?job=${id}&future=1`)).status, 400);
});

Deno.test("a job's output in a nested flow is tailed once (job-output goes up to every outer flow)", async () => {
  const outer = new Flow({ label: "outer" });
  const inner = outer.add(new Flow({ label: "inner" }));
  const gate = Promise.withResolvers<void>();
  const speak = inner.add(
    job(async function speak(this: JobContext) {
      this.output?.("hello\n");
      await gate.promise;
    }),
    { label: "speak" },
  );
  const app = monitor(outer);
  const run = outer.run();
  await new Promise((r) => setTimeout(r, 10));
  const row = (await get(app, "/api/jobs")).rows.find((r: { label: string }) =>
    r.label === speak.label
  );
  const page = await get(app, `/api/logs?job=${row.id}`);
  assert.deepEqual(page.lines.map((l: { stream: string; text: string }) => [l.stream, l.text]), [
    ["stdout", "hello"],
  ]);
  gate.resolve();
  assert.equal(await run, true);
});
