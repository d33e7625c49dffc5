/**
 * A Slurm job killed by its own `--time` limit: the call it ran is
 * re-queued and finished by a replacement job. Slurm counts time in whole
 * minutes and checks it periodically, so this takes about 2 minutes; it
 * runs only where a cluster answers (see `.ci/slurm-setup.sh`).
 */

import assert from "node:assert/strict";
import { Scheduler, SlurmExecutor } from "../mod.ts";
import { liveJobs, slurmWorkers, when, whyNoCluster } from "./slurm_fixtures.ts";

/** Sleeps until the clock reads `at`, so a re-run after a lost job only waits for the rest. */
async function napUntil(at: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
  return Deno.env.get("SLURM_JOB_ID") ?? "?";
}

const why = await whyNoCluster();
if (why) console.log(`Skipping the Slurm time-limit test: ${why}`);

Deno.test({
  name: "slurm (cluster): a job killed at its --time limit re-queues its call to a replacement",
  ignore: why !== undefined,
  fn: async () => {
    const logs = await Deno.makeTempDir({ prefix: "baton-slurm-logs-" });
    try {
      const executor = new SlurmExecutor({
        workers: 1,
        time: "1m",
        hostname: "127.0.0.1",
        logDirectory: logs,
        pollInterval: "1s",
      });
      const scheduler = new Scheduler({ executor });
      const task = scheduler.task(napUntil);
      const first: string[] = [];
      const results: string[] = [];
      scheduler.onStart(() => {
        // Slurm ends the first job 60-95 s in (a 1-minute limit, checked every 30 s), before
        // this call is done; its replacement has a fresh minute for the remaining 15-50 s.
        task.submit(Date.now() + 110_000);
        when(
          scheduler,
          () => slurmWorkers(scheduler).some((w) => w.busy),
          () => first.push(slurmWorkers(scheduler)[0].jobId!),
        );
      });
      task.onResult((_f, job) => results.push(job));
      const exit = await scheduler.run({ timeout: "400s" });
      assert.equal(exit.code, "exhausted");
      assert.equal(results.length, 1);
      assert.notEqual(results[0], first[0]);
      assert.deepEqual(await liveJobs(["squeue"], executor.jobName), []);
    } finally {
      await Deno.remove(logs, { recursive: true });
    }
  },
});
