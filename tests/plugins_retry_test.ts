import assert from "node:assert/strict";
import {
  CancelledError,
  type Future,
  Limiter,
  Retry,
  Scheduler,
  WallTimeLimitError,
} from "../mod.ts";
import { counts } from "./helpers.ts";
import { queueName, redisTest, withRedis } from "./redis_helpers.ts";

/**
 * `spec` is `key:failures[:ErrorClass]`: fails its first `failures` calls
 * for `key` with that class of error, then returns `key`. Counts in the
 * worker's globals, so every attempt must run in the same worker: the
 * schedulers here have one.
 */
function flaky(spec: string): string {
  const [key, failures, kind = "Error"] = spec.split(":");
  const g = globalThis as unknown as { calls?: Record<string, number> };
  const calls = (g.calls ??= {});
  calls[key] = (calls[key] ?? 0) + 1;
  if (calls[key] <= Number(failures)) {
    const Kind = (globalThis as unknown as Record<string, ErrorConstructor>)[kind];
    throw new Kind(`${key} failed (${calls[key]})`);
  }
  return key;
}

const ONE_WORKER: Array<[string, () => Scheduler]> = [
  ["sequential", () => Scheduler.sequential()],
  ["workers", () => Scheduler.withWorkers(1)],
  ["processes", () => Scheduler.withProcesses(1)],
];

const FAST = { delay: 1, jitter: false } as const;

for (const [name, make] of ONE_WORKER) {
  Deno.test(`a failed call runs again on the same future, which settles once [${name}]`, async () => {
    const scheduler = make();
    const task = scheduler.task(flaky, { plugins: new Retry({ attempts: 3, ...FAST }) });
    const order: string[] = [];
    for (const event of ["submitted", "done", "result", "exception"]) {
      task.on(event, () => order.push(event));
    }
    const retries: Array<[number, number, string, string]> = [];
    task.on(Retry.RETRY, (future, error, attempt, delayMs) => {
      order.push(`retry ${attempt}`);
      retries.push([attempt, delayMs, (error as Error).message, future.status]);
    });
    let future: Future | undefined;
    scheduler.onStart(() => {
      future = task.submit(`${name}-a:2`);
    });
    await scheduler.run();
    assert.equal(future?.status, "fulfilled");
    assert.equal(future?.value, `${name}-a`);
    assert.equal(future?.attempts, 3);
    assert.deepEqual(order, ["submitted", "retry 1", "retry 2", "done", "result"]);
    assert.deepEqual(retries, [
      [1, 1, `${name}-a failed (1)`, "pending"],
      [2, 2, `${name}-a failed (2)`, "pending"],
    ]);
    assert.deepEqual(
      counts(scheduler, ["future-submitted", "future-done", "future-result", "future-exception"]),
      { "future-submitted": 1, "future-done": 1, "future-result": 1, "future-exception": 0 },
    );
  });

  Deno.test(`after the last attempt the failure stands, with its own error [${name}]`, async () => {
    const scheduler = make();
    const task = scheduler.task(flaky, { plugins: new Retry({ attempts: 3, ...FAST }) });
    let future: Future | undefined;
    scheduler.onStart(() => {
      future = task.submit(`${name}-b:10`);
    });
    const exit = await scheduler.run({ onException: "end" });
    assert.equal(exit.code, "exception");
    assert.equal((exit.error as Error).message, `${name}-b failed (3)`);
    assert.equal(future?.attempts, 3);
    assert.equal(future?.status, "rejected");
    assert.deepEqual(counts(task, ["retry", "done", "exception"]), {
      retry: 2,
      done: 1,
      exception: 1,
    });
  });

  Deno.test(`on: [ErrorClass] narrows what is retried [${name}]`, async () => {
    const scheduler = make();
    const task = scheduler.task(flaky, {
      plugins: new Retry({ attempts: 4, on: [RangeError], ...FAST }),
    });
    const futures: Future[] = [];
    scheduler.onStart(() => {
      futures.push(task.submit(`${name}-range:2:RangeError`)!);
      futures.push(task.submit(`${name}-type:2:TypeError`)!);
    });
    await scheduler.run({ onException: "continue" });
    assert.deepEqual(futures.map((f) => [f.status, f.attempts]), [["fulfilled", 3], [
      "rejected",
      1,
    ]]);
    assert.ok(futures[1].error instanceof TypeError);
    assert.equal(task.eventCounts.get("retry"), 2);
  });
}

