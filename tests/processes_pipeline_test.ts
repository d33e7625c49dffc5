/**
 * The pipelined process pool: calls without CPU or memory limits are
 * prefetched (several wait in one child), and nothing is lost or misblamed
 * when a neighbour is killed; calls with such limits run alone; a warm
 * spare process takes over after a kill.
 */

import assert from "node:assert/strict";
import {
  Comm,
  CpuTimeLimitError,
  type Future,
  MemoryLimitError,
  type Msg,
  Scheduler,
  WallTimeLimitError,
  WorkerCrashedError,
} from "../mod.ts";
import {
  burn,
  busyLoop,
  childPids,
  fillBuffer,
  maybeCrash,
  sleep,
  whoAmI,
} from "./processes_fixtures.ts";

/** What each future ended with: its value, or its error's class name. */
function outcomes(futures: Future[]): unknown[] {
  return futures.map((f) => f.error ? (f.error as Error).constructor.name : f.value);
}

/** How many calls the pool's only process holds. */
function held(scheduler: Scheduler): number {
  return scheduler.executor.info().workers[0]?.inFlight ?? 0;
}

Deno.test("pipeline: calls prefetched behind one killed at its wall time finish on a replacement", async () => {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
  const slow = scheduler.task(sleep, { limits: { wallTime: "300ms" } });
  const probe = scheduler.task(whoAmI);
  const futures: Future[] = [];
  let inFlight = 0;
  let victim = 0;
  scheduler.onStart(() => {
    futures.push(slow.submit(60_000)!);
    for (let i = 0; i < 5; i++) futures.push(probe.submit()!);
    inFlight = held(scheduler);
    victim = scheduler.executor.info().workers[0].pid!;
  });
  await scheduler.run({ onException: "continue", timeout: "30s" });
  assert.equal(inFlight, 6, "the probes were prefetched on the same process");
  assert.ok(futures[0].error instanceof WallTimeLimitError);
  const pids = futures.slice(1).map((f) => f.value as number);
  assert.equal(pids.length, 5);
  for (const pid of pids) assert.ok(pid > 0 && pid !== victim, `ran on a replacement: ${pid}`);
  assert.equal(scheduler.eventCounts.get("future-result"), 5);
  assert.deepEqual(childPids(scheduler), []);
});

Deno.test("pipeline: a crash blames the call that crashed; prefetched neighbours before and after keep their results", async () => {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
  const task = scheduler.task(maybeCrash);
  const futures: Future[] = [];
  let inFlight = 0;
  scheduler.onStart(() => {
    for (let i = 0; i < 8; i++) futures.push(task.submit(i, i === 3)!);
    inFlight = held(scheduler);
  });
  await scheduler.run({ onException: "continue", timeout: "30s" });
  assert.equal(inFlight, 8);
  assert.deepEqual(outcomes(futures), [0, 2, 4, "WorkerCrashedError", 8, 10, 12, 14]);
  assert.ok(futures[3].error instanceof WorkerCrashedError);
  assert.equal((futures[3].error as WorkerCrashedError).code, 3);
});

Deno.test("pipeline: a call over its memory limit ran alone; the calls queued behind it finish on a replacement", async () => {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
  const limits = { memory: "120MB" };
  const big = scheduler.task(fillBuffer, { limits });
  const probe = scheduler.task(whoAmI, { limits });
  const futures: Future[] = [];
  let inFlight = 0;
  let victim = 0;
  scheduler.onStart(() => {
    futures.push(big.submit(400)!);
    for (let i = 0; i < 3; i++) futures.push(probe.submit()!);
    inFlight = held(scheduler);
    victim = scheduler.executor.info().workers[0].pid!;
  });
  await scheduler.run({ onException: "continue", timeout: "30s" });
  assert.equal(inFlight, 1, "a memory-limited call is not prefetched next to others");
  assert.ok(futures[0].error instanceof MemoryLimitError, String(futures[0].error));
  for (const f of futures.slice(1)) {
    assert.ok(typeof f.value === "number" && f.value !== victim, `replacement: ${f.value}`);
  }
});

Deno.test("pipeline: a CPU limit fires at the right call among prefetched ones, and counts only its own CPU time", async () => {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
  const free = scheduler.task(burn);
  const capped = scheduler.task(busyLoop, { limits: { cpuTime: "1s" } });
  const within = scheduler.task(burn, { limits: { cpuTime: "2s" } });
  const futures: Future[] = [];
  let inFlight = 0;
  scheduler.onStart(() => {
    // 4 × 300 ms of CPU before the capped call: counted against it, it would die early.
    for (let i = 0; i < 4; i++) futures.push(free.submit(300)!);
    futures.push(capped.submit()!);
    for (let i = 0; i < 3; i++) futures.push(free.submit(10)!);
    futures.push(within.submit(200)!);
    futures.push(free.submit(10)!);
    inFlight = held(scheduler);
  });
  await scheduler.run({ onException: "continue", timeout: "60s" });
  const [first, ...rest] = futures.slice(0, 4).map((f) => f.value as number);
  assert.ok(rest.every((pid) => pid === first), "the first calls ran on one process");
  const error = futures[4].error;
  assert.ok(error instanceof CpuTimeLimitError, String(error));
  assert.ok(
    error.observed !== undefined && error.observed >= 1000 && error.observed < 1000 + 4 * 300,
    `observed ${error.observed} ms is the capped call's own`,
  );
  for (const f of futures.slice(5)) assert.equal(typeof f.value, "number", String(f.error));
  assert.notEqual(futures[5].value, first, "calls after the kill ran on a replacement");
  assert.equal(inFlight, 4, "the capped call waits for an idle process; the calls after it too");
});

