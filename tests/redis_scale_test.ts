/**
 * The Redis executor at scale, with real `baton worker` subprocesses: eight
 * workers and ten thousand jobs; two schedulers sharing one Redis; a
 * scheduler that falls behind the event stream.
 */
import assert from "node:assert/strict";
import { type RedisExecutor, Scheduler } from "../mod.ts";
import { queueName, redisTest, startWorker, type TestWorker, withRedis } from "./redis_helpers.ts";

/** Runs in a worker's pool process: says which worker (its parent) ran it. */
function whoRuns(x: number): [number, number] {
  return [x, Deno.ppid];
}

async function stopAll(workers: TestWorker[]): Promise<number[]> {
  return await Promise.all(workers.map((w) => w.stop()));
}

redisTest(
  "redis: 8 baton workers, 10 000 jobs: none lost, none settled twice, every worker used",
  async () => {
    await withRedis({}, async (redis) => {
      const queue = queueName("eight");
      const workers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => startWorker(redis.url, queue, `w${i + 1}`)),
      );
      try {
        const scheduler = Scheduler.withRedis({ connection: redis.url, queue });
        const task = scheduler.task(whoRuns);
        const count = 10_000;
        const seen = new Uint8Array(count);
        const perWorker = new Map<number, number>();
        scheduler.onStart(() => {
          for (let i = 0; i < count; i++) task.submit(i);
        });
        task.onResult((_future, [x, worker]) => {
          seen[x]++;
          perWorker.set(worker, (perWorker.get(worker) ?? 0) + 1);
        });
        const exit = await scheduler.run({ timeout: "300s" });
        assert.equal(exit.code, "exhausted");
        assert.equal(scheduler.eventCounts.get("future-result"), count);
        assert.equal(scheduler.eventCounts.get("future-exception") ?? 0, 0);
        assert.equal(task.eventCounts.get("result"), count);
        assert.ok(seen.every((n) => n === 1), "every job settled exactly once");
        assert.deepEqual(
          [...perWorker.keys()].sort(),
          workers.map((w) => w.pid).sort(),
          "every worker ran jobs",
        );
        const shares = [...perWorker.values()].sort((a, b) => a - b);
        console.log(`jobs per worker: ${shares.join(", ")}`);
      } finally {
        assert.deepEqual(await stopAll(workers), Array(8).fill(0));
      }
    });
  },
);

redisTest(
  "redis: two schedulers with separate queues on one Redis see only their own jobs and events",
  async () => {
    await withRedis({}, async (redis) => {
      const queues = [queueName("left"), queueName("right")];
      const workers = await Promise.all(
        queues.map((queue, i) => startWorker(redis.url, queue, `w-${i}`, ["--concurrency", "2"])),
      );
      try {
        const schedulers = queues.map((queue) =>
          Scheduler.withRedis({ connection: redis.url, queue })
        );
        const outcomes = schedulers.map(() => ({ values: [] as number[], ran: new Set<number>() }));
        schedulers.forEach((scheduler, i) => {
          const task = scheduler.task(whoRuns);
          scheduler.onStart(() => {
            for (let x = 0; x < 200; x++) task.submit(i * 1_000 + x);
          });
          task.onResult((_f, [x, worker]) => {
            outcomes[i].values.push(x);
            outcomes[i].ran.add(worker);
          });
        });
        const exits = await Promise.all(schedulers.map((s) => s.run({ timeout: "120s" })));
        assert.deepEqual(exits.map((e) => e.code), ["exhausted", "exhausted"]);
        outcomes.forEach(({ values, ran }, i) => {
          assert.deepEqual(
            values.toSorted((a, b) => a - b),
            Array.from({ length: 200 }, (_, x) => i * 1_000 + x),
            `scheduler ${i} got exactly its own results`,
          );
          assert.deepEqual([...ran], [workers[i].pid], `only its queue's worker ran its jobs`);
          const counts = schedulers[i].eventCounts;
          assert.equal(counts.get("future-submitted"), 200);
          assert.equal(counts.get("future-result"), 200);
          assert.equal(counts.get("future-done"), 200);
        });
      } finally {
        await stopAll(workers);
      }
    });
  },
);

redisTest(
  "redis: a scheduler that falls behind a trimmed event stream still settles every job",
  async () => {
    await withRedis({}, async (redis) => {
      const queue = queueName("behind");
      const workers = await Promise.all(
        ["w1", "w2"].map((n) => startWorker(redis.url, queue, n, ["--executor", "sequential"])),
      );
      try {
        // BullMQ keeps only the last ~100 events; the first result blocks this thread for 3 s
        // while the workers finish hundreds of jobs, so their events are trimmed unread.
        const scheduler = Scheduler.withRedis({ connection: redis.url, queue, maxEvents: 100 });
        const task = scheduler.task((x: number) => x * 2);
        const values: number[] = [];
        scheduler.onStart(() => {
          for (let x = 0; x < 1_000; x++) task.submit(x);
        });
        task.onResult((_f, value) => {
          if (values.length === 0) {
            const end = Date.now() + 3_000;
            while (Date.now() < end) { /* a long synchronous callback */ }
          }
          values.push(value);
        });
        const exit = await scheduler.run({ timeout: "120s" });
        assert.equal(exit.code, "exhausted");
        assert.deepEqual(
          values.toSorted((a, b) => a - b),
          Array.from({ length: 1_000 }, (_, x) => x * 2),
        );
        assert.ok((scheduler.executor as RedisExecutor).eventGaps > 0, "the gap was noticed");
      } finally {
        await stopAll(workers);
      }
    });
  },
);
