/**
 * Each hard limit of the process executor hit by a real runaway task: the
 * exact error and events, the process replaced, other work intact.
 */

import assert from "node:assert/strict";
import {
  CpuTimeLimitError,
  type Future,
  LimitError,
  MemoryLimitError,
  Scheduler,
  WallTimeLimitError,
} from "../mod.ts";
import {
  alive,
  allocate,
  burn,
  busyLoop,
  childPids,
  counts,
  ownCpuLimit,
  sleep,
  whoAmI,
} from "./processes_fixtures.ts";

const MB = 1024 ** 2;

/** Runs `runaway` on a one-process pool, then `whoAmI`; returns what happened. */
async function hitLimit(
  runaway: (...args: never[]) => unknown,
  limits: { wallTime?: string; cpuTime?: string; memory?: string },
  args: unknown[] = [],
) {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
  const task = scheduler.task(runaway as (...args: unknown[]) => unknown, { limits });
  // Same memory limit, so the same kind of process: a new pid means a replacement.
  const after = scheduler.task(whoAmI, limits.memory ? { limits: { memory: limits.memory } } : {});
  const errors: unknown[] = [];
  let victim = 0;
  let successor = 0;
  scheduler.onStart(() => {
    task.submit(...args);
    victim = scheduler.executor.info().workers[0]?.pid ?? 0;
  });
  task.onException((_f, error) => {
    errors.push(error);
    after.submit();
  });
  after.onResult((_f, pid) => successor = pid);
  const exit = await scheduler.run({ onException: "continue", timeout: "20s" });
  return { scheduler, task, errors, victim, successor, exit };
}

Deno.test("processes: a busy loop over its CPU-time limit rejects with CpuTimeLimitError", async () => {
  const { task, errors, victim, successor, exit, scheduler } = await hitLimit(busyLoop, {
    cpuTime: "1s",
  });
  assert.deepStrictEqual(exit.code, "exhausted");
  assert.deepStrictEqual(errors.length, 1);
  const error = errors[0] as CpuTimeLimitError;
  assert.ok(error instanceof CpuTimeLimitError, String(error));
  assert.ok(error instanceof LimitError, String(error));
  assert.deepStrictEqual(error.kind, "cpuTime");
  assert.deepStrictEqual(error.limit, 1000);
  assert.ok(error.observed! >= 1000 && error.observed! < 3000, `observed ${error.observed}`);
  assert.deepStrictEqual(counts(task), {
    "cpu-time-limit-reached": 1,
    done: 1,
    exception: 1,
    submitted: 1,
    timeout: 1,
  });
  assert.deepStrictEqual(scheduler.eventCounts.get("future-exception"), 1);
  assert.ok(victim > 0 && successor > 0);
  assert.notStrictEqual(successor, victim, "the killed process was replaced");
  assert.ok(!alive(victim));
});

Deno.test("processes: an allocation loop over its memory limit rejects with MemoryLimitError", async () => {
  const { task, errors, victim, successor, exit } = await hitLimit(allocate, { memory: "64MB" });
  assert.deepStrictEqual(exit.code, "exhausted");
  const error = errors[0] as MemoryLimitError;
  assert.ok(error instanceof MemoryLimitError, String(error));
  assert.deepStrictEqual(error.kind, "memory");
  assert.deepStrictEqual(error.limit, 64 * MB);
  // V8's last GC report before it gave up: about the heap limit.
  assert.ok(error.observed! > 32 * MB && error.observed! < 128 * MB, `observed ${error.observed}`);
  assert.deepStrictEqual(counts(task), {
    done: 1,
    exception: 1,
    "memory-limit-reached": 1,
    submitted: 1,
  });
  assert.notStrictEqual(successor, victim);
  assert.ok(successor > 0 && !alive(victim));
});

