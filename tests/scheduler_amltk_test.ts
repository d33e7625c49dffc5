/**
 * amltk's scheduler semantics for `empty`, with every event counted as its
 * own suite counts them (tests/scheduling/test_scheduler.py,
 * test_pynisher_plugin.py): `empty` fires when the queue drains, also when
 * the last call's outcome stops the run (a callback's `stop()`, an error's
 * policy); not when a timeout or a stop leaves calls running.
 */

import assert from "node:assert/strict";
import { Scheduler } from "../mod.ts";
import { eachExecutor } from "./helpers.ts";

class CustomError extends Error {}

function all(emitter: { eventCounts: Map<string, number> }): Record<string, number> {
  return Object.fromEntries([...emitter.eventCounts].sort(([a], [b]) => a.localeCompare(b)));
}

async function sleepAndReturn(ms: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
}

function raiseError(): never {
  throw new RangeError("This is a custom error.");
}

const BASE = { start: 1, finishing: 1, finished: 1 };

eachExecutor("timeout with wait: the running call's result arrives, no empty", async (make) => {
  const scheduler = make();
  const task = scheduler.task(sleepAndReturn);
  scheduler.onStart(() => task.submit(500));
  const exit = await scheduler.run({ timeout: 100, wait: true });
  assert.equal(exit.code, "timeout");
  assert.deepEqual(all(task), { done: 1, result: 1, submitted: 1 });
  assert.deepEqual(all(scheduler), {
    ...BASE,
    timeout: 1,
    "future-submitted": 1,
    "future-done": 1,
    "future-result": 1,
  });
}, ["workers", "processes"]);

eachExecutor("timeout without wait: the running call is cancelled, no empty", async (make) => {
  const scheduler = make();
  const task = scheduler.task(sleepAndReturn);
  scheduler.onStart(() => task.submit(10_000));
  const exit = await scheduler.run({ timeout: 100, wait: false });
  assert.equal(exit.code, "timeout");
  assert.deepEqual(all(task), { cancelled: 1, submitted: 1 });
  assert.deepEqual(all(scheduler), {
    ...BASE,
    timeout: 1,
    "future-submitted": 1,
    "future-cancelled": 1,
  });
}, ["workers", "processes"]);

eachExecutor("chained tasks end exhausted with one empty", async (make) => {
  const scheduler = make();
  const first = scheduler.task(sleepAndReturn);
  const second = scheduler.task(sleepAndReturn);
  first.onResult((_f, ms) => second.submit(ms));
  scheduler.onStart(() => first.submit(10));
  const exit = await scheduler.run();
  assert.equal(exit.code, "exhausted");
  assert.deepEqual(all(scheduler), {
    ...BASE,
    empty: 1,
    "future-submitted": 2,
    "future-done": 2,
    "future-result": 2,
  });
});

eachExecutor("queue empty status: refill on the first empty, stop on the second", async (make) => {
  const scheduler = make();
  const task = scheduler.task(sleepAndReturn);
  scheduler.onEmpty(() => task.submit(10), {
    when: () => scheduler.eventCounts.get("empty") === 1,
  });
  scheduler.onEmpty(() => scheduler.stop(), {
    when: () => scheduler.eventCounts.get("empty") === 2,
  });
  const exit = await scheduler.run({ timeout: "3s", endOnEmpty: false });
  assert.equal(exit.code, "stopped");
  assert.deepEqual(all(scheduler), {
    ...BASE,
    empty: 2,
    stop: 1,
    "future-submitted": 1,
    "future-done": 1,
    "future-result": 1,
  });
});

eachExecutor("repeat on start: ten calls, one emission, one empty", async (make) => {
  const scheduler = make();
  const results: number[] = [];
  const handler = scheduler.onStart(() => results.push(1), { repeat: 10 });
  const exit = await scheduler.run();
  assert.equal(exit.code, "exhausted");
  assert.deepEqual(results, Array(10).fill(1));
  assert.equal(handler.callCount, 1);
  assert.deepEqual(all(scheduler), { ...BASE, empty: 1 });
});

const POLICIES: Array<[label: string, policy: unknown]> = [
  ["raise", "raise"],
  ["end", "end"],
  ["[[RangeError, end]]", [[RangeError, "end"]]],
  ["[[CustomError, continue]] (no match: raise)", [[CustomError, "continue"]]],
];

for (const [label, policy] of POLICIES) {
  eachExecutor(
    `an error under onException ${label} stops the run, and the drained queue still emits empty`,
    async (make) => {
      const scheduler = make();
      const task = scheduler.task(raiseError);
      scheduler.onStart(() => task.submit());
      const exit = await scheduler.run({ onException: policy as never }).catch((e) => ({
        raised: e,
      }));
      if ("raised" in exit) assert.ok(exit.raised instanceof RangeError);
      else assert.equal(exit.code, "exception");
      assert.deepEqual(all(task), { done: 1, exception: 1, submitted: 1 });
      assert.deepEqual(all(scheduler), {
        ...BASE,
        empty: 1,
        stop: 1,
        "future-submitted": 1,
        "future-done": 1,
        "future-exception": 1,
      });
    },
  );
}

eachExecutor("continue on exception: exhausted, one empty, no stop", async (make) => {
  const scheduler = make();
  const task = scheduler.task(raiseError);
  scheduler.onStart(() => task.submit());
  const exit = await scheduler.run({ onException: "continue" });
  assert.equal(exit.code, "exhausted");
  assert.deepEqual(all(scheduler), {
    ...BASE,
    empty: 1,
    "future-submitted": 1,
    "future-done": 1,
    "future-exception": 1,
  });
});

eachExecutor(
  "stop() in the last call's exception callback: empty, then finishing",
  async (make) => {
    const scheduler = make();
    const order: string[] = [];
    scheduler.onStart(() => scheduler.submit(raiseError));
    scheduler.onFutureException(() => scheduler.stop());
    for (const event of ["stop", "empty", "finishing"]) {
      scheduler.on(event, () => order.push(event));
    }
    await scheduler.run({ onException: "continue" });
    assert.deepEqual(order, ["stop", "empty", "finishing"]);
    assert.equal(scheduler.eventCounts.get("empty"), 1);
  },
);

eachExecutor(
  "stop() with calls still running emits no empty, with or without wait",
  async (make) => {
    for (const wait of [true, false]) {
      const scheduler = make();
      scheduler.onStart(() => scheduler.submit(sleepAndReturn, 300));
      scheduler.onFutureSubmitted(() => scheduler.stop());
      await scheduler.run({ wait });
      assert.equal(scheduler.eventCounts.get("empty") ?? 0, 0, `wait: ${wait}`);
      assert.equal(scheduler.eventCounts.get("stop"), 1);
    }
  },
  ["workers", "processes"],
);

Deno.test("stop() from start with nothing submitted still emits empty once", async () => {
  const scheduler = Scheduler.sequential();
  scheduler.onStart(() => scheduler.stop());
  const exit = await scheduler.run();
  assert.equal(exit.code, "stopped");
  assert.deepEqual(all(scheduler), { ...BASE, empty: 1, stop: 1 });
});