Deno.test("limit errors are not retried by default; on: [WallTimeLimitError] retries them", async () => {
  const slow = async () => await new Promise((resolve) => setTimeout(resolve, 5_000));
  for (
    const [retry, attempts] of [[new Retry(FAST), 1], [
      new Retry({ on: WallTimeLimitError, ...FAST }),
      3,
    ]] as const
  ) {
    const scheduler = Scheduler.sequential();
    const task = scheduler.task(slow, { limits: { wallTime: "20ms" }, plugins: retry });
    let future: Future | undefined;
    scheduler.onStart(() => {
      future = task.submit();
    });
    await scheduler.run({ onException: "continue" });
    assert.ok(future?.error instanceof WallTimeLimitError, String(future?.error));
    assert.equal(future?.attempts, attempts);
    assert.equal(task.eventCounts.get("wall-time-limit-reached"), 1);
  }
});

Deno.test("the backoff grows by factor up to maxDelay; jitter keeps each wait within 50-100%", async () => {
  const delays = async (options: ConstructorParameters<typeof Retry>[0]) => {
    const scheduler = Scheduler.sequential();
    const task = scheduler.task(() => {
      throw new Error("always");
    }, { plugins: new Retry(options) });
    const seen: number[] = [];
    task.on(Retry.RETRY, (_f, _e, _attempt, delayMs) => seen.push(delayMs));
    scheduler.onStart(() => task.submit());
    await scheduler.run({ onException: "continue" });
    return seen;
  };
  assert.deepEqual(
    await delays({ attempts: 5, delay: 2, factor: 3, maxDelay: 20, jitter: false }),
    [2, 6, 18, 20],
  );
  const jittered = await delays({ attempts: 4, delay: 8, factor: 2, jitter: true });
  assert.equal(jittered.length, 3);
  jittered.forEach((d, i) => {
    const base = 8 * 2 ** i;
    assert.ok(d >= base / 2 && d <= base, `retry ${i + 1} waited ${d}, base ${base}`);
  });
});

Deno.test("cancelling a future that waits for its retry cancels it at once, timer included", async () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task(() => {
    throw new Error("no");
  }, { plugins: new Retry({ delay: "1h" }) });
  task.on(Retry.RETRY, (future) => queueMicrotask(() => assert.ok(future.cancel())));
  let future: Future | undefined;
  scheduler.onStart(() => {
    future = task.submit();
  });
  const exit = await scheduler.run({ onCancelled: "continue" });
  assert.equal(exit.code, "exhausted");
  assert.equal(future?.status, "cancelled");
  assert.ok(future?.error instanceof CancelledError);
  assert.deepEqual(counts(task, ["retry", "cancelled", "done"]), {
    retry: 1,
    cancelled: 1,
    done: 0,
  });
});

Deno.test("stop() while a call waits for its retry cancels it when the run ends", async () => {
  const scheduler = Scheduler.withWorkers(1);
  const task = scheduler.task(() => {
    throw new Error("no");
  }, { plugins: new Retry({ delay: "1h" }) });
  task.on(Retry.RETRY, () => scheduler.stop());
  let future: Future | undefined;
  scheduler.onStart(() => {
    future = task.submit();
  });
  const exit = await scheduler.run();
  assert.equal(exit.code, "stopped");
  assert.equal(future?.status, "cancelled");
  assert.equal(future?.attempts, 1);
});

Deno.test("after stop() a failure is not retried", async () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task(async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    throw new Error("late");
  }, { plugins: new Retry(FAST) });
  // Stopped while the call runs: the run waits for it, and its failure stands.
  scheduler.onFutureSubmitted(() => scheduler.callLater(20, () => scheduler.stop()));
  scheduler.onStart(() => task.submit());
  const exit = await scheduler.run({ onException: "continue" });
  assert.equal(exit.code, "stopped");
  assert.equal(task.eventCounts.get("retry") ?? 0, 0);
  assert.equal(task.eventCounts.get("exception"), 1);
});