Deno.test("processes: a sleep over its wall-time limit is killed at the deadline", async () => {
  const started = performance.now();
  const { task, errors, victim, successor } = await hitLimit(sleep, { wallTime: "400ms" }, [
    10_000,
  ]);
  const error = errors[0] as WallTimeLimitError;
  assert.ok(error instanceof WallTimeLimitError, String(error));
  assert.deepStrictEqual(error.limit, 400);
  assert.ok(error.observed! >= 400 && error.observed! < 2000, `observed ${error.observed}`);
  assert.deepStrictEqual(counts(task), {
    done: 1,
    exception: 1,
    submitted: 1,
    timeout: 1,
    "wall-time-limit-reached": 1,
  });
  assert.notStrictEqual(successor, victim);
  assert.ok(!alive(victim));
  assert.ok(performance.now() - started < 8000, "the run did not wait for the 10 s sleep");
});

Deno.test("processes: calls within their limits keep their results, on the same process", async () => {
  const scheduler = Scheduler.withProcesses(1, {
    limits: { wallTime: "10s", cpuTime: "5s", memory: "128MB" },
  });
  const task = scheduler.task(burn);
  const pids: number[] = [];
  scheduler.onStart(() => task.submit(200));
  task.onResult((_f, pid) => {
    pids.push(pid);
    // Each call gets its own CPU budget although CPU time adds up per process.
    if (pids.length < 4) task.submit(200);
  });
  const exit = await scheduler.run();
  assert.deepStrictEqual(exit.code, "exhausted");
  assert.deepStrictEqual(pids.length, 4);
  assert.deepStrictEqual(new Set(pids).size, 1, "one process served every call");
  assert.deepStrictEqual(counts(task), { done: 4, result: 4, submitted: 4 });
});

Deno.test("processes: a limit hit leaves calls on other processes intact", async () => {
  const scheduler = Scheduler.withProcesses(2, { forwardStderr: false });
  const runaway = scheduler.task(busyLoop, { limits: { cpuTime: "1s" } });
  const steady = scheduler.task(sleep);
  const results: number[] = [];
  let limitError: unknown;
  scheduler.onStart(() => {
    runaway.submit();
    for (const ms of [300, 600, 900, 1200]) steady.submit(ms);
  });
  steady.onResult((_f, ms) => results.push(ms));
  runaway.onException((_f, error) => limitError = error);
  await scheduler.run({ onException: "continue" });
  assert.ok(limitError instanceof CpuTimeLimitError, String(limitError));
  assert.deepStrictEqual(results.sort((a, b) => a - b), [300, 600, 900, 1200]);
});

Deno.test("processes: pool limits are defaults that a task's limits replace", async () => {
  const scheduler = Scheduler.withProcesses(1, {
    limits: { wallTime: "300ms" },
    forwardStderr: false,
  });
  const defaulted = scheduler.task(sleep);
  const own = scheduler.task(sleep, { name: "own", limits: { wallTime: "5s" } });
  const outcomes: string[] = [];
  scheduler.onStart(() => {
    defaulted.submit(3000);
    own.submit(600);
  });
  scheduler.onFutureDone((f: Future) =>
    outcomes.push(`${f.task?.name}:${f.error ? (f.error as Error).name : f.value}`)
  );
  await scheduler.run({ onException: "continue" });
  assert.deepStrictEqual(outcomes.sort(), ["own:600", "sleep:WallTimeLimitError"]);
  assert.deepStrictEqual(childPids(scheduler), []);
});

Deno.test("processes: the kernel's CPU limit is set for a limited call and lifted after", async () => {
  const scheduler = Scheduler.withProcesses(1);
  const limited = scheduler.task(ownCpuLimit, { limits: { cpuTime: "2s" } });
  const free = scheduler.task(ownCpuLimit);
  const seen: string[] = [];
  scheduler.onStart(() => limited.submit());
  limited.onResult((_f, limit) => {
    seen.push(limit);
    free.submit();
  });
  free.onResult((_f, limit) => seen.push(limit));
  await scheduler.run();
  // Whole seconds of the process's total: what it used so far plus 2 s, rounded up.
  assert.equal(seen.length, 2);
  assert.ok(["2", "3"].includes(seen[0]), `soft limit ${seen[0]}`);
  assert.equal(seen[1], "unlimited");
});
