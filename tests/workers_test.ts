import assert from "node:assert/strict";
import { type Future, Scheduler, ThrownValueError, WorkerCrashedError } from "../mod.ts";
import { collatz, fail, failLater, sleepThen, throwValue } from "./fixtures/functions.ts";
import { collatzPlusOffset } from "./fixtures/remote_fns.ts";
import { runFixture } from "./helpers.ts";

/** Runs `body` in onStart with the scheduler and collects every future's outcome. */
async function outcomes(
  scheduler: Scheduler,
  body: () => Future[],
): Promise<Array<{ status: string; value?: unknown; error?: Error }>> {
  let futures: Future[] = [];
  const handler = scheduler.onStart(() => {
    futures = body();
  });
  await scheduler.run({ onException: "continue" });
  handler.remove();
  return futures.map((f) => ({ status: f.status, value: f.value, error: f.error as Error }));
}

Deno.test("sync throws, async rejections and non-Error throws reach future-exception with message and stack", async () => {
  const scheduler = Scheduler.withWorkers(2);
  const errors: unknown[] = [];
  scheduler.onFutureException((_f, e) => errors.push(e));
  const [sync, rejected, thrown] = await outcomes(scheduler, () => [
    scheduler.submit(fail, "sync"),
    scheduler.submit(failLater, "async"),
    scheduler.submit(throwValue, { code: 7 }),
  ]);
  assert.equal(errors.length, 3);
  assert.ok(sync.error instanceof TypeError);
  assert.equal(sync.error.message, "sync");
  assert.match(sync.error.stack ?? "", /fail/);
  assert.ok(rejected.error instanceof RangeError);
  assert.equal(rejected.error.message, "async");
  assert.ok(thrown.error instanceof ThrownValueError);
  assert.deepEqual((thrown.error as ThrownValueError).value, { code: 7 });
  assert.match(thrown.error.message, /non-Error value was thrown: \{ code: 7 \}/);
  assert.ok(thrown.error.stack);
});

function escapeLater(): string {
  setTimeout(() => {
    throw new Error("escaped the task");
  }, 0);
  return "returned";
}

function waitForever(): Promise<never> {
  return new Promise(() =>
    setTimeout(() => {
      throw new Error("escaped while running");
    }, 10)
  );
}

Deno.test("an error escaping inside a worker rejects its call, the worker is replaced, the rest runs", async () => {
  const scheduler = Scheduler.withWorkers(1, { prefetch: 1 });
  const results = await outcomes(scheduler, () => [
    scheduler.submit(waitForever),
    scheduler.submit(collatz, 6),
    scheduler.submit(collatz, 7),
  ]);
  assert.equal(results[0].status, "rejected");
  assert.ok(results[0].error instanceof WorkerCrashedError);
  assert.match(results[0].error.message, /escaped while running/);
  assert.deepEqual(results.slice(1).map((r) => r.value), [3, 22]);
});

Deno.test("an error escaping after a call returned does not take down the main process", async () => {
  const scheduler = Scheduler.withWorkers(1);
  const results = await outcomes(scheduler, () => [scheduler.submit(escapeLater)]);
  assert.equal(results[0].value, "returned");
  // The escaped error ended that worker; a fresh run still works.
  const again = await outcomes(scheduler, () => [scheduler.submit(collatz, 3)]);
  assert.equal(again[0].value, 10, `${again[0].status}: ${again[0].error?.stack}`);
});

Deno.test("a value that cannot be cloned rejects only its own future, naming the argument or result", async () => {
  const scheduler = Scheduler.withWorkers(1);
  const results = await outcomes(scheduler, () => [
    scheduler.submit((a: number, _b: unknown) => a, 1, () => "a function"),
    scheduler.submit(function makeFunction() {
      return () => 1;
    }),
    scheduler.submit(collatz, 5),
  ]);
  assert.equal(results[0].status, "rejected");
  assert.match(results[0].error!.message, /argument 1 \(\[object Function\]\)/);
  assert.equal(results[1].status, "rejected");
  assert.match(results[1].error!.message, /result of makeFunction could not be sent back/);
  assert.equal(results[2].value, 16);
});

const secret = 41;

