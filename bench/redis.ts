/**
 * Trivial tasks through Redis: baton (`Scheduler.withRedis` + `baton worker`
 * processes) beside BullMQ used directly (a Queue, a QueueEvents and raw
 * Worker processes doing the same job), in the same run, in alternating
 * rounds. Two set-ups: 2 workers × concurrency 4, and 8 workers ×
 * concurrency 1 with 10 000 jobs.
 *
 * Besides throughput (and the spread of each round's ratio to the raw run
 * beside it), each row gives the CPU time per job summed over every process
 * involved, and split by kind: this one (the scheduler side), redis-server,
 * the worker processes, and their pool children. On a machine shared with
 * other work, throughput follows the load, CPU per job much less.
 *
 * Run: `deno run -A bench/redis.ts [--tasks N] [--tasks8 N] [--window W] [--rounds R] [--only 2|8]
 * [--against DIR] [--executors processes,sequential,workers]` (needs `redis-server` on PATH; it
 * starts its own on a free port). `--executors` names the `baton worker --executor` rows of the
 * 2 × 4 set-up (default: processes,sequential).
 * `--against DIR` adds, in the same rounds, the rows of the baton checkout in
 * DIR (its scheduler and its `baton worker`): an A/B of two versions.
 *
 * @module
 */

import { parseArgs } from "node:util";
// deno-lint-ignore no-import-prefix
import { Queue, QueueEvents, Worker } from "npm:bullmq@5.81.5";
import { Scheduler } from "../mod.ts";
import { measure, type Measurement, row } from "./stats.ts";
import { noRedis, queueName, startRedis, startWorker, until } from "../tests/redis_helpers.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    tasks: { type: "string", default: "3000" },
    tasks8: { type: "string", default: "10000" },
    window: { type: "string", default: "64" },
    rounds: { type: "string", default: "3" },
    only: { type: "string" },
    "raw-worker": { type: "string" },
    queue: { type: "string" },
    concurrency: { type: "string", default: "1" },
    against: { type: "string" },
    executors: { type: "string", default: "processes,sequential" },
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

/** A set-up: how many workers, each taking how many jobs at once, and how many jobs. */
interface Setup {
  readonly workers: number;
  readonly concurrency: number;
  readonly count: number;
  readonly window: number;
}

/** CPU time (ms) per job of each kind of process, and their sum. */
interface CpuSplit {
  /** This process: the Queue and its events (raw), or the baton scheduler. */
  scheduler: number;
  redis: number;
  /** The worker processes themselves (with their threads), without their children. */
  workers: number;
  /** The workers' children: baton's pool processes (none for raw BullMQ or `sequential`). */
  children: number;
}

/** One measured run: throughput, latency and CPU time per job. */
interface Result extends Measurement {
  cpuPerJob: number;
  cpu: CpuSplit;
}

