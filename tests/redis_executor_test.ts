/**
 * The Redis executor through two real `baton worker` subprocesses: results,
 * events, errors, remote functions, comm, limits.
 */
import assert from "node:assert/strict";
import {
  type Future,
  RedisExecutor,
  Scheduler,
  ThrownValueError,
  WallTimeLimitError,
} from "../mod.ts";
import { collatzPlusOffset } from "./fixtures/remote_fns.ts";
import { checkErrorsAndOutput } from "./remote_checks.ts";
import { askDoubles, sendThree } from "./fixtures/comm_fns.ts";
import { queueName, redisTest, startWorker, type TestWorker, withRedis } from "./redis_helpers.ts";

async function withWorkers(
  fn: (url: string, queue: string, workers: TestWorker[]) => Promise<void>,
  extra: string[] = [],
): Promise<void> {
  await withRedis({}, async (redis) => {
    const queue = queueName("exec");
    const workers = await Promise.all(
      ["w1", "w2"].map((name) => startWorker(redis.url, queue, name, extra)),
    );
    try {
      await fn(redis.url, queue, workers);
    } finally {
      const codes = await Promise.all(workers.map((w) => w.stop()));
      assert.deepStrictEqual(codes, [0, 0], workers.map((w) => w.output()).join("\n"));
    }
  });
}

function collatz(n: number): number {
  return n % 2 === 0 ? n / 2 : 3 * n + 1;
}

redisTest("redis: a collatz chain through two workers, with the local event order", async () => {
  await withWorkers(async (url, queue) => {
    const scheduler = Scheduler.withRedis({ connection: url, queue });
    const task = scheduler.task(collatz);
    const seen: number[] = [12];
    const order: string[] = [];
    const futures: Future[] = [];
    scheduler.onStart(() => task.submit(12));
    scheduler.onFutureSubmitted(() => order.push("future-submitted"));
    scheduler.onFutureDone(() => order.push("future-done"));
    scheduler.onFutureResult(() => order.push("future-result"));
    task.onSubmitted(() => order.push("submitted"));
    task.onResult((future, n) => {
      futures.push(future);
      order.push("result");
      seen.push(n);
      if (n !== 1) task.submit(n);
    });
    const exit = await scheduler.run({ timeout: "60s" });
    assert.deepStrictEqual(exit.code, "exhausted");
    assert.deepStrictEqual(seen, [12, 6, 3, 10, 5, 16, 8, 4, 2, 1]);
    assert.deepStrictEqual(order.slice(0, 5), [
      "future-submitted",
      "submitted",
      "future-done",
      "future-result",
      "result",
    ]);
    assert.deepStrictEqual(scheduler.eventCounts.get("future-result"), 9);
    const executor = scheduler.executor as RedisExecutor;
    assert.deepStrictEqual(futures.map((f) => executor.attempts(f)), Array(9).fill(1));
  });
});

redisTest("redis: structured values, remote module functions, errors", async () => {
  await withWorkers(async (url, queue) => {
    const scheduler = Scheduler.withRedis({ connection: url, queue });
    const results: Record<string, unknown> = {};
    scheduler.onStart(async () => {
      results.map = await scheduler.submit(
        (m: Map<string, Date>) => new Map([...m].map(([k, d]) => [k, d.getTime()])),
        new Map([["epoch", new Date(0)]]),
      );
      // Plain data goes as JSON, other values as V8 serialization: both arrive as sent.
      results.plain = await scheduler.submit(
        (v: { text: string; list: unknown[] }) => ({ ...v, echoed: v.text.length }),
        { text: "é ☃ \u2028 \ud800", list: [1, null, { deep: [true] }] },
      );
      results.zero = await scheduler.submit((v: number) => [v, -v], -0);
      results.remote = await scheduler.submit(collatzPlusOffset, 7);
      const typeError = scheduler.submit((x: number) => {
        if (x > 0) throw new TypeError(`bad ${x}`);
      }, 3);
      await assert.rejects(
        Promise.resolve(typeError),
        (e: Error) => e instanceof TypeError && e.message === "bad 3",
      );
      assert.deepStrictEqual((scheduler.executor as RedisExecutor).attempts(typeError), 1);
      const thrown = scheduler.submit(() => {
        throw 42;
      });
      const error = await Promise.resolve(thrown).catch((e) => e);
      assert.ok(error instanceof ThrownValueError, String(error));
    });
    const exit = await scheduler.run({ timeout: "60s", onException: "continue" });
    assert.deepStrictEqual(exit.code, "exhausted");
    assert.deepStrictEqual(results.map, new Map([["epoch", 0]]));
    assert.deepStrictEqual(results.plain, {
      text: "é ☃ \u2028 \ud800",
      list: [1, null, { deep: [true] }],
      echoed: 7,
    });
    assert.deepStrictEqual(results.zero, [-0, 0]);
    assert.ok(Object.is((results.zero as number[])[0], -0));
    assert.deepStrictEqual(results.remote, 1022);
    assert.deepStrictEqual(scheduler.eventCounts.get("future-exception"), 2);
  });
});

