/**
 * Reliability of the Redis executor with real `baton worker` subprocesses:
 * killed workers, retries, Redis restarts, stopping without waiting.
 */
import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix
import { Queue } from "npm:bullmq@5.81.5";
import { type Future, type RedisExecutor, Scheduler } from "../mod.ts";
import {
  queueName,
  redisTest,
  startWorker,
  type TestRedis,
  type TestWorker,
  until,
  withRedis,
} from "./redis_helpers.ts";

/** Writes its worker's pid (the parent of the pool process) to `path`, then sleeps. */
async function reportThenSleep(path: string, ms: number): Promise<number> {
  await Deno.writeTextFile(path, String(Deno.ppid));
  await new Promise((r) => setTimeout(r, ms));
  return Deno.ppid;
}

/** Fails until its third attempt, counting attempts in a file. */
async function flaky(path: string): Promise<number> {
  const n = Number(await Deno.readTextFile(path).catch(() => "0")) + 1;
  await Deno.writeTextFile(path, String(n));
  if (n < 3) throw new Error(`attempt ${n} fails`);
  return n;
}

async function sleepThen(ms: number, value: number): Promise<number> {
  await new Promise((r) => setTimeout(r, ms));
  return value;
}

async function stopAll(workers: TestWorker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.stop()));
}