/** CPU time (ms) of one process (all its threads), from /proc; 0 once it ended. */
function cpuOf(pid: number | "self"): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 (1-based), here 11 and 12 after the name.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** The descendants of `pid`, from /proc. */
function descendants(pid: number): number[] {
  const found: number[] = [];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const children = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`);
      for (const child of children.split(" ").filter(Boolean)) {
        found.push(Number(child), ...descendants(Number(child)));
      }
    }
  } catch { /* it ended */ }
  return found;
}

/**
 * CPU so far of each kind of process. Pool children that end during a run
 * take their CPU with them (a pool keeps its processes, so few do).
 */
function cpuSplit(redisPid: number, workerPids: number[]): CpuSplit {
  let workers = 0;
  let children = 0;
  for (const pid of workerPids) {
    workers += cpuOf(pid);
    for (const child of descendants(pid)) children += cpuOf(child);
  }
  return { scheduler: cpuOf("self"), redis: cpuOf(redisPid), workers, children };
}

/** Runs `count` calls keeping `window` in flight; measures the run and the CPU it took. */
async function drive(
  count: number,
  window: number,
  submit: (i: number) => Promise<unknown>,
  redisPid: number,
  workerPids: number[],
): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = cpuSplit(redisPid, workerPids);
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
  const elapsed = performance.now() - begun;
  const cpuAfter = cpuSplit(redisPid, workerPids);
  const cpu = {} as CpuSplit;
  for (const kind of Object.keys(cpuAfter) as (keyof CpuSplit)[]) {
    cpu[kind] = (cpuAfter[kind] - cpuBefore[kind]) / count;
  }
  const cpuPerJob = cpu.scheduler + cpu.redis + cpu.workers + cpu.children;
  return { ...measure(latencies, elapsed), cpuPerJob, cpu };
}

/** A baton checkout: its scheduler and how it starts its `baton worker`. */
interface Baton {
  readonly label: string;
  readonly Scheduler: typeof Scheduler;
  readonly startWorker: typeof startWorker;
}

/** This checkout, and the one of `--against` if given. */
async function checkouts(): Promise<Baton[]> {
  const batons: Baton[] = [{ label: "", Scheduler, startWorker }];
  if (values.against) {
    const dir = new URL(`${values.against.replace(/\/$/, "")}/`, `file://${Deno.cwd()}/`);
    batons.push({
      label: ` ${values.against}`,
      Scheduler: (await import(new URL("mod.ts", dir).href)).Scheduler,
      startWorker: (await import(new URL("tests/redis_helpers.ts", dir).href)).startWorker,
    });
  }
  return batons;
}

