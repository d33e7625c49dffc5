/**
 * Every future settles; one task cannot sink another: workers and processes
 * that end themselves, permission entries checked at task(), and a start-up
 * breaker per set of options.
 */
import assert from "node:assert/strict";
import { RedisExecutor, Scheduler, SlurmExecutor, WorkerCrashedError } from "../mod.ts";
import { closeSelf, exitWith, half } from "./fixtures/crash_fns.ts";
import { homeLength } from "./fixtures/env_at_load.ts";
import { permissionFlags } from "../src/executors/process_flags.ts";
import { childPids } from "./processes_fixtures.ts";
import { runFixture } from "./helpers.ts";

function collatz(n: number): number {
  return n % 2 === 0 ? n / 2 : 3 * n + 1;
}

for (
  const [how, fn, args] of [["Deno.exit()", exitWith, [3]], [
    "self.close()",
    closeSelf,
    [],
  ]] as const
) {
  Deno.test(`workers: a call that ends its worker with ${how} rejects; calls prefetched to it run elsewhere`, async () => {
    const scheduler = Scheduler.withWorkers(1, { prefetch: 4 });
    const crash = scheduler.task(fn as (...args: unknown[]) => unknown);
    const errors: unknown[] = [];
    const results: number[] = [];
    crash.onException((_f, e) => errors.push(e));
    scheduler.onFutureResult((_f, v) => results.push(v as number));
    scheduler.onStart(() => {
      crash.submit(...args);
      for (const n of [6, 7, 8]) scheduler.submit(collatz, n);
    });
    const exit = await scheduler.run({ onException: "continue", timeout: "30s" });
    assert.equal(exit.code, "exhausted");
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof WorkerCrashedError, String(errors[0]));
    assert.match(
      (errors[0] as Error).message,
      new RegExp(`ended itself with ${how.slice(0, -2).replace(".", "\\.")}\\(`),
    );
    if (how === "Deno.exit()") assert.equal((errors[0] as WorkerCrashedError).code, 3);
    assert.deepEqual(results.sort((a, b) => a - b), [3, 4, 22]);
  });

  Deno.test(`processes: a call that ends its process with ${how} rejects with WorkerCrashedError`, async () => {
    const scheduler = Scheduler.withProcesses(1);
    const errors: unknown[] = [];
    const results: number[] = [];
    scheduler.onFutureException((_f, e) => errors.push(e));
    scheduler.onFutureResult((_f, v) => results.push(v as number));
    scheduler.onStart(() => {
      scheduler.submit(fn as (...args: unknown[]) => unknown, ...args);
      scheduler.submit(half, 8);
    });
    const exit = await scheduler.run({ onException: "continue", timeout: "30s" });
    assert.equal(exit.code, "exhausted");
    assert.ok(errors[0] instanceof WorkerCrashedError, String(errors[0]));
    assert.equal((errors[0] as WorkerCrashedError).code, how === "Deno.exit()" ? 3 : 0);
    assert.deepEqual(results, [4]);
    assert.deepEqual(childPids(scheduler), []);
  });
}

const BAD_ENTRIES: Array<[kind: string, entry: string, says: RegExp]> = [
  ["net", "http://[::bad", /URLs are not supported/],
  ["read", "/data,/etc", /comma/],
  ["write", "", /empty/],
  ["sys", "bogus", /Deno knows these/],
  ["env", "A=B", /cannot hold "="/],
];

Deno.test("permission entries Deno would refuse, or with a comma, are a TypeError at task(), on every executor that takes permissions", () => {
  const schedulers = [
    Scheduler.withWorkers(1),
    Scheduler.withProcesses(1),
    new Scheduler({
      executor: new RedisExecutor({ connection: "redis://127.0.0.1:1", queue: "never-used" }),
    }),
    new Scheduler({ executor: new SlurmExecutor({ workers: 1 }) }),
  ];
  for (const scheduler of schedulers) {
    for (const [kind, entry, says] of BAD_ENTRIES) {
      assert.throws(
        () => scheduler.task(collatz, { permissions: { [kind]: [entry] } }),
        (error: Error) =>
          error instanceof TypeError && error.message.includes(JSON.stringify(entry)) &&
          says.test(error.message),
        `${scheduler.executor.kind}: ${kind} ${entry}`,
      );
    }
    scheduler.task(collatz, {
      permissions: { net: ["example.com:443", "[::1]:80"], read: ["/tmp"] },
    });
  }
  assert.throws(() => Scheduler.withProcesses(1, { permissions: { read: ["/a,b"] } }), /comma/);
  assert.throws(() => Scheduler.withWorkers(1, { permissions: { read: ["/a,b"] } }), /comma/);
  // The flags of a process can never carry one, whatever reaches them.
  assert.throws(() => permissionFlags({ read: ["/data,/etc"] }), TypeError);
  assert.deepEqual(
    permissionFlags({ read: ["/data", "/etc"] }).filter((f) => f.startsWith("--allow-read")),
    [
      "--allow-read=/data,/etc",
    ],
  );
});

