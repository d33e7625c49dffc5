/** QueueMonitor and GET /api/history: rows, order, counts, bounds. */
import assert from "node:assert/strict";
import { monitor, QueueMonitor, type QueueMonitorRow, Scheduler } from "../mod.ts";

const KEYS = ["cancelled", "done", "failed", "idleWorkers", "queued", "running", "time"];

function checkRows(rows: QueueMonitorRow[]): void {
  for (const row of rows) {
    assert.deepEqual(Object.keys(row).sort(), KEYS);
    for (const key of KEYS) {
      const v = row[key as keyof QueueMonitorRow];
      assert.ok(Number.isSafeInteger(v) && v >= 0, `${key} = ${v}`);
    }
  }
  for (let i = 1; i < rows.length; i++) {
    assert.ok(rows[i].time >= rows[i - 1].time, "rows are in time order");
    for (const key of ["done", "failed", "cancelled"] as const) {
      assert.ok(rows[i][key] >= rows[i - 1][key], `${key} never goes down`);
    }
  }
}

Deno.test("QueueMonitor samples queued, running, done, failed, cancelled and idle workers while the scheduler runs", async () => {
  const scheduler = Scheduler.withWorkers(2);
  using queue = new QueueMonitor(scheduler, { interval: "20ms" });
  const gate = Promise.withResolvers<void>();
  const nap = scheduler.task(async function nap(i: number) {
    await new Promise((r) => setTimeout(r, 30));
    if (i % 4 === 3) throw new Error(`trial ${i} failed`);
    return i;
  });
  scheduler.onStart(() => {
    for (let i = 0; i < 12; i++) nap.submit(i);
  });
  let cancelled: number | undefined;
  nap.onResult(() => {
    if (cancelled !== undefined) return;
    // A call still queued: cancel it (it never runs).
    const queued = [...nap.futures].find((f) => f.status === "pending")!;
    cancelled = queued.args[0] as number;
    assert.ok(queued.cancel());
    gate.resolve();
  });
  assert.deepEqual(queue.rows(), [], "no rows before the run");
  await scheduler.run({ onException: "continue", onCancelled: "continue" });
  await gate.promise;
  const rows = queue.rows();
  checkRows(rows);
  assert.ok(rows.length >= 3, `only ${rows.length} rows`);
  const first = rows[0], last = rows.at(-1)!;
  assert.deepEqual([first.done, first.failed, first.cancelled], [0, 0, 0]);
  const failed = [3, 7, 11].filter((i) => i !== cancelled).length;
  assert.deepEqual(
    [last.queued, last.running, last.done, last.failed, last.cancelled],
    [0, 0, 11 - failed, failed, 1],
  );
  // While it ran, both workers were busy and calls waited.
  assert.ok(rows.some((r) => r.running === 2 && r.queued > 0), JSON.stringify(rows));
  assert.ok(rows.every((r) => r.running + r.idleWorkers <= 2));
  const rowsAfter = queue.rows().length;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(queue.rows().length, rowsAfter, "no samples once the scheduler finished");
});

Deno.test("QueueMonitor keeps at most maxRows, halving the rate, and still covers the whole run", async () => {
  const scheduler = Scheduler.sequential();
  const queue = new QueueMonitor(scheduler, { interval: 1, maxRows: 8 });
  const t = scheduler.task(async () => await new Promise((r) => setTimeout(r, 2)));
  let n = 0;
  scheduler.onStart(() => t.submit());
  t.onDone(() => {
    if (++n < 40) t.submit();
  });
  const start = Date.now();
  await scheduler.run();
  const rows = queue.rows();
  checkRows(rows);
  assert.ok(rows.length <= 8, `${rows.length} rows`);
  assert.ok(queue.interval > 1, "the interval doubled");
  assert.ok(rows[0].time - start < 20, "the first row is from the start of the run");
  assert.equal(rows.at(-1)!.done, 40, "the last row is from its end");
  queue.close();
});

Deno.test("QueueMonitor: sample() on demand, a second run, close(), bad options", async () => {
  const scheduler = Scheduler.sequential();
  const queue = new QueueMonitor(scheduler, { interval: "1h" });
  assert.equal(queue.sample().done, 0);
  const t = scheduler.task((x: number) => x);
  scheduler.onStart(() => t.submit(1));
  await scheduler.run();
  await scheduler.run(); // counts go on across runs, as eventCounts do
  const rows = queue.rows();
  assert.equal(rows.length, 5); // the manual one, then start and finish of each run
  assert.deepEqual(rows.map((r) => r.done), [0, 0, 1, 1, 2]);
  queue.close();
  await scheduler.run();
  assert.equal(queue.rows().length, 5, "a closed monitor samples no more");
  assert.throws(
    () => new QueueMonitor(scheduler, { intervall: 5 } as never),
    /did you mean "interval"/,
  );
  assert.throws(
    () => new QueueMonitor(scheduler, { interval: "soon" }),
    /Invalid duration: "soon"/,
  );
  assert.throws(() => new QueueMonitor(scheduler, { interval: 0 }), RangeError);
  assert.throws(
    () => new QueueMonitor(scheduler, { maxRows: 2 }),
    /maxRows must be an integer of at least 4, got 2/,
  );
  assert.throws(() => new QueueMonitor({} as never), /needs a Scheduler/);
});

Deno.test("GET /api/history serves the queue rows of each scheduler as a JSON array", async () => {
  const a = Scheduler.sequential({ name: "a" });
  const b = Scheduler.sequential({ name: "b" });
  const app = monitor([a, b], { history: { interval: "5ms", maxRows: 16 } });
  const t = a.task(async (x: number) => await new Promise((r) => setTimeout(r, x)));
  a.onStart(() => {
    for (let i = 0; i < 10; i++) t.submit(5);
  });
  await a.run();
  const res = await app.request("/api/history");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /application\/json/);
  const rows: QueueMonitorRow[] = await res.json();
  assert.ok(Array.isArray(rows) && rows.length >= 2 && rows.length <= 16);
  checkRows(rows);
  assert.equal(rows.at(-1)!.done, 10);
  const other = await (await app.request("/api/history?scheduler=1")).json();
  assert.deepEqual(other, [], "b never ran");
  assert.equal((await app.request("/api/history?scheduler=2")).status, 400);
  assert.equal((await app.request("/api/history?scheduler=x")).status, 400);
});