Deno.test("a function reading its enclosing scope fails with a ReferenceError that says what to do", async () => {
  const scheduler = Scheduler.withWorkers(1);
  const [result] = await outcomes(scheduler, () => [scheduler.submit(() => secret + 1)]);
  assert.ok(result.error instanceof ReferenceError);
  assert.match(result.error.message, /secret is not defined in the worker/);
  assert.match(result.error.message, /remote\(import\.meta\.url/);
});

Deno.test("remote(import.meta.url, fn) functions are imported by URL and may use their module's imports", async () => {
  const scheduler = Scheduler.withWorkers(2);
  const task = scheduler.task(collatzPlusOffset);
  const results: number[] = [];
  scheduler.onStart(() => {
    task.submit(4);
    task.submit(5);
  });
  task.onResult((_f, r) => results.push(r));
  await scheduler.run();
  assert.deepEqual(results.sort((a, b) => a - b), [1002, 1016]);
  // remote() returns the function unchanged.
  assert.equal(collatzPlusOffset(3), 1010);
});

Deno.test("methods and async functions are rebuilt from their source", async () => {
  const scheduler = Scheduler.withWorkers(1);
  const helpers = {
    triple(x: number) {
      return x * 3;
    },
    async half(x: number) {
      await Promise.resolve();
      return x / 2;
    },
  };
  const results = await outcomes(scheduler, () => [
    scheduler.submit(helpers.triple, 3),
    scheduler.submit(helpers.half, 3),
  ]);
  assert.deepEqual(results.map((r) => r.value), [9, 1.5]);
});

async function tryFetch(): Promise<string> {
  await fetch("http://127.0.0.1:45679/");
  return "fetched";
}

async function readEnv(): Promise<string> {
  return await Promise.resolve(Deno.env.get("HOME") ?? "");
}

Deno.test("worker permissions narrow what task code may do", async () => {
  const scheduler = Scheduler.withWorkers(1, { permissions: { net: false, env: true } });
  const [net, env] = await outcomes(scheduler, () => [
    scheduler.submit(tryFetch),
    scheduler.submit(readEnv),
  ]);
  assert.equal(net.status, "rejected");
  assert.equal(net.error!.name, "NotCapable");
  assert.match(net.error!.message, /net access/);
  assert.ok(net.error instanceof Deno.errors.NotCapable);
  assert.equal(env.status, "fulfilled");
});

Deno.test("a task's own permissions get a worker of their own", async () => {
  const scheduler = Scheduler.withWorkers(1);
  const sandboxed = scheduler.task(readEnv, { permissions: "none" });
  const open = scheduler.task(readEnv);
  const results = await outcomes(scheduler, () => [sandboxed.submit()!, open.submit()!]);
  assert.equal(results[0].status, "rejected");
  assert.equal(results[0].error!.name, "NotCapable");
  assert.equal(results[1].status, "fulfilled");
});

Deno.test("without --unstable-worker-options, asking for worker permissions is a clear error, not a dead process", async () => {
  const script = `
    import { Scheduler } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
    try {
      Scheduler.withWorkers(1, { permissions: "none" });
      console.log("no error");
    } catch (error) {
      console.log(error.message);
    }`;
  // The project's import map, without "unstable": ["worker-options"].
  const dir = await Deno.makeTempDir();
  const project = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ imports: project.imports }));
  await Deno.writeTextFile(`${dir}/main.ts`, script);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-lock", `--config=${dir}/deno.json`, `${dir}/main.ts`],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(dir, { recursive: true });
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.match(stdout, /--unstable-worker-options/);
  assert.match(stdout, /Scheduler\.withProcesses/);
});

Deno.test("CPU and memory limits are refused on workers and sequential, naming the executor that can", () => {
  const workers = Scheduler.withWorkers(1);
  assert.throws(() => workers.task(collatz, { limits: { cpuTime: "1s" } }), /withProcesses/);
  assert.throws(
    () => workers.task(collatz, { limits: { memory: "64MB" } }),
    /memory.*withProcesses/,
  );
  const sequential = Scheduler.sequential();
  assert.throws(() => sequential.task(collatz, { limits: { memory: "64MB" } }), /withProcesses/);
  assert.throws(
    () => sequential.task(collatz, { permissions: "none" }),
    /cannot narrow permissions/,
  );
  assert.throws(() => sequential.task(collatz, { limits: { wallTime: "1 fortnight" } }), TypeError);
});

Deno.test("an idle worker takes back calls waiting behind a long one", async () => {
  const scheduler = Scheduler.withWorkers(2, { prefetch: 4 });
  const finished: string[] = [];
  scheduler.onFutureResult((_f, value) => finished.push(value as string));
  const started = performance.now();
  scheduler.onStart(() => {
    scheduler.submit(sleepThen, 600, "long");
    for (let i = 0; i < 6; i++) scheduler.submit(sleepThen, 50, `short${i}`);
  });
  await scheduler.run();
  const elapsed = performance.now() - started;
  assert.equal(finished.at(-1), "long");
  assert.equal(finished.length, 7);
  // Without stealing, shorts queued behind "long" would end after it (~650ms+).
  assert.ok(elapsed < 1_200, `took ${elapsed}ms`);
});

Deno.test("an error escaping a worker is told once, by its call: Deno prints no 'Uncaught (in worker)'", async () => {
  const run = await runFixture("escaping_worker.ts");
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.result, [
    "worker-1 ended itself with an uncaught error (Error: escaped while running) while running escapeWhileRunning; it was replaced",
    "worker-2 ended itself with an unhandled rejection (Error: nobody awaits this) while running rejectUnawaited; it was replaced",
  ]);
  assert.doesNotMatch(run.stderr, /Uncaught|^\s+at /m);
});

Deno.test("workers: a prefetched call starts only after the call before it on its worker is settled", async () => {
  const scheduler = Scheduler.withWorkers(1);
  const task = scheduler.task(sleepThen);
  const order: string[] = [];
  const settledAt = new Map<number, number>();
  const futures: Future[] = [];
  scheduler.onStart(() => {
    for (let i = 0; i < 6; i++) futures.push(task.submit(5, i)!);
  });
  task.onResult((future, value) => {
    order.push(`result ${value}`);
    settledAt.set(future.id, performance.timeOrigin + performance.now());
    // A slow result callback: the next call must not be counted as started during it.
    const until = performance.now() + 15;
    while (performance.now() < until) { /* busy */ }
  });
  await scheduler.run();
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5].map((i) => `result ${i}`));
  for (let i = 1; i < futures.length; i++) {
    assert.ok(
      futures[i].startedAt! >= settledAt.get(futures[i - 1].id)!,
      `call ${i} started before call ${i - 1} was settled`,
    );
  }
});
