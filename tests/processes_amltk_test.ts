/**
 * AutoML-Toolkit's limit-plugin tests (tests/scheduling/plugins/test_pynisher_plugin.py),
 * ported: memory-, wall- and CPU-limited tasks raise their specific error
 * under onException "raise", and end the run with code "exception" under
 * [[LimitError, "end"]], with the exact events.
 */

import assert from "node:assert/strict";
import {
  CpuTimeLimitError,
  type ErrorClass,
  LimitError,
  MemoryLimitError,
  Scheduler,
  WallTimeLimitError,
} from "../mod.ts";
import { allocate, busyLoop, childPids, counts, sleep } from "./processes_fixtures.ts";

const cases: Array<{
  name: string;
  fn: (...args: never[]) => unknown;
  args: unknown[];
  limits: { wallTime?: string; cpuTime?: string; memory?: string };
  error: ErrorClass;
  event: string;
  timeout: boolean;
}> = [
  {
    name: "memory",
    fn: allocate,
    args: [],
    limits: { memory: "64MB" },
    error: MemoryLimitError,
    event: "memory-limit-reached",
    timeout: false,
  },
  {
    name: "wall-time",
    fn: sleep,
    args: [10_000],
    limits: { wallTime: "300ms" },
    error: WallTimeLimitError,
    event: "wall-time-limit-reached",
    timeout: true,
  },
  {
    name: "CPU-time",
    fn: busyLoop,
    args: [],
    limits: { cpuTime: "1s" },
    error: CpuTimeLimitError,
    event: "cpu-time-limit-reached",
    timeout: true,
  },
];

for (const c of cases) {
  Deno.test(`amltk port: a ${c.name}-limited task raises ${c.error.name}`, async () => {
    const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
    const task = scheduler.task(c.fn as (...args: unknown[]) => unknown, { limits: c.limits });
    scheduler.onStart(() => task.submit(...c.args));
    await assert.rejects(scheduler.run({ onException: "raise" }), c.error);
    assert.deepEqual(childPids(scheduler), []);
  });

  Deno.test(`amltk port: a ${c.name}-limited task ends the run under [[LimitError, "end"]]`, async () => {
    const scheduler = Scheduler.withProcesses(1, { forwardStderr: false });
    const task = scheduler.task(c.fn as (...args: unknown[]) => unknown, { limits: c.limits });
    scheduler.onStart(() => task.submit(...c.args));
    const exit = await scheduler.run({ onException: [[LimitError, "end"]] });
    assert.equal(exit.code, "exception");
    assert.ok(exit.error instanceof c.error, String(exit.error));
    assert.deepEqual(counts(task), {
      [c.event]: 1,
      done: 1,
      exception: 1,
      submitted: 1,
      ...(c.timeout ? { timeout: 1 } : {}),
    });
    // amltk counts EMPTY: 1 here too: the queue drained as the error stopped the run.
    assert.deepEqual(counts(scheduler), {
      empty: 1,
      finished: 1,
      finishing: 1,
      "future-done": 1,
      "future-exception": 1,
      "future-submitted": 1,
      start: 1,
      stop: 1,
    });
    assert.deepEqual(childPids(scheduler), []);
  });
}