redisTest(
  "redis: a worker killed mid-task → the job runs again on the other worker, settles once",
  async () => {
    await withRedis({}, async (redis) => {
      const queue = queueName("kill");
      // A short lock, so the dead worker's job is recovered within seconds.
      const fast = ["--lock-duration", "2s"];
      const workers = [
        await startWorker(redis.url, queue, "w1", fast),
        await startWorker(redis.url, queue, "w2", fast),
      ];
      const dir = await Deno.makeTempDir();
      try {
        const scheduler = Scheduler.withRedis({ connection: redis.url, queue });
        const task = scheduler.task(reportThenSleep);
        let future: Future<number> | undefined;
        let killed: TestWorker | undefined;
        scheduler.onStart(() => future = task.submit(`${dir}/pid`, 2000));
        scheduler.onFutureSubmitted(async () => {
          const pid = Number(
            await until("the task to start", () => Deno.readTextFile(`${dir}/pid`).catch(() => "")),
          );
          killed = workers.find((w) => w.pid === pid);
          assert.ok(killed, `pid ${pid} is no worker's`);
          Deno.kill(pid, "SIGKILL");
        });
        const exit = await scheduler.run({ timeout: "90s" });
        assert.equal(exit.code, "exhausted");
        const survivor = workers.find((w) => w !== killed)!;
        assert.equal(future!.status, "fulfilled");
        assert.equal(future!.value, survivor.pid);
        assert.equal((scheduler.executor as RedisExecutor).attempts(future!), 2);
        assert.equal(future!.attempts, 2);
        assert.equal(scheduler.eventCounts.get("future-result"), 1);
        assert.equal(scheduler.eventCounts.get("future-done"), 1);
        assert.equal(task.eventCounts.get("result"), 1);
      } finally {
        await stopAll(workers);
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);

redisTest(
  "redis: maxAttempts and backoff retry a throwing job; without them it fails once",
  async () => {
    await withRedis({}, async (redis) => {
      const queue = queueName("retry");
      const workers = [await startWorker(redis.url, queue, "w1")];
      const dir = await Deno.makeTempDir();
      try {
        const retrying = Scheduler.withRedis({
          connection: redis.url,
          queue,
          maxAttempts: 3,
          backoff: "50ms",
        });
        let future: Future | undefined;
        retrying.onStart(() => future = retrying.submit(flaky, `${dir}/a`));
        await retrying.run({ timeout: "60s" });
        assert.equal(future!.value, 3);
        assert.equal((retrying.executor as RedisExecutor).attempts(future!), 3);
        assert.equal(future!.attempts, 3);
        assert.equal(retrying.executor.info().options.maxAttempts, 3);

        const once = Scheduler.withRedis({ connection: redis.url, queue });
        once.onStart(() => future = once.submit(flaky, `${dir}/b`));
        await once.run({ timeout: "60s", onException: "continue" });
        assert.equal(future!.status, "rejected");
        assert.equal((future!.error as Error).message, "attempt 1 fails");
        assert.equal((once.executor as RedisExecutor).attempts(future!), 1);
        assert.equal(future!.attempts, 1);
        assert.equal(await Deno.readTextFile(`${dir}/b`), "1");
      } finally {
        await stopAll(workers);
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);

async function restartDuringRun(redis: TestRedis): Promise<void> {
  const queue = queueName("restart");
  const workers = await Promise.all(
    ["w1", "w2"].map((name) => startWorker(redis.url, queue, name, ["--concurrency", "2"])),
  );
  try {
    const scheduler = Scheduler.withRedis({ connection: redis.url, queue });
    const task = scheduler.task(sleepThen);
    const values: number[] = [];
    let restarted = false;
    scheduler.onStart(() => {
      for (let i = 0; i < 16; i++) task.submit(200, i);
    });
    task.onResult(async (_f, value) => {
      values.push(value);
      if (values.length === 4 && !restarted) {
        restarted = true;
        await redis.restart();
      }
    });
    const exit = await scheduler.run({ timeout: "120s" });
    assert.equal(exit.code, "exhausted");
    assert.ok(restarted);
    assert.deepEqual(values.toSorted((a, b) => a - b), [...Array(16).keys()]);
    assert.equal(scheduler.eventCounts.get("future-result"), 16);
    assert.equal(scheduler.eventCounts.get("future-exception") ?? 0, 0);
  } finally {
    await stopAll(workers);
  }
}

redisTest(
  "redis: Redis restarted (with its append-only file) → no future lost or duplicated",
  async () => {
    await withRedis({ persist: true, restarts: true }, restartDuringRun);
  },
);

redisTest(
  "redis: Redis restarted empty → lost jobs are put back, no future lost or duplicated",
  async () => {
    await withRedis({ persist: false, restarts: true }, restartDuringRun);
  },
);

redisTest(
  "redis: stop with wait: false removes queued jobs and cancels the running one",
  async () => {
    await withRedis({}, async (redis) => {
      const queue = queueName("stop");
      const workers = [await startWorker(redis.url, queue, "w1")];
      const bull = new Queue(queue, { connection: { host: "127.0.0.1", port: redis.port } });
      try {
        const scheduler = Scheduler.withRedis({ connection: redis.url, queue });
        const task = scheduler.task(sleepThen);
        scheduler.onStart(() => {
          for (let i = 0; i < 5; i++) task.submit(30_000, i);
        });
        scheduler.on("future-submitted", () => {});
        task.onSubmitted(() => {});
        let started = 0;
        scheduler.onFutureSubmitted((future) => {
          until("a job to start", () => future.status === "running", 30_000).then(() => {
            if (++started === 1) scheduler.stop();
          }, () => {});
        });
        const begun = Date.now();
        const exit = await scheduler.run({ timeout: "60s", wait: false, onCancelled: "continue" });
        assert.equal(exit.code, "stopped");
        assert.ok(Date.now() - begun < 20_000, "stopping did not wait for the 30 s jobs");
        assert.equal(scheduler.eventCounts.get("future-cancelled"), 5);
        assert.equal(scheduler.eventCounts.get("future-done") ?? 0, 0);
        // Nothing of ours is left waiting, and the running job was stopped, not left to finish.
        await until("the queue to empty", async () => {
          const counts = await bull.getJobCounts("waiting", "active", "delayed", "prioritized");
          return Object.values(counts).every((n) => n === 0);
        });
        const failed = await bull.getFailed();
        assert.equal(failed.length, 1);
        assert.match(failed[0].failedReason, /cancelled/);
      } finally {
        await bull.close();
        await stopAll(workers);
      }
    });
  },
);

redisTest("redis: SIGTERM lets a running job finish, then the worker exits 0", async () => {
  await withRedis({}, async (redis) => {
    const queue = queueName("term");
    const worker = await startWorker(redis.url, queue, "w1");
    const scheduler = Scheduler.withRedis({ connection: redis.url, queue });
    let code: number | undefined;
    let future: Future | undefined;
    scheduler.onStart(() => future = scheduler.submit(sleepThen, 1500, 7));
    scheduler.onFutureSubmitted((f) => {
      until("the job to start", () => f.status === "running").then(() => worker.stop("SIGTERM"))
        .then((c) => code = c);
    });
    await scheduler.run({ timeout: "60s" });
    assert.equal(future!.value, 7);
    await until("the worker to exit", () => code !== undefined);
    assert.equal(code, 0, worker.output());
    assert.match(worker.output(), /stopping after 1 running job/);
  });
});
