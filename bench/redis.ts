/**
 * Trivial tasks through Redis with 2 workers: baton (`Scheduler.withRedis` +
 * two `baton worker` processes) beside BullMQ used directly (a Queue, a
 * QueueEvents and two Worker processes doing the same), in the same run.
 *
 * Run: `deno run -A bench/redis.ts [--tasks N] [--concurrency C] [--window W] [--rounds R]`
 * (needs `redis-server` on PATH; it starts its own on a free port).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Queue, QueueEvents, Worker } from "bullmq";
import { Scheduler } from "../mod.ts";
import { measure, type Measurement, row } from "./stats.ts";
import { noRedis, queueName, startRedis, startWorker, until } from "../tests/redis_helpers.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    tasks: { type: "string", default: "3000" },
    concurrency: { type: "string", default: "4" },
    window: { type: "string", default: "64" },
    rounds: { type: "string", default: "3" },
    "raw-worker": { type: "string" },
    queue: { type: "string" },
  },
});

const connectionOf = (url: string) => {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port), maxRetriesPerRequest: null };
};

// Child mode: one raw BullMQ worker process, the reference for `baton worker`.
if (values["raw-worker"]) {
  const worker = new Worker(
    values.queue!,
    (job) => Promise.resolve((job.data as { x: number }).x + 1),
    {
      connection: connectionOf(values["raw-worker"]),
      concurrency: Number(values.concurrency),
    },
  );
  await worker.waitUntilReady();
  console.log("serving queue");
  const stop = () => worker.close().then(() => Deno.exit(0));
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
} else {
  await main();
}

function increment(x: number): number {
  return x + 1;
}

/** Runs `count` calls keeping `window` in flight; resolves with the latencies. */
async function drive(
  count: number,
  window: number,
  submit: (i: number) => Promise<unknown>,
): Promise<{ latencies: number[]; elapsed: number }> {
  const latencies: number[] = [];
  let next = 0;
  const begun = performance.now();
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      const value = await submit(i);
      if (value !== i + 1) throw new Error(`call ${i} returned ${value}`);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return { latencies, elapsed: performance.now() - begun };
}

async function batonRun(url: string, count: number, window: number, executor: string) {
  const queue = queueName("bench-baton");
  const args = ["--concurrency", values.concurrency!, "--executor", executor];
  const workers = await Promise.all(["b1", "b2"].map((n) => startWorker(url, queue, n, args)));
  try {
    const scheduler = Scheduler.withRedis({ connection: url, queue });
    const task = scheduler.task(increment);
    let result: { latencies: number[]; elapsed: number } | undefined;
    scheduler.onStart(async () => {
      // Warm-up: every pool process loads the function once.
      await drive(200, window, (i) => Promise.resolve(task.submit(i)!));
      result = await drive(count, window, (i) => Promise.resolve(task.submit(i)!));
    });
    await scheduler.run();
    return result!;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

async function rawRun(url: string, count: number, window: number) {
  const queueNameRaw = queueName("bench-raw");
  const workers = await Promise.all([1, 2].map(() => rawWorker(url, queueNameRaw)));
  const connection = connectionOf(url);
  const queue = new Queue(queueNameRaw, { connection });
  const events = new QueueEvents(queueNameRaw, { connection });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  // QueueEvents starts reading from "$": let its first blocking read begin.
  await new Promise((r) => setTimeout(r, 200));
  const waiting = new Map<string, (value: unknown) => void>();
  events.on("completed", ({ jobId, returnvalue }) => waiting.get(jobId)?.(returnvalue));
  let id = 0;
  const submit = (i: number) => {
    const jobId = `j${id++}`;
    const { promise, resolve } = Promise.withResolvers<unknown>();
    waiting.set(jobId, (value) => {
      waiting.delete(jobId);
      resolve(value);
    });
    queue.add("increment", { x: i }, { jobId, removeOnComplete: { age: 300 } });
    return promise;
  };
  try {
    await drive(200, window, submit);
    return await drive(count, window, submit);
  } finally {
    await events.close();
    await queue.close();
    await Promise.all(workers.map(async (child) => {
      child.kill("SIGTERM");
      await child.status;
    }));
  }
}

async function rawWorker(url: string, queue: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--raw-worker",
      url,
      "--queue",
      queue,
      "--concurrency",
      values.concurrency!,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let text = "";
  (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  await until("a raw BullMQ worker to start", () => text.includes("serving queue"));
  return child;
}

/** The round with the median throughput. */
function median(runs: Measurement[]): Measurement {
  return runs.toSorted((a, b) => a.perSecond - b.perSecond)[Math.floor(runs.length / 2)];
}

async function main(): Promise<void> {
  if (noRedis) {
    console.log(`Skipping the Redis benchmark: ${noRedis}`);
    return;
  }
  const count = Number(values.tasks);
  const window = Number(values.window);
  const redis = await startRedis();
  try {
    console.log(
      `Redis: ${count} trivial tasks, 2 workers × concurrency ${values.concurrency}, ` +
        `${window} in flight`,
    );
    // Alternating rounds, median of each: a noisy machine hurts both sides alike.
    // The workers' executors: processes isolate each call (the default), sequential runs it
    // in the worker's own thread, as a raw BullMQ processor does.
    const executors = ["processes", "sequential"];
    const raws: Measurement[] = [];
    const batons = new Map<string, Measurement[]>(executors.map((e) => [e, []]));
    for (let round = 0; round < Number(values.rounds); round++) {
      const r = await rawRun(redis.url, count, window);
      raws.push(measure(r.latencies, r.elapsed));
      for (const executor of executors) {
        const b = await batonRun(redis.url, count, window, executor);
        batons.get(executor)!.push(measure(b.latencies, b.elapsed));
      }
    }
    const raw = median(raws);
    console.log(row("BullMQ directly (Queue + QueueEvents + Worker)", raw));
    for (const executor of executors) {
      const baton = median(batons.get(executor)!);
      console.log(
        row(`baton withRedis + baton worker (${executor})`, baton, baton.perSecond / raw.perSecond),
      );
    }
  } finally {
    await redis.close();
  }
}
