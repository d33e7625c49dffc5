/**
 * Memory limits on processes cover all memory: the resident set is watched
 * while a call runs, and an allocation refused under the limit is a
 * MemoryLimitError too.
 */
import assert from "node:assert/strict";
import { LimitError, MemoryLimitError, Scheduler } from "../mod.ts";
import { childPids, counts, fillBuffer, whoAmI } from "./processes_fixtures.ts";

const MB = 1024 ** 2;

Deno.test("processes: a 600 MiB typed array filled under memory: 256MB rejects with MemoryLimitError", async () => {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
  const fill = scheduler.task(fillBuffer, { limits: { memory: "256MB" } });
  const after = scheduler.task(whoAmI, { limits: { memory: "256MB" } });
  const errors: unknown[] = [];
  const pids: number[] = [];
  fill.onException((_f, e) => {
    errors.push(e);
    after.submit();
  });
  after.onResult((_f, pid) => pids.push(pid));
  let victim = 0;
  scheduler.onStart(() => {
    fill.submit(600);
    victim = scheduler.executor.info().workers[0]?.pid ?? 0;
  });
  const exit = await scheduler.run({ onException: "continue", timeout: "30s" });
  assert.equal(exit.code, "exhausted");
  const error = errors[0] as MemoryLimitError;
  assert.ok(error instanceof MemoryLimitError, String(error));
  assert.equal(error.limit, 256 * MB);
  assert.ok(error.observed! > 256 * MB && error.observed! < 700 * MB, `observed ${error.observed}`);
  assert.equal(counts(fill)["memory-limit-reached"], 1);
  assert.equal(pids.length, 1);
  assert.notEqual(pids[0], victim, "the process was replaced");
  assert.deepEqual(childPids(scheduler), []);
});

Deno.test("processes: an allocation the kernel cap refuses is a MemoryLimitError, matched by LimitError policies", async () => {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
  const fill = scheduler.task(fillBuffer, { limits: { memory: "256MB" } });
  let limitEvents = 0;
  fill.onMemoryLimitReached(() => limitEvents++);
  scheduler.onStart(() => void fill.submit(4096));
  const exit = await scheduler.run({ onException: [[LimitError, "end"]], timeout: "30s" });
  assert.equal(exit.code, "exception");
  const error = exit.error as MemoryLimitError;
  assert.ok(error instanceof MemoryLimitError, String(error));
  assert.match(error.message, /allocation was refused/);
  assert.ok(error.cause instanceof RangeError, String(error.cause));
  assert.equal(limitEvents, 1);
  assert.deepEqual(childPids(scheduler), []);
});

Deno.test("processes: a call within its memory limit keeps its result", async () => {
  const scheduler = Scheduler.withProcesses(1);
  const fill = scheduler.task(fillBuffer, { limits: { memory: "256MB" } });
  const sizes: number[] = [];
  fill.onResult((_f, size) => sizes.push(size));
  scheduler.onStart(() => {
    fill.submit(16);
    fill.submit(32);
  });
  await scheduler.run({ timeout: "30s" });
  assert.deepEqual(sizes, [16 * MB, 32 * MB]);
});
