/**
 * The Slurm executor's TCP transport and job handling against a fake Slurm
 * whose "jobs" are local process groups (tests/fixtures/fake_slurm.sh), so
 * these run on any machine with bash.
 */

import assert from "node:assert/strict";
import {
  Scheduler,
  SlurmExecutor,
  SlurmJobLostError,
  WallTimeLimitError,
  WorkerCrashedError,
} from "../mod.ts";
import {
  chainLength,
  collatzWhere,
  fakeSlurm,
  liveJobs,
  napWhere,
  slurmWorkers,
  when,
  workerCommand,
} from "./slurm_fixtures.ts";
import { checkErrorsAndOutput } from "./remote_checks.ts";

const FAKE = new URL("./fixtures/fake_slurm.sh", import.meta.url).pathname;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "baton-fake-slurm-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function counts(emitter: { eventCounts: Map<string, number> }): Record<string, number> {
  return Object.fromEntries([...emitter.eventCounts].sort());
}

Deno.test("slurm (fake): collatz chains through 2 jobs, both used; no job left after run()", () =>
  withDir(async (dir) => {
    const executor = new SlurmExecutor({ workers: 2, ...fakeSlurm(dir) });
    const scheduler = new Scheduler({ executor });
    const task = scheduler.task(collatzWhere);
    let steps = 0;
    let ones = 0;
    const jobs = new Set<string>();
    let shown: string[] = [];
    scheduler.onStart(() =>
      when(
        scheduler,
        () => slurmWorkers(scheduler).filter((w) => w.state === "CONNECTED").length === 2,
        () => {
          shown = slurmWorkers(scheduler).map((w) => w.id);
          for (const n of [27, 97, 871, 703]) task.submit(n);
        },
      )
    );
    task.onResult((_future, [next, job]) => {
      jobs.add(job);
      steps++;
      if (next !== 1) task.submit(next);
      else ones++;
    });
    const exit = await scheduler.run({ timeout: "60s" });
    assert.equal(exit.code, "exhausted");
    assert.equal(ones, 4, "each chain reached 1");
    assert.equal(steps, [27, 97, 871, 703].reduce((sum, n) => sum + chainLength(n) - 1, 0));
    assert.equal(jobs.size, 2, `both jobs ran calls: ${[...jobs]}`);
    assert.equal(shown.length, 2);
    for (const id of shown) assert.match(id, /^slurm-\d+ \(CONNECTED on /);
    assert.deepEqual(await liveJobs(fakeSlurm(dir).queueCommand!, executor.jobName), []);
    assert.equal(executor.info().workers.length, 0);
  }));

Deno.test("slurm (fake): a job killed mid-call re-queues the call, and a replacement finishes it", () =>
  withDir(async (dir) => {
    const options = fakeSlurm(dir);
    const executor = new SlurmExecutor({ workers: 1, ...options });
    const scheduler = new Scheduler({ executor });
    const task = scheduler.task(napWhere);
    let victim = "";
    const results: string[] = [];
    scheduler.onStart(() => {
      task.submit(1_500);
      when(scheduler, () => slurmWorkers(scheduler).some((w) => w.busy), async () => {
        victim = slurmWorkers(scheduler)[0].jobId!;
        const scancel = new Deno.Command(options.cancelCommand![0], {
          args: [...options.cancelCommand!.slice(1), victim],
        });
        await scancel.output();
      });
    });
    const attempts: number[] = [];
    task.onResult((future, job) => {
      results.push(job);
      attempts.push(future.attempts);
    });
    const exit = await scheduler.run({ timeout: "60s" });
    assert.equal(exit.code, "exhausted");
    assert.equal(results.length, 1);
    assert.deepEqual(attempts, [2], "started on the victim, then on the replacement");
    assert.notEqual(results[0], victim, "the replacement job finished it");
    assert.match(results[0], /^\d+$/);
    assert.deepEqual(counts(task), { done: 1, result: 1, submitted: 1 });
    assert.deepEqual(await liveJobs(options.queueCommand!, executor.jobName), []);
  }));

for (const [how, state] of [["scancel", "CANCELLED"], ["fail", "NODE_FAIL"]]) {
  Deno.test(`slurm (fake): with requeueLost 0, a job lost by ${how} rejects its call: ${state}, not COMPLETING`, () =>
    withDir(async (dir) => {
      const executor = new SlurmExecutor({ workers: 1, requeueLost: 0, ...fakeSlurm(dir) });
      const scheduler = new Scheduler({ executor });
      const task = scheduler.task(napWhere);
      let victim = "";
      let error: unknown;
      scheduler.onStart(() => {
        task.submit(20_000);
        when(scheduler, () => slurmWorkers(scheduler).some((w) => w.busy), async () => {
          victim = slurmWorkers(scheduler)[0].jobId!;
          await new Deno.Command("bash", { args: [FAKE, how, dir, victim] }).output();
        });
      });
      task.onException((_f, e) => error = e);
      const exit = await scheduler.run({ timeout: "60s", onException: "continue" });
      assert.equal(exit.code, "exhausted");
      assert.ok(error instanceof SlurmJobLostError, String(error));
      assert.ok(error instanceof WorkerCrashedError);
      assert.equal(error.jobId, victim);
      assert.equal(error.state, state);
      assert.match(error.message, new RegExp(`Slurm job ${victim} was lost \\(${state}\\)`));
    }));
}

Deno.test("slurm (fake): run() returns only when squeue lists none of its jobs, lost ones too", () =>
  withDir(async (dir) => {
    const options = fakeSlurm(dir);
    const executor = new SlurmExecutor({ workers: 2, ...options });
    const scheduler = new Scheduler({ executor });
    const task = scheduler.task(napWhere);
    const seen = new Set<string>();
    let lost = "";
    scheduler.onStart(() => {
      for (let i = 0; i < 4; i++) task.submit(600);
      when(
        scheduler,
        () => slurmWorkers(scheduler).filter((w) => w.busy).length === 2,
        async () => {
          for (const w of slurmWorkers(scheduler)) seen.add(w.jobId!);
          lost = slurmWorkers(scheduler)[0].jobId!;
          await new Deno.Command("bash", { args: [FAKE, "fail", dir, lost] }).output();
        },
      );
    });
    task.onResult(() => {
      for (const w of slurmWorkers(scheduler)) if (w.jobId) seen.add(w.jobId);
    });
    const exit = await scheduler.run({ timeout: "60s" });
    assert.equal(exit.code, "exhausted");
    assert.equal(scheduler.eventCounts.get("future-result"), 4);
    assert.ok(seen.size >= 3, `the lost job was replaced: ${[...seen]}`);
    // Plain squeue lists PENDING, RUNNING and COMPLETING jobs: none of ours is left.
    assert.deepEqual(await liveJobs(options.queueCommand!, executor.jobName), []);
    assert.ok(seen.has(lost));
  }));

Deno.test("slurm (fake): the job's process executor enforces a wall-time limit; the job stays", () =>
  withDir(async (dir) => {
    const executor = new SlurmExecutor({ workers: 1, ...fakeSlurm(dir) });
    const scheduler = new Scheduler({ executor });
    const slow = scheduler.task(napWhere, { limits: { wallTime: "1s" } });
    const after = scheduler.task(napWhere);
    let error: unknown;
    let elapsed = 0;
    const jobs: string[] = [];
    scheduler.onStart(() => slow.submit(30_000));
    slow.onSubmitted(() => elapsed = performance.now());
    slow.onWallTimeLimitReached((_f, e) => {
      error = e;
      elapsed = performance.now() - elapsed;
      after.submit(10);
    });
    after.onResult((_f, job) => jobs.push(job));
    const exit = await scheduler.run({ timeout: "60s", onException: "continue" });
    assert.equal(exit.code, "exhausted");
    assert.ok(error instanceof WallTimeLimitError, String(error));
    assert.equal(error.limit, 1_000);
    assert.match(error.message, /wall-time limit of 1s reached/);
    assert.ok(elapsed < 20_000, `stopped after ${elapsed}ms`);
    assert.deepEqual(counts(slow), {
      done: 1,
      exception: 1,
      submitted: 1,
      timeout: 1,
      "wall-time-limit-reached": 1,
    });
    assert.equal(jobs.length, 1);
    assert.equal(Number(jobs[0]), 101, "the first (and only) job ran the next call");
  }));

Deno.test("slurm (fake): cancelling a running future stops it in its job; errors keep their class", () =>
  withDir(async (dir) => {
    const executor = new SlurmExecutor({ workers: 1, ...fakeSlurm(dir) });
    const scheduler = new Scheduler({ executor });
    const sleeper = scheduler.task(napWhere);
    const failing = scheduler.task(function fails(x: number) {
      throw new TypeError(`bad ${x}`);
    });
    let error: unknown;
    scheduler.onStart(() => {
      const future = sleeper.submit(30_000)!;
      when(scheduler, () => future.status === "running" && slurmWorkers(scheduler)[0]?.busy, () => {
        assert.equal(future.cancel(), true);
        failing.submit(7);
      });
    });
    failing.onException((_f, e) => error = e);
    const exit = await scheduler.run({
      timeout: "60s",
      onException: "continue",
      onCancelled: "continue",
    });
    assert.equal(exit.code, "exhausted");
    assert.deepEqual(counts(sleeper), { cancelled: 1, submitted: 1 });
    assert.ok(error instanceof TypeError, String(error));
    assert.equal(error.message, "bad 7");
  }));

Deno.test("slurm (fake): comm works over the TCP transport", () =>
  withDir(async (dir) => {
    const scheduler = new Scheduler({
      executor: new SlurmExecutor({ workers: 1, ...fakeSlurm(dir) }),
    });
    const task = scheduler.task(
      async function ask(
        comm: { request(d: unknown): Promise<unknown>; send(d: unknown): void },
        x: number,
      ) {
        comm.send(`hello ${x}`);
        return await comm.request(x) as number + 1;
      },
      { comm: true },
    );
    const messages: unknown[] = [];
    let result = 0;
    scheduler.onStart(() => task.submit(41));
    task.on("comm-message", (msg: { data: unknown }) => messages.push(msg.data));
    task.on("comm-request", (msg: { data: unknown; respond(x: unknown): void }) =>
      msg.respond((msg.data as number) * 2));
    task.onResult((_f, value) =>
      result = value
    );
    const exit = await scheduler.run({ timeout: "60s" });
    assert.equal(exit.code, "exhausted");
    assert.deepEqual(messages, ["hello 41"]);
    assert.equal(result, 83);
    assert.equal(task.eventCounts.get("comm-open"), 1, "one start, one channel");
    assert.equal(task.eventCounts.get("comm-close"), 1);
  }));

Deno.test("slurm (fake): one start and one comm channel per attempt when a job is lost mid-call", () =>
  withDir(async (dir) => {
    const options = fakeSlurm(dir);
    const executor = new SlurmExecutor({ workers: 1, ...options });
    const scheduler = new Scheduler({ executor });
    const task = scheduler.task(
      async function talkThenWait(comm: { send(d: unknown): void }, path: string) {
        const attempt = Number(await Deno.readTextFile(path).catch(() => "0")) + 1;
        await Deno.writeTextFile(path, String(attempt));
        comm.send(`attempt ${attempt}`);
        if (attempt === 1) await new Promise((r) => setTimeout(r, 30_000));
        return attempt;
      },
      { comm: true },
    );
    const channel: string[] = [];
    task.on("comm-open", () => channel.push("open"));
    task.on("comm-close", () => channel.push("close"));
    task.on("comm-message", async (msg: { data: unknown }) => {
      channel.push(String(msg.data));
      if (msg.data === "attempt 1") {
        await new Deno.Command("bash", {
          args: [FAKE, "fail", dir, slurmWorkers(scheduler)[0].jobId!],
        }).output();
      }
    });
    let attempts = 0;
    task.onResult((future) => attempts = future.attempts);
    scheduler.onStart(() => task.submit(`${dir}/attempts`));
    const exit = await scheduler.run({ timeout: "60s" });
    assert.equal(exit.code, "exhausted");
    assert.equal(attempts, 2);
    assert.deepEqual(channel, ["open", "attempt 1", "close", "open", "attempt 2", "close"]);
  }));

Deno.test("slurm (fake): adaptive { min: 0, max: 2 } grows with the queue and releases idle jobs", () =>
  withDir(async (dir) => {
    const executor = new SlurmExecutor({
      workers: { min: 0, max: 2 },
      idleTimeout: "300ms",
      ...fakeSlurm(dir),
    });
    const scheduler = new Scheduler({ executor });
    const task = scheduler.task(napWhere);
    const jobs = new Set<string>();
    let most = 0;
    let atStart = -1;
    scheduler.onStart(() => {
      atStart = executor.info().workers.length;
      for (let i = 0; i < 6; i++) task.submit(400);
    });
    task.onResult((_f, job) => jobs.add(job));
    scheduler.onEmpty(() =>
      when(scheduler, () => {
        most = Math.max(most, executor.jobIds.length);
        return executor.info().workers.length === 0;
      }, () => scheduler.stop({ reason: "scaled to zero" }))
    );
    scheduler.onFutureResult(() => most = Math.max(most, executor.jobIds.length));
    const exit = await scheduler.run({ timeout: "60s", endOnEmpty: false });
    assert.equal(exit.code, "stopped");
    assert.equal(atStart, 0, "min 0: no job before there is work");
    assert.equal(jobs.size, 2, `the queue of 6 asked for max jobs: ${[...jobs]}`);
    assert.ok(most <= 2, `never more than max: ${most}`);
    assert.deepEqual(await liveJobs(fakeSlurm(dir).queueCommand!, executor.jobName), []);
  }));

Deno.test("slurm (fake): jobs that die before connecting fail the calls with their output", () =>
  withDir(async (dir) => {
    const executor = new SlurmExecutor({
      workers: 1,
      workerCommand: ["sh", "-c", "echo 'no deno on this node' >&2; exit 3", "sh"],
      logDirectory: dir,
      ...fakeSlurm(dir),
    });
    const scheduler = new Scheduler({ executor });
    const task = scheduler.task(napWhere);
    let error: unknown;
    scheduler.onStart(() => task.submit(1));
    task.onException((_f, e) => error = e);
    const exit = await scheduler.run({ timeout: "60s", onException: "continue" });
    assert.equal(exit.code, "exhausted");
    assert.ok(error instanceof WorkerCrashedError, String(error));
    assert.match(error.message, /keep failing before they connect \(3 in a row\)/);
  }));

Deno.test("slurm (fake): a submit command that fails makes run() reject, naming it", () =>
  withDir(async (dir) => {
    const scheduler = new Scheduler({
      executor: new SlurmExecutor({ workers: 1, ...fakeSlurm(dir), submitCommand: ["false"] }),
    });
    await assert.rejects(scheduler.run(), /false --parsable failed with code 1/);
  }));

for (const executor of ["processes", "sequential"]) {
  Deno.test(`slurm (fake): errors keep class and fields, output reaches the main process [job executor: ${executor}]`, () =>
    withDir(async (dir) => {
      const slurm = new SlurmExecutor({
        workers: 1,
        ...fakeSlurm(dir),
        workerCommand: workerCommand(executor),
      });
      await checkErrorsAndOutput(new Scheduler({ executor: slurm, echo: false }));
      assert.deepEqual(await liveJobs(fakeSlurm(dir).queueCommand!, slurm.jobName), []);
    }));
}