async function batonRun(
  url: string,
  redisPid: number,
  setup: Setup,
  executor: string,
  { Scheduler, startWorker }: Baton,
) {
  const queue = queueName("bench-baton");
  const args = ["--concurrency", String(setup.concurrency), "--executor", executor];
  const workers = await Promise.all(
    Array.from({ length: setup.workers }, (_, i) => startWorker(url, queue, `b${i + 1}`, args)),
  );
  try {
    const scheduler = Scheduler.withRedis({ connection: url, queue });
    const task = scheduler.task(increment);
    const pids = workers.map((w) => w.pid);
    let result: Result | undefined;
    scheduler.onStart(async () => {
      // Warm-up: every pool process loads the function once.
      const submit = (i: number) => Promise.resolve(task.submit(i)!);
      await drive(200, setup.window, submit, redisPid, pids);
      result = await drive(setup.count, setup.window, submit, redisPid, pids);
    });
    await scheduler.run();
    return result!;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

async function rawRun(url: string, redisPid: number, setup: Setup) {
  const queueNameRaw = queueName("bench-raw");
  const workers = await Promise.all(
    Array.from({ length: setup.workers }, () => rawWorker(url, queueNameRaw, setup.concurrency)),
  );
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
  const pids = workers.map((w) => w.pid);
  try {
    await drive(200, setup.window, submit, redisPid, pids);
    return await drive(setup.count, setup.window, submit, redisPid, pids);
  } finally {
    await events.close();
    await queue.close();
    await Promise.all(workers.map(async (child) => {
      child.kill("SIGTERM");
      await child.status;
    }));
  }
}

async function rawWorker(url: string, queue: string, concurrency: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `--lock=${new URL("../tests/deno.lock", import.meta.url).pathname}`,
      new URL(import.meta.url).pathname,
      "--raw-worker",
      url,
      "--queue",
      queue,
      "--concurrency",
      String(concurrency),
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
/**
 * The round with the median throughput, with the median CPU of the rounds
 * (each figure's own median: CPU per job varies from round to round less
 * than throughput, and not with it).
 */
function median(runs: Result[]): Result {
  const mid = <T>(values: T[], by: (value: T) => number) =>
    by(values.toSorted((a, b) => by(a) - by(b))[Math.floor(values.length / 2)]);
  const cpu = {} as CpuSplit;
  for (const kind of Object.keys(runs[0].cpu) as (keyof CpuSplit)[]) {
    cpu[kind] = mid(runs, (run) => run.cpu[kind]);
  }
  const byThroughput =
    runs.toSorted((a, b) => a.perSecond - b.perSecond)[Math.floor(runs.length / 2)];
  return { ...byThroughput, cpuPerJob: mid(runs, (run) => run.cpuPerJob), cpu };
}

function span(values: number[]): string {
  return `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
}

/** A row: the medians of `runs`, and the spread over the rounds of the ratio and the CPU. */
function line(name: string, runs: Result[], reference?: Result[]): string {
  const result = median(runs);
  const { scheduler, redis, workers, children } = result.cpu;
  const split = `[scheduler ${scheduler.toFixed(2)}, redis ${redis.toFixed(2)}, workers ${
    workers.toFixed(2)
  }, children ${children.toFixed(2)}]`;
  const cpu = `cpu ${result.cpuPerJob.toFixed(2).padStart(5)} ms/job (${
    span(runs.map((run) => run.cpuPerJob))
  }) ${split}`;
  if (!reference) return `${row(name, result)}  ${cpu}`;
  const raw = median(reference);
  // Each round's ratio to the raw run beside it: the spread the median hides.
  const ratios = runs.map((run, i) => run.perSecond / reference[i].perSecond);
  return `${row(name, result, result.perSecond / raw.perSecond)} (rounds ${
    span(ratios)
  })  ${cpu} (${(raw.cpuPerJob / result.cpuPerJob).toFixed(2)}× BullMQ's efficiency)`;
}

async function compare(url: string, redisPid: number, setup: Setup, executors: string[]) {
  console.log(
    `Redis: ${setup.count} trivial tasks, ${setup.workers} workers × concurrency ` +
      `${setup.concurrency}, ${setup.window} in flight, median of ${values.rounds} rounds`,
  );
  const raws: Result[] = [];
  const rows = (await checkouts()).flatMap((baton) =>
    executors.map((executor) => ({ baton, executor, runs: [] as Result[] }))
  );
  // Alternating rounds, median of each: a noisy machine hurts both sides alike.
  for (let round = 0; round < Number(values.rounds); round++) {
    raws.push(await rawRun(url, redisPid, setup));
    // Checkouts compared take turns going first.
    const order = round % 2 === 0 ? rows : rows.toReversed();
    for (const row of order) {
      row.runs[round] = await batonRun(url, redisPid, setup, row.executor, row.baton);
    }
  }
  console.log(line("BullMQ directly (Queue + QueueEvents + Worker)", raws));
  for (const { baton, executor, runs } of rows) {
    console.log(line(`baton worker (${executor})${baton.label}`, runs, raws));
  }
  // Two checkouts: each round's CPU per job of this one over the other's, by kind.
  for (const mine of rows.filter((row) => row.baton.label === "")) {
    const other = rows.find((row) => row !== mine && row.executor === mine.executor);
    if (!other) continue;
    const ratio = (kind: "cpuPerJob" | keyof CpuSplit) => {
      const ratios = mine.runs.map((run, i) =>
        kind === "cpuPerJob"
          ? run.cpuPerJob / other.runs[i].cpuPerJob
          : run.cpu[kind] / other.runs[i].cpu[kind]
      );
      const sorted = ratios.toSorted((a, b) => a - b);
      return `${kind} ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} (${span(ratios)})`;
    };
    const kinds = ["cpuPerJob", "scheduler", "redis", "workers"] as const;
    console.log(
      `  CPU per job, this checkout / ${other.baton.label.trim()} (${mine.executor}), median ` +
        `(rounds): ${kinds.map(ratio).join(", ")}`,
    );
  }
}

async function main(): Promise<void> {
  if (noRedis) {
    console.log(`Skipping the Redis benchmark: ${noRedis}`);
    return;
  }
  const window = Number(values.window);
  const redis = await startRedis();
  try {
    const pid = redis.pid;
    // The workers' executors: processes isolate each call (the default), sequential runs it
    // in the worker's own thread, as a raw BullMQ processor does.
    if (values.only !== "8") {
      await compare(redis.url, pid, {
        workers: 2,
        concurrency: 4,
        count: Number(values.tasks),
        window,
      }, values.executors.split(","));
    }
    if (values.only !== "2") {
      await compare(redis.url, pid, {
        workers: 8,
        concurrency: 1,
        count: Number(values.tasks8),
        window: Math.max(window, 128),
      }, ["processes"]);
    }
  } finally {
    await redis.close();
  }
}
