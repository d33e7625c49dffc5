/**
 * Shutting a process pool down: nothing keeps running, no child is left.
 */

import assert from "node:assert/strict";
import { Scheduler } from "../mod.ts";
import { alive, busyLoop, childPids, sleep } from "./processes_fixtures.ts";

Deno.test("processes: run({ wait: false }) kills running processes and cancels queued calls", async () => {
  const scheduler = Scheduler.withProcesses(2, { forwardStderr: false });
  const task = scheduler.task(sleep);
  const spin = scheduler.task(busyLoop);
  let pids: number[] = [];
  let seenRunning: number[] = [];
  scheduler.onStart(() => {
    spin.submit();
    task.submit(10_000);
    task.submit(10);
    task.submit(10);
    pids = scheduler.executor.info().workers.map((w) => w.pid!);
    // The listing sees them while they run, so its emptiness after the run means something.
    scheduler.callLater(200, () => {
      seenRunning = childPids(scheduler);
    });
  });
  const started = performance.now();
  const exit = await scheduler.run({ timeout: "500ms", wait: false });
  assert.equal(exit.code, "timeout");
  assert.ok(performance.now() - started < 5000);
  assert.equal(scheduler.eventCounts.get("future-cancelled"), 4);
  assert.equal(scheduler.eventCounts.get("future-result"), undefined);
  assert.equal(pids.length, 2);
  // The pool's processes, and perhaps its warm spare.
  for (const pid of pids) assert.ok(seenRunning.includes(pid), `process ${pid} was listed`);
  assert.ok(seenRunning.length <= pids.length + 1, `at most one spare: ${seenRunning}`);
  for (const pid of pids) assert.ok(!alive(pid), `process ${pid} was killed`);
  assert.deepEqual(childPids(scheduler), []);
});

Deno.test("processes: stop() with wait lets running calls finish, drops queued ones, leaves no child", async () => {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
  const task = scheduler.task(sleep);
  const results: number[] = [];
  scheduler.onStart(() => {
    task.submit(300);
    task.submit(5000);
    scheduler.callLater(100, () => scheduler.stop({ reason: "enough" }));
  });
  task.onResult((_f, ms) => results.push(ms));
  const exit = await scheduler.run();
  assert.equal(exit.code, "stopped");
  assert.deepEqual(results, [300]);
  assert.equal(scheduler.eventCounts.get("future-cancelled"), 1);
  assert.deepEqual(childPids(scheduler), []);
});

Deno.test("processes: stop() under wait: false kills a busy loop at once", async () => {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
  const spin = scheduler.task(busyLoop);
  scheduler.onStart(() => {
    spin.submit();
    scheduler.callLater(200, () => scheduler.stop());
  });
  const started = performance.now();
  const exit = await scheduler.run({ wait: false });
  assert.equal(exit.code, "stopped");
  assert.ok(performance.now() - started < 5000);
  assert.equal(spin.eventCounts.get("cancelled"), 1);
  assert.deepEqual(childPids(scheduler), []);
});

Deno.test("processes: a pool can run again after it finished", async () => {
  const scheduler = Scheduler.withProcesses(1);
  const task = scheduler.task(sleep);
  for (let run = 0; run < 2; run++) {
    scheduler.onStart(() => task.submit(10), { maxCalls: 1 });
    const exit = await scheduler.run();
    assert.equal(exit.code, "exhausted");
  }
  assert.equal(task.eventCounts.get("result"), 2);
  assert.deepEqual(childPids(scheduler), []);
});