Deno.test("pipeline: after a kill, the next call runs on the warm spare process", async () => {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
  // A call with a limit makes the pool keep a spare.
  const probe = scheduler.task(whoAmI, { limits: { wallTime: "30s" } });
  const slow = scheduler.task(sleep, { limits: { wallTime: "200ms" } });
  let first = 0;
  let spare = 0;
  let after = 0;
  probe.onResult((_f, pid: number) => {
    if (!first) {
      first = pid;
      // Wait (generously) for the spare to show up beside the pool's process.
      const look = (tries: number) => {
        const others = childPids(scheduler).filter((p) => p !== first);
        if (others.length === 1 || tries === 0) {
          spare = others[0] ?? -1;
          slow.submit(60_000);
        } else scheduler.callLater(50, () => look(tries - 1));
      };
      look(400);
    } else after = pid;
  });
  slow.onException(() => probe.submit());
  scheduler.onStart(() => probe.submit());
  await scheduler.run({ onException: "continue", timeout: "60s" });
  assert.ok(first > 0);
  assert.ok(spare > 0, "a spare process was started");
  assert.equal(after, spare, "the call after the kill ran on the spare");
  assert.deepEqual(childPids(scheduler), []);
});

Deno.test("pipeline: a pool whose calls have no limits keeps no spare until a process dies", async () => {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
  const probe = scheduler.task(whoAmI);
  const crash = scheduler.task(maybeCrash);
  const listed: number[][] = [];
  let first = 0;
  let after = 0;
  probe.onResult((_f, pid: number) => {
    if (!first) {
      first = pid;
      // Long enough for a spare to start, were one started.
      scheduler.callLater(1000, () => {
        listed.push(childPids(scheduler));
        crash.submit(1, true);
      });
      return;
    }
    after = pid;
    // After the crash, a spare shows up beside the replacement (waited for generously).
    const look = (tries: number) => {
      const pids = childPids(scheduler);
      if (pids.length === 2 || tries === 0) listed.push(pids);
      else scheduler.callLater(50, () => look(tries - 1));
    };
    look(400);
  });
  crash.onException(() => probe.submit());
  scheduler.onStart(() => probe.submit());
  await scheduler.run({ onException: "continue", timeout: "60s" });
  assert.equal(listed.length, 2);
  assert.deepEqual(listed[0], [first], "no spare beside the only process");
  assert.ok(after > 0 && after !== first);
  assert.equal(listed[1].length, 2, `the replacement and a spare: ${listed[1]}`);
  assert.ok(listed[1].includes(after));
});

function chatter(comm: Comm, tag: number): number {
  for (let i = 0; i < 3; i++) {
    console.log(`${tag}:${i}`);
    comm.send(`${tag}:${i}`);
  }
  return tag;
}

Deno.test("pipeline: output and comm frames of prefetched calls stay with their call, in order", async () => {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false, echo: false });
  const task = scheduler.task(chatter, { comm: true });
  const printed = new Map<number, string[]>();
  const sent = new Map<number, unknown[]>();
  const order: string[] = [];
  task.onOutput((future, text) => {
    const tag = future.args[0] as number;
    printed.set(tag, [...(printed.get(tag) ?? []), text.trim()]);
  });
  task.on(Comm.MESSAGE, (msg: Msg) => {
    const tag = msg.future.args[0] as number;
    sent.set(tag, [...(sent.get(tag) ?? []), msg.data]);
  });
  task.onResult((_f, tag: number) => order.push(`result ${tag}`));
  let inFlight = 0;
  scheduler.onStart(() => {
    for (let tag = 0; tag < 10; tag++) task.submit(tag);
    inFlight = held(scheduler);
  });
  await scheduler.run({ timeout: "30s" });
  assert.equal(inFlight, 10);
  for (let tag = 0; tag < 10; tag++) {
    const expected = [0, 1, 2].map((i) => `${tag}:${i}`);
    assert.deepEqual(printed.get(tag), expected);
    assert.deepEqual(sent.get(tag), expected);
  }
  assert.deepEqual(order, Array.from({ length: 10 }, (_, tag) => `result ${tag}`));
});