redisTest("redis: an argument that cannot be sent rejects and names it", async () => {
  await withRedis({}, async (redis) => {
    const scheduler = Scheduler.withRedis({ connection: redis.url, queue: queueName("clone") });
    let error: unknown;
    scheduler.onStart(async () => {
      error = await Promise.resolve(scheduler.submit((f: unknown) => f, () => 1)).catch((e) => e);
    });
    await scheduler.run({ timeout: "20s", onException: "continue" });
    assert(error instanceof DOMException && error.name === "DataCloneError", String(error));
    assert((error as Error).message.includes("argument 0"), (error as Error).message);
  });
});

redisTest("redis: comm messages and requests travel through Redis", async () => {
  await withWorkers(async (url, queue) => {
    const scheduler = Scheduler.withRedis({ connection: url, queue });
    const talk = scheduler.task(sendThree, { comm: true });
    const ask = scheduler.task(askDoubles, { comm: true });
    const messages: unknown[] = [];
    talk.on("comm-message", (msg) => messages.push(msg.data));
    ask.on("comm-request", (msg) => msg.respond((msg.data as number) * 2));
    const results: unknown[] = [];
    talk.onResult((_f, r) => results.push(r));
    ask.onResult((_f, r) => results.push(r));
    scheduler.onStart(() => {
      talk.submit();
      ask.submit([1, 2, 3]);
    });
    const exit = await scheduler.run({ timeout: "60s" });
    assert.deepStrictEqual(exit.code, "exhausted");
    assert.deepStrictEqual(messages, [1, 2, 3]);
    assert.deepStrictEqual(results.length, 2);
    assert(results.some((r) => JSON.stringify(r) === "[2,4,6]"), JSON.stringify(results));
    for (const task of [talk, ask]) {
      assert.deepStrictEqual(task.eventCounts.get("comm-open"), 1);
      assert.deepStrictEqual(task.eventCounts.get("comm-close"), 1);
    }
    assert.deepStrictEqual(ask.eventCounts.get("comm-request"), 3);
  });
});

redisTest("redis: the worker enforces a wall-time limit and the task event fires", async () => {
  await withWorkers(async (url, queue) => {
    const scheduler = Scheduler.withRedis({ connection: url, queue });
    const sleepy = scheduler.task(async (ms: number) => {
      await new Promise((r) => setTimeout(r, ms));
      return ms;
    }, { limits: { wallTime: "2s" } }); // the clock starts as the process does: room for a busy machine
    let limitError: unknown;
    sleepy.onWallTimeLimitReached((_f, error) => limitError = error);
    scheduler.onStart(() => {
      sleepy.submit(30_000);
      sleepy.submit(10);
    });
    await scheduler.run({ timeout: "60s", onException: "continue" });
    assert.ok(limitError instanceof WallTimeLimitError, String(limitError));
    assert.deepStrictEqual((limitError as WallTimeLimitError).limit, 2_000);
    assert.deepStrictEqual(sleepy.eventCounts.get("result"), 1);
    assert.deepStrictEqual(sleepy.eventCounts.get("exception"), 1);
  });
});

redisTest(
  "redis: workers with --executor sequential run source and module functions in-thread, refusing memory limits",
  async () => {
    await withWorkers(async (url, queue) => {
      const scheduler = Scheduler.withRedis({ connection: url, queue });
      const results: unknown[] = [];
      scheduler.onStart(async () => {
        results.push(await scheduler.submit(collatz, 7));
        results.push(await scheduler.submit(collatzPlusOffset, 7));
        const limited = scheduler.task(collatz, { limits: { memory: "64MB" } });
        const refused = await Promise.resolve(limited.submit(7)!).catch((e: Error) => e.message);
        results.push(refused);
      });
      const exit = await scheduler.run({ timeout: "60s", onException: "continue" });
      assert.deepStrictEqual(exit.code, "exhausted");
      assert.deepStrictEqual(results.slice(0, 2), [22, 1022]);
      assert.match(String(results[2]), /cannot enforce the memory limit/);
    }, ["--executor", "sequential"]);
  },
);

redisTest("redis: a call executed again (a retry by the scheduler) becomes a new job", async () => {
  await withWorkers(async (url, queue) => {
    const executor = new RedisExecutor({ connection: url, queue });
    const outcomes: unknown[] = [];
    let settled = Promise.withResolvers<void>();
    await executor.start({
      started: () => {},
      fulfilled: (_call, value) => {
        outcomes.push(value);
        settled.resolve();
      },
      rejected: (_call, error) => {
        outcomes.push(error);
        settled.resolve();
      },
      comm: () => {},
    });
    try {
      const call = { id: 1, fn: collatz, args: [7], limits: {} };
      executor.execute(call);
      await settled.promise;
      settled = Promise.withResolvers();
      executor.execute({ ...call, args: [8] });
      await settled.promise;
      assert.deepStrictEqual(outcomes, [22, 4]);
    } finally {
      await executor.shutdown(true);
    }
  });
});

redisTest(
  "redis: errors keep class, fields and cause; policies match by chain; output reaches the main process",
  async () => {
    await withWorkers(async (url, queue) => {
      await checkErrorsAndOutput(Scheduler.withRedis({ connection: url, queue, echo: false }));
    });
  },
);
