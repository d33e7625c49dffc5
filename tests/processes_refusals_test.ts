/**
 * What each executor refuses to promise, and the worker executor's
 * cooperative wall-time limit.
 */

import assert from "node:assert/strict";
import { Scheduler, type TaskContext, WallTimeLimitError } from "../mod.ts";
import { counts } from "./processes_fixtures.ts";

function noop(): number {
  return 1;
}

Deno.test("refusals: workers refuse CPU and memory limits, pointing to processes", () => {
  const scheduler = Scheduler.withWorkers(1);
  for (const limits of [{ cpuTime: "1s" }, { memory: "64MB" }]) {
    assert.throws(
      () => scheduler.task(noop, { limits }),
      /Web Workers cannot enforce the (cpuTime|memory) limit.*Scheduler\.withProcesses\(n\)/,
    );
  }
  assert.equal(scheduler.tasks.length, 0);
});

Deno.test("refusals: sequential refuses CPU, memory and permissions, pointing elsewhere", () => {
  const scheduler = Scheduler.sequential();
  assert.throws(
    () => scheduler.task(noop, { limits: { cpuTime: "1s", memory: "64MB" } }),
    /sequential executor cannot enforce the cpuTime and memory limit.*withProcesses/,
  );
  assert.throws(
    () => scheduler.task(noop, { permissions: { net: false } }),
    /cannot narrow permissions: use Scheduler\.withWorkers\(n\) or Scheduler\.withProcesses\(n\)/,
  );
});

Deno.test("refusals: processes accept every limit and refuse malformed ones by name", () => {
  const scheduler = Scheduler.withProcesses(1);
  scheduler.task(noop, { limits: { wallTime: "1s", cpuTime: "1s", memory: "64MB" } });
  assert.throws(
    () => scheduler.task(noop, { limits: { memory: "1MB" } }),
    /memory limit must be at least 64MB.*got 1048576 bytes/,
  );
  assert.throws(
    () => scheduler.task(noop, { limits: { cpu: "1s" } as never }),
    /Unknown limit "cpu"/,
  );
  assert.throws(() => Scheduler.withProcesses(0), /positive integer, got 0/);
  assert.throws(
    () => Scheduler.withProcesses(1, { v8Flags: ["max-old-space-size=64"] }),
    /v8Flags must be a list of flags.*max-old-space-size=64/,
  );
});

Deno.test("workers: wallTime aborts this.signal and rejects at the deadline (cooperative)", async () => {
  const scheduler = Scheduler.withWorkers(1, { prefetch: 1 });
  const polite = scheduler.task(async function polite(this: TaskContext) {
    // Stops soon after its signal aborts; without the abort it would run 20 s.
    for (let i = 0; i < 2000 && !this.signal.aborted; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    return "returned";
  }, { limits: { wallTime: "300ms" } });
  const next = scheduler.task(noop);
  let error: unknown;
  let nextAt = 0;
  const started = performance.now();
  scheduler.onStart(() => {
    polite.submit();
    next.submit(); // same worker: runs only once polite returned
  });
  polite.onException((_f, e) => error = e);
  next.onResult(() => nextAt = performance.now() - started);
  await scheduler.run({ onException: "continue" });
  assert.ok(error instanceof WallTimeLimitError, String(error));
  assert.equal(error.limit, 300);
  assert.match(error.message, /its signal was aborted/);
  assert.deepEqual(counts(polite), {
    done: 1,
    exception: 1,
    submitted: 1,
    timeout: 1,
    "wall-time-limit-reached": 1,
  });
  assert.equal(polite.eventCounts.get("result"), undefined, "its late return is ignored");
  assert.ok(nextAt > 250 && nextAt < 5000, `next call answered after ${nextAt}ms`);
});
