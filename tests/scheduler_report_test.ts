import assert from "node:assert/strict";
import {
  CancelledError,
  type Future,
  MemoryLimitError,
  Scheduler,
  type TrialReport,
  WallTimeLimitError,
  WorkerCrashedError,
} from "../mod.ts";
import { counts } from "./helpers.ts";

/** Does what `kind` says: return, throw, sleep past any limit, exit, or eat memory. */
async function trial(kind: string): Promise<number> {
  if (kind === "throw") throw new TypeError("bad config");
  if (kind === "slow") await new Promise((resolve) => setTimeout(resolve, 10_000));
  if (kind === "crash") Deno.exit(3);
  if (kind === "memory") {
    const keep: number[][] = [];
    while (true) keep.push(new Array(100_000).fill(Math.random()));
  }
  return kind.length;
}

function summary(report: TrialReport<number>): string {
  return [report.status, report.value ?? report.error?.name, report.limit].filter(Boolean).join(
    " ",
  );
}

Deno.test("a report task turns outcomes into reports delivered as results [sequential]", async () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task(trial, { report: true, limits: { wallTime: "50ms" } });
  const reports = await scheduler.map(task, ["ok", "throw", "slow"]);
  assert.deepEqual(reports.map(summary), [
    "success 2",
    "fail TypeError",
    "fail WallTimeLimitError wallTime",
  ]);
  assert.ok(reports[2].error instanceof WallTimeLimitError);
  // Failures arrive as results: no exception events, no policy to stop the run.
  assert.deepEqual(counts(task, ["result", "exception", "wall-time-limit-reached"]), {
    result: 3,
    exception: 0,
    "wall-time-limit-reached": 0,
  });
});

Deno.test("limits and crashes become reports on processes; the search goes on", async () => {
  const scheduler = Scheduler.withProcesses(2, { forwardStderr: false });
  const task = scheduler.task(trial, {
    report: true,
    // Generous: a process's wall time includes its start, slow on a loaded machine.
    limits: { wallTime: "3s", memory: "96MB" },
  });
  const seen: string[] = [];
  task.onResult((future, report) => seen.push(`${future.args[0]}: ${report.status}`));
  scheduler.onStart(() => {
    for (const kind of ["slow", "crash", "memory", "throw", "fine"]) task.submit(kind);
  });
  // The default policy, "raise", never sees an error: every call fulfils.
  const exit = await scheduler.run();
  assert.equal(exit.code, "exhausted");
  assert.deepEqual(seen.sort(), [
    "crash: crashed",
    "fine: success",
    "memory: fail",
    "slow: fail",
    "throw: fail",
  ]);
});

Deno.test("report fields: limit names the limit, crashed carries the crash", async () => {
  const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
  const task = scheduler.task(trial, {
    report: true,
    limits: { wallTime: "3s", memory: "96MB" },
  });
  const [slow, crash, memory, fine] = await scheduler.map(task, [
    "slow",
    "crash",
    "memory",
    "fine",
  ]);
  assert.equal(slow.limit, "wallTime");
  assert.ok(slow.error instanceof WallTimeLimitError);
  assert.equal(crash.status, "crashed");
  assert.ok(crash.error instanceof WorkerCrashedError);
  assert.equal(crash.limit, undefined);
  assert.equal(memory.status, "fail");
  assert.equal(memory.limit, "memory");
  assert.ok(memory.error instanceof MemoryLimitError);
  assert.deepEqual(fine, { status: "success", value: 4 });
});

Deno.test("a cancelled call of a report task is still a cancellation", async () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task(trial, { report: true });
  let future: Future | undefined;
  scheduler.onStart(() => {
    future = task.submit("slow");
    queueMicrotask(() => future!.cancel());
  });
  await scheduler.run({ onCancelled: "continue" });
  assert.equal(future?.status, "cancelled");
  assert.ok(future?.error instanceof CancelledError);
  assert.equal(task.eventCounts.get("result") ?? 0, 0);
});

Deno.test("report must be a task option of the right kind", () => {
  const scheduler = Scheduler.sequential();
  assert.throws(() => scheduler.task(trial, { reports: true } as never), /did you mean "report"/);
  assert.throws(
    () => scheduler.task(trial, { report: "yes" } as never),
    /report must be true or false, got "yes"/,
  );
});
