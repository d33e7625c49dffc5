/**
 * Recovery on Redis with real `baton worker` subprocesses: a worker killed
 * with SIGKILL loses its job to another within seconds, with the default
 * settings; a worker whose event loop is blocked for longer than its lock
 * keeps its job; each attempt is reported started exactly once, whatever
 * order BullMQ's events and the call's own frames arrive in.
 */
import assert from "node:assert/strict";
import { type Comm, type Future, type RedisExecutor, Scheduler } from "../mod.ts";
import { encodeValue, type OriginMessage } from "../src/executors/redis/codec.ts";
import { channels } from "../src/executors/redis/connection.ts";
import {
  queueName,
  redisTest,
  startWorker,
  type TestWorker,
  until,
  withRedis,
} from "./redis_helpers.ts";

/** Appends "worker-pid start-ms" to `path` (the worker is the pool process's parent), then sleeps. */
async function logStartThenSleep(path: string, ms: number): Promise<number> {
  await Deno.writeTextFile(path, `${Deno.ppid} ${Date.now()}\n`, { append: true });
  await new Promise((r) => setTimeout(r, ms));
  return Deno.ppid;
}

/** Runs in the worker's own thread (sequential executor): blocks its event loop for `ms`. */
function blockThenReport(path: string, ms: number): number {
  Deno.writeTextFileSync(path, `${Deno.pid}\n`, { append: true });
  const end = Date.now() + ms;
  while (Date.now() < end) { /* busy: no timer, no I/O of this thread can run */ }
  return Deno.pid;
}

async function lines(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").filter(Boolean);
}

async function stopAll(workers: TestWorker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.stop()));
}

