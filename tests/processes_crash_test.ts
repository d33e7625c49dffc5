/**
 * Crash recovery of the process executor: a process that dies on its own
 * rejects exactly the call it ran, is replaced, and nothing queued is lost.
 */

import assert from "node:assert/strict";
import { Scheduler, WorkerCrashedError } from "../mod.ts";
import { alive, childPids, counts, maybeCrash, sleep, whoAmI } from "./processes_fixtures.ts";

Deno.test("processes: Deno.exit(3) rejects the call with WorkerCrashedError carrying code and stderr", async () => {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
  const task = scheduler.task(function noisyExit() {
    console.error("about to exit on purpose");
    Deno.exit(3);
  });
  const after = scheduler.task(whoAmI);
  let error: unknown;
  let pid = 0;
  scheduler.onStart(() => task.submit());
  task.onException((_f, e) => {
    error = e;
    after.submit();
  });
  after.onResult((_f, p) => pid = p);
  const exit = await scheduler.run({ onException: "continue" });
  assert.equal(exit.code, "exhausted");
  assert.ok(error instanceof WorkerCrashedError, String(error));
  assert.equal(error.code, 3);
  assert.equal(error.signal, undefined);
  assert.match(error.stderr!, /about to exit on purpose/);
  assert.match(error.message, /exited with code 3 while running noisyExit/);
  assert.ok(pid > 0, "a replacement process answered");
  assert.deepEqual(counts(task), { done: 1, exception: 1, submitted: 1 });
});

Deno.test("processes: SIGKILL from outside rejects the running call with its signal", async () => {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
  const task = scheduler.task(sleep);
  let error: unknown;
  let victim = 0;
  const results: number[] = [];
  scheduler.onStart(() => {
    task.submit(10_000);
    task.submit(50); // queued behind it; must still run
    victim = scheduler.executor.info().workers[0].pid!;
    // Once the call is surely running, kill its process as an outsider would.
    scheduler.callLater(500, () => Deno.kill(victim, "SIGKILL"));
  });
  task.onException((_f, e) => error = e);
  task.onResult((_f, ms) => results.push(ms));
  await scheduler.run({ onException: "continue" });
  assert.ok(error instanceof WorkerCrashedError, String(error));
  assert.equal(error.signal, "SIGKILL");
  assert.match(error.message, /was killed by SIGKILL/);
  assert.deepEqual(results, [50]);
  assert.ok(!alive(victim));
});

Deno.test("processes: 20 calls over 2 processes, every third crashing — each settles once, right", async () => {
  const scheduler = Scheduler.withProcesses(2, { forwardStderr: false });
  const task = scheduler.task(maybeCrash);
  const results = new Map<number, number>();
  const crashed: number[] = [];
  scheduler.onStart(() => {
    for (let i = 0; i < 20; i++) task.submit(i, i % 3 === 2);
  });
  task.onResult((f, value) => results.set(f.args[0] as number, value));
  task.onException((f, error) => {
    assert.ok(error instanceof WorkerCrashedError);
    assert.equal(error.code, 3);
    crashed.push(f.args[0] as number);
  });
  const exit = await scheduler.run({ onException: "continue" });
  assert.equal(exit.code, "exhausted");
  assert.deepEqual(crashed.sort((a, b) => a - b), [2, 5, 8, 11, 14, 17]);
  assert.equal(results.size, 14);
  for (const [n, value] of results) assert.equal(value, n * 2);
  assert.deepEqual(counts(task), { done: 20, exception: 6, result: 14, submitted: 20 });
  assert.deepEqual(childPids(scheduler), []);
});

Deno.test("processes: a pool whose processes die at start-up fails every call clearly, no loop", async () => {
  const scheduler = Scheduler.withProcesses(1, {
    v8Flags: ["--max-old-space-size=not-a-number"],
    forwardStderr: false,
  });
  const task = scheduler.task(whoAmI);
  const messages: string[] = [];
  scheduler.onStart(() => {
    for (let i = 0; i < 5; i++) task.submit();
  });
  task.onException((_f, error) => {
    assert.ok(error instanceof WorkerCrashedError, String(error));
    messages.push(error.message);
  });
  const exit = await scheduler.run({ onException: "continue" });
  assert.equal(exit.code, "exhausted");
  assert.equal(messages.length, 5);
  assert.match(messages[0], /at start-up[\s\S]*V8 did not recognize flag/);
  for (const message of messages.slice(2)) {
    assert.match(message, /^processes keep dying at start-up \(3 in a row\)/);
  }
  assert.deepEqual(childPids(scheduler), []);
});

Deno.test("processes: under onException raise, a start-up failure rejects run()", async () => {
  const scheduler = Scheduler.withProcesses(1, {
    v8Flags: ["--no-such-flag"],
    forwardStderr: false,
  });
  const task = scheduler.task(whoAmI);
  scheduler.onStart(() => task.submit());
  await assert.rejects(scheduler.run(), WorkerCrashedError);
  assert.deepEqual(childPids(scheduler), []);
});