Deno.test("processes: one task's processes failing at start-up break only that task's calls", async () => {
  const scheduler = Scheduler.withProcesses(2, { forwardStderr: false });
  // Its processes cannot read the environment, which a module they import needs as it loads.
  const starved = scheduler.task(homeLength, { permissions: "none" });
  const fine = scheduler.task(half);
  const starvedErrors: unknown[] = [];
  const results: number[] = [];
  starved.onException((_f, e) => starvedErrors.push(e));
  fine.onResult((_f, v) => results.push(v));
  const first = scheduler.onStart(() => {
    for (let i = 0; i < 5; i++) starved.submit();
    for (let i = 1; i <= 6; i++) fine.submit(i * 2);
  });
  const exit = await scheduler.run({ onException: "continue", timeout: "60s" });
  assert.equal(exit.code, "exhausted");
  assert.equal(starvedErrors.length, 5);
  for (const error of starvedErrors) assert.ok(error instanceof WorkerCrashedError, String(error));
  assert.match((starvedErrors.at(-1) as Error).message, /keep dying at start-up/);
  assert.deepEqual(results.sort((a, b) => a - b), [1, 2, 3, 4, 5, 6]);
  // A later call of the healthy task still runs.
  first.remove();
  scheduler.onStart(() => void fine.submit(20));
  await scheduler.run({ onException: "continue" });
  assert.equal(results.length, 7);
  assert.deepEqual(childPids(scheduler), []);
});

Deno.test("workers: one task's workers that cannot start (permissions the program lacks) break only that task's calls", async () => {
  const run = await runFixture("escalate.ts", [], { flags: ["--allow-read", "--allow-env"] });
  assert.equal(run.code, 0, run.stderr);
  const result = run.result as { exit: string; plain: number[]; wants: string[] };
  assert.equal(result.exit, "exhausted");
  assert.deepEqual(result.plain.sort((a: number, b: number) => a - b), [0, 2, 4, 6]);
  assert.equal(result.wants.length, 4);
  for (const line of result.wants) {
    assert.match(line, /^WorkerCrashedError: could not start a worker/);
  }
});

Deno.test("workers: a worker stuck in synchronous code is reported once per task, and the program still exits after run()", async () => {
  const { code, signal, stderr: err, result } = await runFixture("stuck_worker.ts", [], {
    timeout: 30_000,
  });
  assert.equal(signal, null, `the program did not exit by itself:\n${err}`);
  assert.equal(code, 0, err);
  assert.deepEqual(result, { exit: "exhausted", errors: ["WallTimeLimitError"], cancelled: 1 });
  for (const task of ["spinForever", "spinUntilCancelled"]) {
    const notices = err.split("\n").filter((line) => line.includes(`task "${task}" is stuck`));
    assert.equal(notices.length, 1, err);
    assert.match(notices[0], /Scheduler\.withProcesses\(n\)/);
  }
});

Deno.test("workers: cancelling a call that is only waiting (not stuck) ends its worker without a notice", async () => {
  const scheduler = Scheduler.withWorkers(1);
  const wait = scheduler.task(async function waitLong() {
    await new Promise((resolve) => setTimeout(resolve, 60_000));
  });
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    scheduler.onStart(() => {
      const future = wait.submit()!;
      scheduler.callLater(200, () => future.cancel());
    });
    const exit = await scheduler.run({ onCancelled: "continue" });
    assert.equal(exit.code, "exhausted");
  } finally {
    console.error = original;
  }
  assert.deepEqual(lines.filter((line) => line.includes("stuck")), []);
});
