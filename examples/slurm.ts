/**
 * The collatz demo on a batch cluster: two worker jobs dial back to this
 * process and compute three chains; the tree shows each job id and state.
 * Every job is cancelled when the run ends.
 *
 * Run on a login node (or with `.ci/slurm-setup.sh` / `.ci/sge-setup.sh`
 * for a local cluster): `deno task example:slurm`, or `deno task example:sge`
 * for Grid Engine. Set `SLURM_PARTITION` (or `SGE_QUEUE`) to choose where the
 * jobs go and `BATON_HOSTNAME` to the address the compute nodes reach this
 * machine by.
 *
 * @module
 */

import { type HpcWorkerInfo, Scheduler } from "../mod.ts";

/** One collatz step, and the batch job that took it. */
function collatz(n: number): [next: number, job: string] {
  const job = Deno.env.get("SLURM_JOB_ID") ?? Deno.env.get("JOB_ID") ?? "?";
  return [n % 2 === 0 ? n / 2 : 3 * n + 1, job];
}

const engine = Deno.args[0] === "sge" ? "sge" : "slurm";
const common = {
  workers: 2,
  memory: "512MB",
  time: "10m",
  hostname: Deno.env.get("BATON_HOSTNAME"),
  // Ask the engine often so that the tree below shows fresh states.
  pollInterval: "1s",
} as const;
const scheduler = engine === "sge"
  ? Scheduler.withSge({ ...common, queue: Deno.env.get("SGE_QUEUE") })
  : Scheduler.withSlurm({ ...common, cpus: 1, partition: Deno.env.get("SLURM_PARTITION") });
const task = scheduler.task(collatz);
const stepsPerJob = new Map<string, number>();

scheduler.onStart(function waitForJobs() {
  console.log(`Submitted 2 ${engine} jobs; waiting for them to dial back…`);
  const connected = () =>
    (scheduler.executor.info().workers as HpcWorkerInfo[])
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

try {
  const exit = await scheduler.run({ timeout: "5m" });
  console.log(`Run ended: ${exit.code}. Steps per ${engine} job:`, Object.fromEntries(stepsPerJob));
} catch (error) {
  // No cluster here: say so, without a stack trace.
  const message = (error as Error)?.message ?? String(error);
  if (!/^Could not run /.test(message)) throw error;
  const setup = engine === "sge" ? ".ci/sge-setup.sh" : ".ci/slurm-setup.sh";
  console.error(
    `example:${engine} needs a ${
      engine === "sge" ? "Grid Engine" : "Slurm"
    } cluster: ${message}.\n` +
      `Run it on a login node, or start a single-node one here with: sudo bash ${setup}`,
  );
  Deno.exit(1);
}
