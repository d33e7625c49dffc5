/**
 * The Grid Engine executor on a real single-node Son of Grid Engine:
 * `.ci/sge-setup.sh` starts one on loopback and `.ci/run` sets
 * `BATON_TEST_SGE=1`. Skipped, with the reason printed, otherwise.
 */

import assert from "node:assert/strict";
import { Scheduler, SgeExecutor, SgeJobLostError } from "../mod.ts";
import { runCommand } from "../src/executors/hpc/commands.ts";
import {
  clusterTest,
  collatzOnTwoJobs,
  napWhere,
  slurmWorkers as workersOf,
  when,
} from "./slurm_fixtures.ts";

async function whyNoSge(): Promise<string | undefined> {
  if (Deno.env.get("BATON_TEST_SGE") !== "1") {
    return "BATON_TEST_SGE is not 1 (.ci/run sets it once .ci/sge-setup.sh brought a cell up)";
  }
  try {
    const result = await runCommand(["qstat", "-f"], { timeout: 10_000 });
    if (result.code !== 0) return `qstat failed: ${result.stderr.trim()}`;
    return result.stdout.includes("@") ? undefined : "qstat -f shows no queue instance";
  } catch (error) {
    return (error as Error).message;
  }
}

const cell = clusterTest("SGE (cell)", await whyNoSge());

/** Our job ids that `qstat` lists. */
async function listed(jobName: string): Promise<string[]> {
  const { stdout } = await runCommand(["qstat", "-xml"]);
  const ids: string[] = [];
  for (const [, body] of stdout.matchAll(/<job_list[^>]*>([\s\S]*?)<\/job_list>/g)) {
    if (body.includes(`<JB_name>${jobName}</JB_name>`)) {
      ids.push(/<JB_job_number>(\d+)</.exec(body)![1]);
    }
  }
  return ids;
}

const BASE = { hostname: "127.0.0.1", time: "10m", pollInterval: "500ms" } as const;

cell(
  "collatz through 2 jobs; job ids in the tree and the monitor; qstat empty after run()",
  async (logs) => {
    const executor = new SgeExecutor({ workers: 2, logDirectory: logs, ...BASE });
    await collatzOnTwoJobs(executor);
    assert.deepEqual(await listed(executor.jobName), []);
  },
);

cell(
  "a job deleted with qdel mid-task: its call is re-queued and finished by a replacement",
  async (logs) => {
    const executor = new SgeExecutor({ workers: 1, logDirectory: logs, ...BASE });
    const scheduler = new Scheduler({ executor });
    const task = scheduler.task(napWhere);
    let victim = "";
    const results: string[] = [];
    const attempts: number[] = [];
    scheduler.onStart(() => {
      task.submit(3_000);
      when(scheduler, () => workersOf(scheduler).some((w) => w.busy), async () => {
        victim = workersOf(scheduler)[0].jobId!;
        await runCommand(["qdel", victim]);
      });
    });
    task.onResult((future, job) => {
      results.push(job);
      attempts.push(future.attempts);
    });
    const exit = await scheduler.run({ timeout: "120s" });
    assert.equal(exit.code, "exhausted");
    assert.equal(results.length, 1);
    assert.notEqual(results[0], victim, "a replacement job finished it");
    assert.deepEqual(attempts, [2]);
    assert.deepEqual(await listed(executor.jobName), []);
  },
);

cell(
  "with requeueLost 0: qdel → CANCELLED; h_rt → TIMEOUT; the next call runs on a replacement",
  async (logs) => {
    const executor = new SgeExecutor({
      workers: 1,
      requeueLost: 0,
      logDirectory: logs,
      ...BASE,
      time: "6s",
    });
    const scheduler = new Scheduler({ executor });
    const task = scheduler.task(napWhere);
    const errors: unknown[] = [];
    const victims: string[] = [];
    const results: string[] = [];
    scheduler.onStart(() => {
      task.submit(60_000);
      when(scheduler, () => workersOf(scheduler).some((w) => w.busy), async () => {
        victims.push(workersOf(scheduler)[0].jobId!);
        await runCommand(["qdel", victims[0]]);
      });
    });
    task.onException((_f, error) => {
      errors.push(error);
      // The second call outlives its job's 6 s h_rt; the third finishes on a fresh job.
      if (errors.length === 1) {
        task.submit(60_000);
        when(scheduler, () => workersOf(scheduler).some((w) => w.busy), () => {
          victims.push(workersOf(scheduler).find((w) => w.busy)!.jobId!);
        });
      } else task.submit(100);
    });
    task.onResult((_f, job) => results.push(job));
    const exit = await scheduler.run({ timeout: "120s", onException: "continue" });
    assert.equal(exit.code, "exhausted");
    assert.equal(errors.length, 2);
    const [deleted, timedOut] = errors;
    assert.ok(deleted instanceof SgeJobLostError, String(deleted));
    assert.equal(deleted.jobId, victims[0]);
    assert.equal(deleted.state, "CANCELLED", deleted.message);
    assert.ok(timedOut instanceof SgeJobLostError, String(timedOut));
    assert.equal(timedOut.jobId, victims[1]);
    assert.equal(timedOut.state, "TIMEOUT", timedOut.message);
    assert.equal(results.length, 1);
    assert.ok(!victims.includes(results[0]), `${results[0]} is a fresh job`);
    assert.deepEqual(await listed(executor.jobName), []);
  },
);

cell("adaptive { min: 0, max: 2 }: jobs follow the queue; idle ones leave qstat", async (logs) => {
  const executor = new SgeExecutor({
    workers: { min: 0, max: 2 },
    idleTimeout: "500ms",
    logDirectory: logs,
    ...BASE,
  });
  const scheduler = new Scheduler({ executor });
  const task = scheduler.task(napWhere);
  const jobs = new Set<string>();
  let released = false;
  scheduler.onStart(() => {
    for (let i = 0; i < 4; i++) task.submit(1_000);
  });
  task.onResult((_f, job) => jobs.add(job));
  scheduler.onEmpty(() =>
    when(scheduler, () => executor.info().workers.length === 0, async () => {
      const deadline = performance.now() + 30_000;
      while (!released && performance.now() < deadline) {
        released = (await listed(executor.jobName)).length === 0;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      scheduler.stop();
    })
  );
  const exit = await scheduler.run({ timeout: "120s", endOnEmpty: false });
  assert.equal(exit.code, "stopped");
  assert.equal(jobs.size, 2, `4 queued calls asked for the max of 2 jobs: ${[...jobs]}`);
  assert.ok(released, "idle jobs left qstat before the run ended");
});
