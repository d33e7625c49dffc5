/**
 * A Slurm job killed by its own `--time` limit: the call it ran rejects with
 * state `TIMEOUT`, and the next call runs on a replacement job. Slurm counts
 * time in whole minutes and checks it periodically, so this takes about 2
 * minutes: it runs only with `BATON_TEST_SLOW=1` on a cluster (see
 * `.ci/slurm-setup.sh`, `BATON_TEST_SLURM=1`).
 */

import assert from "node:assert/strict";
import { Scheduler, SlurmExecutor, SlurmJobLostError } from "../mod.ts";
import { listedJobs, napWhere, slurmWorkers, when, whyNoCluster } from "./slurm_fixtures.ts";

const why = Deno.env.get("BATON_TEST_SLOW") === "1"
  ? await whyNoCluster()
  : "BATON_TEST_SLOW is not 1 (it takes about 2 minutes)";
if (why) console.log(`Skipping the Slurm time-limit test: ${why}`);

Deno.test({
  name: "slurm (cluster, slow): a job killed at its --time limit: TIMEOUT, then a replacement",
  ignore: why !== undefined,
  fn: async () => {
    const logs = await Deno.makeTempDir({ prefix: "baton-slurm-logs-" });
    try {
      const executor = new SlurmExecutor({
        workers: 1,
        time: "1m",
        requeueLost: 0,
        hostname: "127.0.0.1",
        logDirectory: logs,
        pollInterval: "1s",
      });
      const scheduler = new Scheduler({ executor });
      const task = scheduler.task(napWhere);
      const first: string[] = [];
      const results: string[] = [];
      let error: unknown;
      scheduler.onStart(() => {
        // Slurm ends the job 60-95 s in (a 1-minute limit, checked every 30 s).
        task.submit(200_000);
        when(
          scheduler,
          () => slurmWorkers(scheduler).some((w) => w.busy),
          () => first.push(slurmWorkers(scheduler)[0].jobId!),
        );
      });
      task.onException((_f, e) => {
        error = e;
        task.submit(100);
      });
      task.onResult((_f, job) => results.push(job));
      const exit = await scheduler.run({ timeout: "400s", onException: "continue" });
      assert.equal(exit.code, "exhausted");
      assert.ok(error instanceof SlurmJobLostError, String(error));
      assert.equal(error.jobId, first[0]);
      assert.equal(error.state, "TIMEOUT", error.message);
      assert.equal(results.length, 1);
      assert.notEqual(results[0], first[0]);
      assert.deepEqual(await listedJobs(executor.jobName), []);
    } finally {
      await Deno.remove(logs, { recursive: true });
    }
  },
});
