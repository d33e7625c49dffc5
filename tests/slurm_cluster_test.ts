/**
 * The Slurm executor on a real cluster: `.ci/slurm-setup.sh` starts a
 * single-node one on loopback and `.ci/run` sets `BATON_TEST_SLURM=1`.
 * Skipped, with the reason printed, otherwise.
 */

import assert from "node:assert/strict";
import { Scheduler, SlurmExecutor, SlurmJobLostError, WallTimeLimitError } from "../mod.ts";
import { runCommand } from "../src/executors/hpc/commands.ts";
import {
  clusterTest,
  collatzOnTwoJobs,
  listedJobs,
  liveJobs,
  napWhere,
  slurmWorkers,
  when,
  whyNoCluster,
} from "./slurm_fixtures.ts";

const cluster = clusterTest("Slurm (cluster)", await whyNoCluster());

const BASE = { hostname: "127.0.0.1", time: "10m", pollInterval: "500ms" } as const;

cluster("the collatz demo through 2 Slurm workers; squeue empty after run()", async (logs) => {
  const executor = new SlurmExecutor({ workers: 2, logDirectory: logs, ...BASE });
  await collatzOnTwoJobs(executor);
  assert.deepEqual(await liveJobs(["squeue"], executor.jobName), []);
});

cluster(
  "a worker job cancelled with scancel mid-task: its task is re-queued and finished by the replacement",
  async (logs) => {
    const executor = new SlurmExecutor({ workers: 1, logDirectory: logs, ...BASE });
    const scheduler = new Scheduler({ executor });
    const task = scheduler.task(napWhere);
    let victim = "";
    let scancel = -1;
    const results: string[] = [];
    scheduler.onStart(() => {
      task.submit(3_000);
      when(scheduler, () => slurmWorkers(scheduler).some((w) => w.busy), async () => {
        victim = slurmWorkers(scheduler)[0].jobId!;
        scancel = (await runCommand(["scancel", victim])).code;
      });
    });
    task.onResult((_f, job) => results.push(job));
    const exit = await scheduler.run({ timeout: "120s" });
    assert.equal(exit.code, "exhausted");
    assert.equal(scancel, 0);
    assert.equal(results.length, 1);
    assert.match(results[0], /^\d+$/);
    assert.notEqual(results[0], victim, "a replacement job finished it");
    assert.deepEqual(Object.fromEntries([...task.eventCounts].sort()), {
      done: 1,
      result: 1,
      submitted: 1,
    });
    assert.deepEqual(await liveJobs(["squeue"], executor.jobName), []);
  },
);

cluster(
  "with requeueLost 0, a job cancelled mid-task rejects its call with state CANCELLED",
  async (logs) => {
    const executor = new SlurmExecutor({ workers: 1, requeueLost: 0, logDirectory: logs, ...BASE });
    const scheduler = new Scheduler({ executor });
    const task = scheduler.task(napWhere);
    let victim = "";
    let error: unknown;
    scheduler.onStart(() => {
      task.submit(60_000);
      when(scheduler, () => slurmWorkers(scheduler).some((w) => w.busy), async () => {
        victim = slurmWorkers(scheduler)[0].jobId!;
        await runCommand(["scancel", victim]);
      });
    });
    task.onException((_f, e) => error = e);
    const exit = await scheduler.run({ timeout: "120s", onException: "continue" });
    assert.equal(exit.code, "exhausted");
    assert.ok(error instanceof SlurmJobLostError, String(error));
    assert.equal(error.jobId, victim);
    assert.equal(error.state, "CANCELLED", error.message);
    assert.deepEqual(await listedJobs(executor.jobName), []);
  },
);

