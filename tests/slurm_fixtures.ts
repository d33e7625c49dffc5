/**
 * Helpers of the Slurm tests: a fake Slurm made of local processes (runs
 * anywhere), the check for a real cluster, and task functions that say
 * which job ran them.
 */

import { parseQueue, queueArgs } from "../src/executors/slurm/commands.ts";
import { runCommand } from "../src/executors/hpc/commands.ts";
import assert from "node:assert/strict";
import type { SlurmOptions, SlurmWorkerInfo } from "../mod.ts";
import { monitor, Scheduler } from "../mod.ts";
import type { Executor } from "../mod.ts";

const FAKE = new URL("./fixtures/fake_slurm.sh", import.meta.url).pathname;

/** Options that make the executor use the fake Slurm in `dir`. */
export function fakeSlurm(dir: string): Partial<SlurmOptions> {
  return {
    submitCommand: ["bash", FAKE, "sbatch", dir],
    cancelCommand: ["bash", FAKE, "scancel", dir],
    queueCommand: ["bash", FAKE, "squeue", dir],
    hostname: "127.0.0.1",
    pollInterval: "200ms",
  };
}

/** Job ids that a queue command still lists as running or pending under `jobName`. */
export async function liveJobs(queueCommand: string[], jobName: string): Promise<string[]> {
  const result = await runCommand([...queueCommand, ...queueArgs(jobName)]);
  if (result.code !== 0) throw new Error(`squeue failed: ${result.stderr}`);
  return [...parseQueue(result.stdout).values()]
    .filter((j) => ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING"].includes(j.state))
    .map((j) => j.jobId);
}

/**
 * Why the real-Slurm tests cannot run here, or `undefined` when they can:
 * they run only with `BATON_TEST_SLURM=1` (set by `.ci/run` once its own
 * single-node cluster is up) and a node that `sinfo` shows up.
 */
export async function whyNoCluster(): Promise<string | undefined> {
  if (Deno.env.get("BATON_TEST_SLURM") !== "1") {
    return "BATON_TEST_SLURM is not 1 (.ci/run sets it once .ci/slurm-setup.sh brought a cluster up)";
  }
  try {
    const result = await runCommand(["sinfo", "--noheader", "--format=%t"], { timeout: 10_000 });
    if (result.code !== 0) return `sinfo failed: ${result.stderr.trim().split("\n").at(-1)}`;
    if (!/\b(idle|mix|alloc)/.test(result.stdout)) {
      return `no node is up (sinfo: ${result.stdout.trim() || "nothing"})`;
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Job ids that plain `squeue` (pending, running, completing…) lists under `jobName`. */
export async function listedJobs(jobName: string): Promise<string[]> {
  const result = await runCommand(["squeue", "--noheader", `--name=${jobName}`, "--format=%i"]);
  if (result.code !== 0) throw new Error(`squeue failed: ${result.stderr}`);
  return result.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
}

/**
 * Declares a test on a real cluster, named `label (…): name`, that gets a
 * temporary log directory; skipped when `why` says the cluster is missing.
 */
export function clusterTest(
  label: string,
  why: string | undefined,
): (name: string, fn: (logs: string) => Promise<void>) => void {
  if (why) console.log(`Skipping the real-${label} tests: ${why}`);
  return (name, fn) =>
    Deno.test({
      name: `${label.toLowerCase()}: ${name}`,
      ignore: why !== undefined,
      fn: async () => {
        const logs = await Deno.makeTempDir({ prefix: "baton-logs-" });
        try {
          await fn(logs);
        } finally {
          await Deno.remove(logs, { recursive: true });
        }
      },
    });
}

/** Polls `check` every 50 ms through the scheduler (so the run does not end) until it holds. */
export function when(scheduler: Scheduler, check: () => boolean, then: () => unknown): void {
  const poll = () => {
    if (check()) return then();
    scheduler.callLater(50, poll);
  };
  poll();
}

/** The Slurm workers of a scheduler's executor. */
export function slurmWorkers(scheduler: Scheduler): SlurmWorkerInfo[] {
  return scheduler.executor.info().workers as SlurmWorkerInfo[];
}

/** One Collatz step, and the job that took it. */
export function collatzWhere(n: number): [number, string] {
  return [
    n % 2 === 0 ? n / 2 : 3 * n + 1,
    Deno.env.get("SLURM_JOB_ID") ?? Deno.env.get("JOB_ID") ?? "?",
  ];
}

/** Sleeps `ms`, then says which job it ran in. */
export async function napWhere(ms: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return Deno.env.get("SLURM_JOB_ID") ?? Deno.env.get("JOB_ID") ?? "?";
}

/** The length of the Collatz chain from `n` to 1, counting both ends. */
export function chainLength(n: number): number {
  let steps = 1;
  while (n !== 1) {
    n = n % 2 === 0 ? n / 2 : 3 * n + 1;
    steps++;
  }
  return steps;
}

/**
 * The collatz demo through a batch executor with 2 jobs: three chains once
 * both jobs are connected. Checks that every chain reached 1, both jobs
 * ran calls, and the tree and the monitor named each job
 * (`<kind>-<job id> (CONNECTED on <node>)`).
 */
export async function collatzOnTwoJobs(executor: Executor): Promise<void> {
  const scheduler = new Scheduler({ executor });
  const task = scheduler.task(collatzWhere);
  let steps = 0;
  let ones = 0;
  const jobs = new Set<string>();
  let tree = "";
  let status = "";
  scheduler.onStart(() =>
    when(
      scheduler,
      () => slurmWorkers(scheduler).filter((w) => w.state === "CONNECTED").length === 2,
      async () => {
        tree = String(scheduler);
        status = await (await monitor(scheduler).request("/api/status")).text();
        for (const n of [27, 97, 871]) task.submit(n);
      },
    )
  );
  task.onResult((_future, [next, job]) => {
    jobs.add(job);
    steps++;
    if (next !== 1) task.submit(next);
    else ones++;
  });
  const exit = await scheduler.run({ timeout: "120s" });
  assert.equal(exit.code, "exhausted");
  assert.equal(ones, 3, "each chain reached 1");
  assert.equal(steps, chainLength(27) + chainLength(97) + chainLength(871) - 3);
  assert.equal(jobs.size, 2, `both jobs ran calls: ${[...jobs]}`);
  for (const job of jobs) {
    assert.match(job, /^\d+$/);
    assert.match(tree, new RegExp(`${executor.kind}-${job} \\(CONNECTED on \\S+\\)`));
    assert.match(status, new RegExp(`${executor.kind}-${job} \\(CONNECTED`));
  }
}

/** The command of a `baton worker` job whose calls run on `executor` (processes, workers, sequential). */
export function workerCommand(executor: string): string[] {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  return [Deno.execPath(), "run", "-A", "--no-lock", cli, "worker", "--executor", executor];
}
