import assert from "node:assert/strict";
import { Flow, job, monitor, type MonitorEvent, Scheduler } from "../mod.ts";
import { SseReader } from "./monitor_helpers.ts";

function collatz(n: number): number {
  return n % 2 === 0 ? n / 2 : 3 * n + 1;
}

/** A collatz chain from 6 (8 calls), its task made after the monitor attached. */
function chain(scheduler: Scheduler): void {
  const task = scheduler.task(collatz);
  scheduler.onStart(() => task.submit(6));
  task.onResult((_f, n) => {
    if (n !== 1) task.submit(n);
  });
}

const PER_CALL = [
  "future-submitted",
  "submitted",
  "future-done",
  "future-result",
  "done",
  "result",
];

Deno.test("GET /api/events streams every scheduler and task event, in order, with ids", async () => {
  const scheduler = Scheduler.sequential();
  const app = monitor(scheduler);
  chain(scheduler);
  const res = await app.request("/api/events");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
  const sse = new SseReader(res.body!);
  await scheduler.run();
  await sse.until((m) => m.some((x) => x.data.includes('"event":"finished"')));
  await sse.cancel();
  const events: MonitorEvent[] = sse.events();
  // Ids are consecutive from 1, and the SSE id field matches.
  assert.deepEqual(events.map((e) => e.id), events.map((_, i) => i + 1));
  assert.deepEqual(sse.messages.map((m) => m.id), events.map((e) => String(e.id)));
  assert.equal(events[0].event, "start");
  assert.deepEqual(events.slice(-3).map((e) => e.event), ["empty", "finishing", "finished"]);
  const calls = events.slice(1, -3);
  assert.equal(calls.length, 8 * PER_CALL.length);
  // Per future, the contract's order; across futures, the next call may be
  // submitted (by the user's result callback) before the monitor's own handler sees `result`.
  const futures = [...new Set(calls.map((e) => e.future))];
  assert.equal(futures.length, 8);
  for (const id of futures) {
    const one = calls.filter((e) => e.future === id);
    assert.deepEqual(one.map((e) => e.event), PER_CALL);
    assert.deepEqual(one.map((e) => e.source), [
      "scheduler",
      "task",
      "scheduler",
      "scheduler",
      "task",
      "task",
    ]);
    assert.ok(one.every((e) => e.task === "collatz" && e.scheduler === 0));
    assert.equal(one[1].taskIndex, 0);
  }
  // Results travel as short text: 6 → 3 → 10 → 5 → 16 → 8 → 4 → 2 → 1.
  assert.deepEqual(
    calls.filter((e) => e.event === "result").map((e) => e.detail),
    ["3", "10", "5", "16", "8", "4", "2", "1"],
  );
  assert.deepEqual(calls.filter((e) => e.event === "submitted").map((e) => e.detail), [
    "6",
    "3",
    "10",
    "5",
    "16",
    "8",
    "4",
    "2",
  ]);
});

Deno.test("GET /api/events resumes after Last-Event-ID or ?after=, from the buffer", async () => {
  const scheduler = Scheduler.sequential();
  const app = monitor(scheduler);
  chain(scheduler);
  await scheduler.run();
  const last = scheduler.eventCounts.get("future-submitted")! * 6 + 4;
  for (const init of [{ headers: { "Last-Event-ID": "40" } }, {}]) {
    const path = "headers" in init ? "/api/events?after=1" : "/api/events?after=40";
    const sse = new SseReader((await app.request(path, init)).body!);
    await sse.until((m) => m.length >= last - 40);
    await sse.cancel();
    assert.deepEqual(
      sse.events().map((e) => e.id),
      Array.from({ length: last - 40 }, (_, i) => 41 + i),
    );
  }
  const bad = await app.request("/api/events", { headers: { "Last-Event-ID": "x1" } });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /bad event id "x1": expected a non-negative integer/);
});

Deno.test("GET /api/events resumes live: a reconnecting client misses nothing and repeats nothing", async () => {
  const scheduler = Scheduler.sequential();
  const app = monitor(scheduler, { flushInterval: 5, maxEventRate: 1e9 });
  const task = scheduler.task(collatz);
  const step = Promise.withResolvers<void>();
  let n = 0;
  scheduler.onStart(() => task.submit(27));
  task.onResult(async (_f, next) => {
    if (++n === 30) await step.promise; // pause mid-run while the client reconnects
    if (next !== 1) task.submit(next);
  });
  const first = new SseReader((await app.request("/api/events")).body!);
  const run = scheduler.run();
  await first.until((m) => m.some((x) => x.data.includes('"detail":"') && n >= 30));
  await first.cancel();
  const seen = first.events();
  const lastSeen = seen[seen.length - 1].id;
  const second = new SseReader(
    (await app.request("/api/events", { headers: { "Last-Event-ID": String(lastSeen) } })).body!,
  );
  step.resolve();
  await run;
  await second.until((m) => m.some((x) => x.data.includes('"event":"finished"')));
  await second.cancel();
  const all = [...seen, ...second.events()];
  assert.deepEqual(all.map((e) => e.id), all.map((_, i) => i + 1));
  assert.equal(all[all.length - 1].event, "finished");
});