cluster(
  "run() returns only when squeue lists none of the jobs it submitted, the lost one too",
  async (logs) => {
    const executor = new SlurmExecutor({ workers: 2, logDirectory: logs, ...BASE });
    const scheduler = new Scheduler({ executor });
    const task = scheduler.task(napWhere);
    const submitted = new Set<string>();
    const note = () => {
      for (const w of slurmWorkers(scheduler)) if (w.jobId) submitted.add(w.jobId);
    };
    scheduler.onStart(() => {
      for (let i = 0; i < 4; i++) task.submit(2_000);
      when(scheduler, () => slurmWorkers(scheduler).filter((w) => w.busy).length === 2, () => {
        note();
        runCommand(["scancel", slurmWorkers(scheduler)[0].jobId!]);
      });
    });
    task.onResult(note);
    const exit = await scheduler.run({ timeout: "120s" });
    assert.equal(exit.code, "exhausted");
    assert.equal(scheduler.eventCounts.get("future-result"), 4);
    assert.ok(submitted.size >= 3, `a replacement was submitted: ${[...submitted]}`);
    const listed = await runCommand([
      "squeue",
      "--noheader",
      "--format=%i|%T",
      "--jobs",
      [
        ...submitted,
      ].join(","),
    ]);
    assert.equal(listed.stdout.trim(), "", "squeue still lists some of them");
    assert.deepEqual(await listedJobs(executor.jobName), []);
  },
);

cluster(
  "a task's wall-time limit is enforced inside the job, which then runs the next call",
  async (logs) => {
    const executor = new SlurmExecutor({ workers: 1, logDirectory: logs, ...BASE });
    const scheduler = new Scheduler({ executor });
    const slow = scheduler.task(napWhere, { limits: { wallTime: "1s" } });
    const next = scheduler.task(napWhere);
    let error: unknown;
    let started = 0;
    let elapsed = 0;
    const jobs: string[] = [];
    scheduler.onStart(() => {
      const future = slow.submit(60_000)!;
      when(scheduler, () => future.status === "running", () => started = performance.now());
    });
    slow.onWallTimeLimitReached((_f, e) => {
      error = e;
      elapsed = performance.now() - started;
      next.submit(10);
    });
    next.onResult((_f, job) => jobs.push(job));
    const exit = await scheduler.run({ timeout: "120s", onException: "continue" });
    assert.equal(exit.code, "exhausted");
    assert.ok(error instanceof WallTimeLimitError, String(error));
    assert.equal(error.limit, 1_000);
    assert.ok(elapsed >= 900 && elapsed < 30_000, `stopped ${elapsed}ms after it started`);
    assert.equal(jobs.length, 1);
    assert.match(jobs[0], /^\d+$/);
    assert.deepEqual(await liveJobs(["squeue"], executor.jobName), []);
  },
);

cluster(
  "adaptive { min: 0, max: 3 }: jobs grow with the queue (0 → 1 → 3) and idle ones are released in time",
  async (logs) => {
    const idleTimeout = 1_000;
    const pollInterval = 500;
    const executor = new SlurmExecutor({
      workers: { min: 0, max: 3 },
      logDirectory: logs,
      ...BASE,
      idleTimeout,
      pollInterval,
    });
    const scheduler = new Scheduler({ executor });
    const task = scheduler.task(napWhere);
    const live = () => slurmWorkers(scheduler).length;
    const sizes: number[] = [];
    const jobs = new Set<string>();
    let lastResult = 0;
    let releasedAfter = Infinity;
    scheduler.onStart(() => {
      sizes.push(live());
      task.submit(1_500);
      when(scheduler, () => slurmWorkers(scheduler).some((w) => w.busy), () => {
        sizes.push(live());
        // Four more calls while one runs: the queue asks for the max of 3 jobs.
        for (let i = 0; i < 4; i++) task.submit(1_500);
        sizes.push(live());
      });
    });
    task.onResult((_f, job) => {
      jobs.add(job);
      lastResult = performance.now();
    });
    scheduler.onEmpty(() =>
      when(scheduler, () => live() === 0, async () => {
        while ((await listedJobs(executor.jobName)).length > 0) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        releasedAfter = performance.now() - lastResult;
        scheduler.stop();
      })
    );
    const exit = await scheduler.run({ timeout: "120s", endOnEmpty: false });
    assert.equal(exit.code, "stopped");
    assert.deepEqual(sizes, [0, 1, 3], "no job before a call, one for one call, the max for five");
    assert.equal(jobs.size, 3, `every job ran calls: ${[...jobs]}`);
    // Documented: idle for idleTimeout, released at the next poll, then Slurm ends it (KillWait).
    console.log(`idle jobs gone from squeue ${Math.round(releasedAfter)} ms after the last result`);
    assert.ok(
      releasedAfter >= idleTimeout && releasedAfter < idleTimeout + pollInterval + 10_000,
      `released ${releasedAfter} ms after the last result`,
    );
  },
);