redisTest(
  "redis: with default settings a SIGKILLed worker's job runs again elsewhere within 5 s",
  async () => {
    await withRedis({}, async (redis) => {
      const queue = queueName("recover");
      const workers = await Promise.all(["w1", "w2"].map((n) => startWorker(redis.url, queue, n)));
      const dir = await Deno.makeTempDir();
      const log = `${dir}/starts`;
      try {
        const scheduler = Scheduler.withRedis({ connection: redis.url, queue });
        const task = scheduler.task(logStartThenSleep);
        let future: Future<number> | undefined;
        let killedAt = 0;
        let killed: TestWorker | undefined;
        scheduler.onStart(() => future = task.submit(log, 3_000));
        scheduler.onFutureSubmitted(async () => {
          const [first] = await until(
            "the task to start",
            async () => (await lines(log)).length > 0 ? await lines(log) : undefined,
          );
          const pid = Number(first.split(" ")[0]);
          killed = workers.find((w) => w.pid === pid);
          assert.ok(killed, `pid ${pid} is no worker's`);
          killedAt = Date.now();
          Deno.kill(pid, "SIGKILL");
        });
        const exit = await scheduler.run({ timeout: "90s" });
        assert.equal(exit.code, "exhausted");
        const starts = await lines(log);
        assert.equal(starts.length, 2, starts.join("; "));
        const [pid2, at2] = starts[1].split(" ").map(Number);
        const survivor = workers.find((w) => w !== killed)!;
        assert.equal(pid2, survivor.pid);
        const recovery = at2 - killedAt;
        console.log(`recovered ${recovery} ms after SIGKILL (lock 2s, stalled check 1s)`);
        // By design at most lock (2 s) + one stalled check (1 s) + pick-up; 5 s is the promise.
        assert.ok(recovery < 5_000, `the job ran again ${recovery} ms after the kill`);
        assert.equal(future!.value, survivor.pid);
        assert.equal(future!.attempts, 2);
        assert.equal((scheduler.executor as RedisExecutor).attempts(future!), 2);
        assert.equal(scheduler.eventCounts.get("future-result"), 1);
        assert.equal(scheduler.eventCounts.get("future-done"), 1);
      } finally {
        await stopAll(workers);
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);

redisTest(
  "redis: a worker whose event loop is blocked 4× longer than its lock keeps its job",
  async () => {
    await withRedis({}, async (redis) => {
      const queue = queueName("blocked");
      // A 1 s lock, checked for stalls every 300 ms by the other worker: without the heartbeat
      // thread, the blocked worker's job would be given to the other one within 1.3 s.
      const flags = [
        "--executor",
        "sequential",
        "--lock-duration",
        "1s",
        "--heartbeat",
        "200ms",
        "--stalled-interval",
        "300ms",
      ];
      const workers = await Promise.all(
        ["w1", "w2"].map((n) => startWorker(redis.url, queue, n, flags)),
      );
      const dir = await Deno.makeTempDir();
      const log = `${dir}/runs`;
      try {
        const scheduler = Scheduler.withRedis({ connection: redis.url, queue });
        let future: Future<number> | undefined;
        scheduler.onStart(() => future = scheduler.submit(blockThenReport, log, 4_000));
        const exit = await scheduler.run({ timeout: "60s" });
        assert.equal(exit.code, "exhausted");
        const runs = await lines(log);
        assert.equal(runs.length, 1, `ran once, not stolen: ${runs}`);
        assert.equal(future!.value, Number(runs[0]));
        assert.ok(workers.some((w) => w.pid === future!.value));
        assert.equal(future!.attempts, 1);
        const events = await redis.command("XRANGE", `bull:${queue}:events`, "-", "+");
        assert.doesNotMatch(events, /stalled/, "no stalled event");
      } finally {
        await stopAll(workers);
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);

/** Sends one message, answers a request round trip, then returns. */
async function chat(comm: Comm): Promise<string> {
  comm.send("from the call");
  const answer = await comm.request("ping");
  return String(answer);
}

/** Publishes a comm frame as if a worker running `attempt` of the job had sent it. */
async function publishFrame(
  redis: { command(...args: string[]): Promise<string> },
  queue: string,
  origin: string,
  job: string,
  attempt: number,
  data: string,
): Promise<void> {
  const message: OriginMessage = { job, attempt, frame: { k: "msg", data } };
  await redis.command("PUBLISH", channels.origin(queue, origin), encodeValue(message));
}

redisTest(
  "redis: one start per attempt when a frame overtakes BullMQ's active event (reordered on purpose)",
  async () => {
    await withRedis({}, async (redis) => {
      const queue = queueName("order");
      const dir = await Deno.makeTempDir();
      let worker: TestWorker | undefined;
      try {
        const executor = { connection: redis.url, queue };
        const scheduler = Scheduler.withRedis(executor);
        const origin = (scheduler.executor as RedisExecutor).origin;
        const task = scheduler.task(chat, { comm: true });
        const messages: unknown[] = [];
        const starts: string[] = [];
        task.on("comm-open", () => starts.push("open"));
        task.on("comm-close", () => starts.push("close"));
        task.on("comm-message", (msg) => messages.push(msg.data));
        task.on("comm-request", (msg) => msg.respond("pong"));
        let future: Future | undefined;
        scheduler.onStart(async () => {
          future = task.submit()!;
          // No worker yet: the job waits in Redis. A frame of its first attempt arrives now,
          // before any `active` event can.
          await publishFrame(redis, queue, origin, `${origin}-${future.id}`, 1, "early");
          await until("the early frame", () => messages.includes("early"));
          assert.equal(future.status, "running", "the frame says the call started");
          worker = await startWorker(redis.url, queue, "w1");
        });
        const exit = await scheduler.run({ timeout: "60s" });
        assert.equal(exit.code, "exhausted");
        assert.equal(future!.value, "pong", "the request was answered, not lost");
        assert.equal(future!.attempts, 1);
        assert.deepEqual(starts, ["open", "close"], "one channel for the one attempt");
        assert.deepEqual(messages, ["early", "from the call"]);
      } finally {
        await worker?.stop();
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);

/** Fails its first attempt (counted in a file), then talks. */
async function flakyChat(comm: Comm, path: string): Promise<string> {
  const n = Number(await Deno.readTextFile(path).catch(() => "0")) + 1;
  await Deno.writeTextFile(path, String(n));
  if (n === 1) throw new Error("first attempt fails");
  comm.send("second attempt");
  return String(await comm.request("ping"));
}

redisTest(
  "redis: frames of an attempt that is over are dropped; each retry opens one channel",
  async () => {
    await withRedis({}, async (redis) => {
      const queue = queueName("stale");
      const dir = await Deno.makeTempDir();
      const worker = await startWorker(redis.url, queue, "w1");
      try {
        const scheduler = Scheduler.withRedis({
          connection: redis.url,
          queue,
          maxAttempts: 2,
          backoff: "300ms",
        });
        const origin = (scheduler.executor as RedisExecutor).origin;
        const task = scheduler.task(flakyChat, { comm: true });
        const messages: unknown[] = [];
        const channelEvents: string[] = [];
        task.on("comm-open", () => channelEvents.push("open"));
        task.on("comm-close", () => channelEvents.push("close"));
        task.on("comm-message", (msg) => messages.push(msg.data));
        let stalePublished = false;
        task.on("comm-request", async (msg) => {
          // Attempt 2 runs: a frame of attempt 1 shows up late, then the answer goes back.
          await publishFrame(redis, queue, origin, `${origin}-${msg.future.id}`, 1, "stale");
          stalePublished = true;
          await new Promise((r) => setTimeout(r, 200));
          msg.respond("pong");
        });
        let future: Future | undefined;
        scheduler.onStart(() => future = task.submit(`${dir}/n`));
        const exit = await scheduler.run({ timeout: "60s" });
        assert.equal(exit.code, "exhausted");
        assert.ok(stalePublished);
        assert.equal(future!.value, "pong");
        assert.equal(future!.attempts, 2);
        assert.deepEqual(messages, ["second attempt"], "the stale frame was dropped");
        assert.deepEqual(channelEvents, ["open", "close", "open", "close"]);
      } finally {
        await worker.stop();
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);