Deno.test("GET /api/events says how many events were missed when the buffer moved on", async () => {
  const scheduler = Scheduler.sequential();
  const app = monitor(scheduler, { bufferSize: 10 });
  chain(scheduler);
  await scheduler.run();
  const last = 8 * 6 + 4;
  const sse = new SseReader((await app.request("/api/events?after=0")).body!);
  await sse.until((m) => m.length >= 11);
  await sse.cancel();
  assert.equal(sse.messages[0].event, "gap");
  assert.deepEqual(JSON.parse(sse.messages[0].data), { missed: last - 10 });
  assert.deepEqual(
    sse.events().map((e) => e.id),
    Array.from({ length: 10 }, (_, i) => last - 9 + i),
  );
});

Deno.test("a slow SSE client is dropped and never slows the scheduler; a fast one gets everything", async () => {
  const scheduler = Scheduler.sequential();
  const app = monitor(scheduler, { clientBuffer: 2048, flushInterval: 5, maxEventRate: 1e9 });
  const task = scheduler.task(collatz);
  let calls = 0;
  scheduler.onStart(() => task.submit(27));
  task.onResult((_f, n) => {
    calls++;
    if (n !== 1) task.submit(n);
    else if (calls < 1000) task.submit(27);
  });
  const slow = new SseReader((await app.request("/api/events")).body!); // never read during the run
  const fast = new SseReader((await app.request("/api/events")).body!);
  const reading = fast.until((m) => m.some((x) => x.data.includes('"event":"finished"')), 60_000);
  assert.equal((await scheduler.run({ timeout: "60s" })).code, "exhausted");
  await reading;
  const ids = fast.events().map((e) => e.id);
  assert.deepEqual(ids, ids.map((_, i) => i + 1));
  assert.equal(ids.length, calls * 6 + 4);
  // The slow client got a prefix, then a `dropped` event, then the end of its stream.
  await slow.drain();
  assert.equal(slow.messages[slow.messages.length - 1]?.event, "dropped");
  const got = slow.events().map((e) => e.id);
  assert.ok(got.length < ids.length, `slow client got ${got.length} of ${ids.length}`);
  assert.deepEqual(got, got.map((_, i) => i + 1));
  await fast.cancel();
});

Deno.test("GET /api/events carries flow events with job ids and labels", async () => {
  const flow = new Flow({ label: "pipe", critical: false });
  const a = flow.add(job(() => Promise.resolve(7)), { label: "make <seven>" });
  flow.add(job(() => Promise.reject(new Error("boom"))), {
    label: "break",
    requires: a,
    critical: false,
  });
  const app = monitor(flow);
  const sse = new SseReader((await app.request("/api/events")).body!);
  assert.equal(await flow.run(), true);
  await sse.until((m) => m.some((x) => x.data.includes('"event":"flow-done"')));
  await sse.cancel();
  const events = sse.events().map((e) => [e.event, e.jobLabel, e.detail]);
  assert.deepEqual(events, [
    ["job-scheduled", "make <seven>", undefined],
    ["job-started", "make <seven>", undefined],
    ["job-done", "make <seven>", "7"],
    ["job-scheduled", "break", undefined],
    ["job-started", "break", undefined],
    ["job-failed", "break", "Error: boom"],
    ["flow-done", undefined, 'true, "FINE"'],
  ]);
  assert.ok(sse.events().every((e) => e.source === "flow" && e.flow === 0 && e.emitter === "pipe"));
});

Deno.test("past maxEventRate a client gets the newest events and a gap with the count skipped", async () => {
  const scheduler = Scheduler.sequential();
  const app = monitor(scheduler, { maxEventRate: 20 }); // 20 a second, bursts included
  chain(scheduler);
  const sse = new SseReader((await app.request("/api/events")).body!);
  await scheduler.run(); // 52 events in one burst
  await sse.until((m) => m.some((x) => x.data.includes('"event":"finished"')));
  await sse.cancel();
  const gaps = sse.messages.filter((m) => m.event === "gap").map((m) => JSON.parse(m.data).missed);
  const ids = sse.events().map((e) => e.id);
  assert.ok(gaps.length >= 1);
  assert.equal(ids.length + gaps.reduce((a, b) => a + b, 0), 52);
  assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]));
  assert.equal(ids[ids.length - 1], 52);
  // Counts stay exact whatever the stream skipped.
  const status = await (await app.request("/api/status")).json();
  assert.equal(status.schedulers[0].eventCounts["future-done"], 8);
});