Deno.test("map over a retrying task gets every result; a queueing limiter keeps the slot across retries", async () => {
  const scheduler = Scheduler.withWorkers(1);
  const limiter = new Limiter({ maxConcurrent: 1, queue: true });
  const task = scheduler.task(flaky, { plugins: [limiter, new Retry({ attempts: 2, ...FAST })] });
  const order: string[] = [];
  task.onSubmitted((_f, spec) => order.push(`submit ${spec}`));
  task.on(Retry.RETRY, (f) => order.push(`retry ${f.args[0]}`));
  task.onResult((_f, key) => order.push(`result ${key}`));
  const results = await scheduler.map(task, ["m1:1", "m2:1"]);
  assert.deepEqual(results, ["m1", "m2"]);
  assert.deepEqual(order, [
    "submit m1:1",
    "submit m2:1",
    "retry m1:1",
    "result m1",
    "retry m2:1",
    "result m2",
  ]);
});

Deno.test("a reporting task reports the last failure after its retries", async () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task(flaky, {
    plugins: new Retry({ attempts: 2, ...FAST }),
    report: true,
  });
  const [ok, failed] = await scheduler.map(task, ["r3:1", "r4:5"]);
  assert.deepEqual(ok, { status: "success", value: "r3" });
  assert.equal(failed.status, "fail");
  assert.equal(failed.error?.message, "r4 failed (2)");
});

Deno.test("the rendering shows the retries", async () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task(flaky, { plugins: new Retry({ attempts: 3, ...FAST }) });
  scheduler.onStart(() => task.submit("shown:2"));
  await scheduler.run();
  const text = String(scheduler);
  assert.match(text, /plugin retry: Retried 2 times \(3 attempts per call\)/);
  assert.match(text, /@retry 2/);
});

Deno.test("Retry refuses bad options, pointing to the right ones", () => {
  assert.throws(() => new Retry({ attempts: 0 }), /attempts must be a positive integer.*got 0/);
  assert.throws(() => new Retry({ retries: 2 } as never), /"retries".*use attempts/);
  assert.throws(() => new Retry({ dealy: "1s" } as never), /did you mean "delay"/);
  assert.throws(
    () => new Retry({ on: "TypeError" } as never),
    /on must be an error class.*"TypeError"/,
  );
  assert.throws(() => new Retry({ delay: "soon" }), TypeError);
  assert.throws(() => new Retry({ factor: 0.5 }), /factor must be a number ≥ 1/);
  assert.throws(
    () => Scheduler.sequential().task(() => 1, { retries: 3 } as never),
    /use plugins: \[new Retry/,
  );
});

Deno.test("a plugin's retryAfter that returns nonsense is an error in the main process", async () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task(() => {
    throw new Error("x");
  }, { plugins: { name: "bad", attach() {}, retryAfter: () => -1 } });
  scheduler.onStart(() => task.submit());
  await assert.rejects(scheduler.run(), /Plugin "bad" asked for a retry after -1 ms/);
});

/** Fails until it has been called `failures` times, counting in the file `path`. */
async function flakyOnDisk(path: string, failures: number): Promise<number> {
  const calls = Number(await Deno.readTextFile(path).catch(() => "0")) + 1;
  await Deno.writeTextFile(path, String(calls));
  if (calls <= failures) throw new Error(`failure ${calls}`);
  return calls;
}

redisTest("Retry on Redis: each attempt is a new BullMQ job; the future settles once", async () => {
  await withRedis({}, async (redis) => {
    const scheduler = Scheduler.withRedis({
      connection: redis.url,
      queue: queueName("retry"),
      workers: 1,
    });
    const task = scheduler.task(flakyOnDisk, { plugins: new Retry({ attempts: 3, ...FAST }) });
    const path = await Deno.makeTempFile();
    try {
      let future: Future | undefined;
      scheduler.onStart(() => {
        future = task.submit(path, 2);
      });
      const exit = await scheduler.run({ timeout: "60s" });
      assert.equal(exit.code, "exhausted");
      assert.equal(future?.value, 3);
      assert.equal(future?.attempts, 3);
      assert.deepEqual(counts(task, ["retry", "done", "result"]), { retry: 2, done: 1, result: 1 });
    } finally {
      await Deno.remove(path);
    }
  });
});
