/**
 * Cancellation aborts with one reason on every executor: a call's signal
 * aborts with the very error its future settles with (`CancelledError` on
 * cancel, `WallTimeLimitError` at the deadline), wherever the call runs.
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  Scheduler,
  SlurmExecutor,
  type TaskContext,
  WallTimeLimitError,
} from "../mod.ts";
import { broadcastAbort, recordAbort } from "./fixtures/abort_fns.ts";
import { fakeSlurm, when, workerCommand } from "./slurm_fixtures.ts";

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

const seen: unknown[] = [];
async function keepReason(this: TaskContext): Promise<void> {
  await new Promise((resolve) => this.signal.addEventListener("abort", resolve));
  seen.push(this.signal.reason);
}

Deno.test("sequential: the signal aborts with the future's own CancelledError or WallTimeLimitError", async () => {
  seen.length = 0;
  const scheduler = Scheduler.sequential();
  const cancelled = scheduler.task(keepReason);
  const limited = scheduler.task(keepReason, { limits: { wallTime: "100ms" } });
  let cancelledFuture: ReturnType<typeof cancelled.submit>;
  let limitedFuture: ReturnType<typeof limited.submit>;
  scheduler.onStart(() => {
    limitedFuture = limited.submit();
  });
  limited.onException(() => {
    cancelledFuture = cancelled.submit();
    scheduler.callLater(50, () => cancelledFuture!.cancel());
  });
  await scheduler.run({ onException: "continue", onCancelled: "continue" });
  assert.equal(seen.length, 2);
  assert.ok(seen[0] instanceof WallTimeLimitError);
  assert.equal(seen[0], limitedFuture!.error);
  assert.ok(seen[1] instanceof CancelledError);
  assert.equal(seen[1], cancelledFuture!.error);
});

Deno.test("workers: at the deadline the signal aborts with a WallTimeLimitError like the future's", async () => {
  const channel = `baton-reason-${crypto.randomUUID()}`;
  const listener = new BroadcastChannel(channel);
  const heard = new Promise<string>((resolve) => listener.onmessage = (e) => resolve(e.data));
  const scheduler = Scheduler.withWorkers(1);
  const task = scheduler.task(broadcastAbort, { limits: { wallTime: "200ms" } });
  let error: unknown;
  task.onException((_f, e) => error = e);
  scheduler.onStart(() => void task.submit(channel));
  await scheduler.run({ onException: "continue" });
  // Bounded: a worker ended before its abort handler ran (declared stuck under heavy
  // load) never broadcasts, and the test must fail rather than hang.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const text = await Promise.race([
    heard,
    new Promise<string>((resolve) => timer = setTimeout(() => resolve("never heard"), 30_000)),
  ]);
  clearTimeout(timer);
  listener.close();
  assert.ok(error instanceof WallTimeLimitError);
  assert.equal(text, `WallTimeLimitError: ${(error as Error).message}`);
});

Deno.test("slurm (fake) on a sequential job: a cancelled call's signal aborts with its CancelledError", async () => {
  const dir = await Deno.makeTempDir({ prefix: "baton-cancel-" });
  try {
    const slurm = new SlurmExecutor({
      workers: 1,
      ...fakeSlurm(dir),
      workerCommand: workerCommand("sequential"),
    });
    const scheduler = new Scheduler({ executor: slurm });
    const path = `${dir}/reason.txt`;
    const task = scheduler.task(recordAbort);
    let error: unknown;
    scheduler.onStart(() => {
      const future = task.submit(path)!;
      when(scheduler, () => exists(`${path}.started`), () => {
        future.cancel();
        error = future.error;
      });
    });
    await scheduler.run({ onCancelled: "continue", timeout: "60s" });
    assert.ok(error instanceof CancelledError);
    assert.equal(await Deno.readTextFile(path), `CancelledError: ${(error as Error).message}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("processes: a call cancelled while its process is still starting ends it, not only its signal", async () => {
  // A call that ignores its signal: only ending its process stops it.
  const nap = (ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) { /* busy, deaf to signals */ }
    return ms;
  };
  const scheduler = Scheduler.withProcesses(1);
  const task = scheduler.task(nap);
  const results: unknown[] = [];
  task.onResult((_f, ms) => results.push(ms));
  const started = performance.now();
  scheduler.onStart(() => {
    const long = task.submit(30_000)!;
    task.submit(1);
    // Submitted and cancelled in the same turn: the process is not ready yet.
    assert.equal(long.cancel(), true);
  });
  await scheduler.run({ onCancelled: "continue" });
  assert.deepEqual(results, [1]);
  assert.ok(performance.now() - started < 20_000, "the cancelled 30 s call did not run to its end");
});
