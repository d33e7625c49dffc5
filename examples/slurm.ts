/**
 * The collatz demo on a Slurm cluster: two worker jobs dial back to this
 * process and compute three chains; the tree shows each job id and state.
 * Every job is cancelled when the run ends.
 *
 * Run on a login node (or with `.ci/slurm-setup.sh` for a local cluster):
 * `deno task example:slurm`. Set `SLURM_PARTITION` to choose a partition
 * and `BATON_HOSTNAME` to the address the compute nodes reach this machine by.
 *
 * @module
 */

import { Scheduler, type SlurmWorkerInfo } from "../mod.ts";

/** One collatz step, and the Slurm job that took it. */
function collatz(n: number): [next: number, job: string] {
  return [n % 2 === 0 ? n / 2 : 3 * n + 1, Deno.env.get("SLURM_JOB_ID") ?? "?"];
}

const scheduler = Scheduler.withSlurm({
  workers: 2,
  cpus: 1,
  memory: "512MB",
  time: "10m",
  partition: Deno.env.get("SLURM_PARTITION"),
  hostname: Deno.env.get("BATON_HOSTNAME"),
  // Ask squeue often so that the tree below shows fresh states.
  pollInterval: "1s",
});
const task = scheduler.task(collatz);
const stepsPerJob = new Map<string, number>();

scheduler.onStart(function waitForJobs() {
  console.log(`Submitted 2 jobs; waiting for them to dial back…`);
  const connected = () =>
    (scheduler.executor.info().workers as SlurmWorkerInfo[])
      .filter((w) => w.state === "CONNECTED").length;
  const poll = () => {
    if (connected() < 2) return scheduler.callLater(200, poll);
    console.log(String(scheduler).split("\n").slice(0, 4).join("\n"));
    for (const n of [27, 97, 871]) task.submit(n);
  };
  poll();
});

task.onResult(function computeNext(_future, [n, job]) {
  stepsPerJob.set(job, (stepsPerJob.get(job) ?? 0) + 1);
  if (n !== 1) task.submit(n);
});

const exit = await scheduler.run({ timeout: "5m" });
console.log(`Run ended: ${exit.code}. Steps per Slurm job:`, Object.fromEntries(stepsPerJob));
