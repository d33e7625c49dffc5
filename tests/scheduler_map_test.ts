import assert from "node:assert/strict";
import {
  CancelledError,
  Limiter,
  Scheduler,
  SchedulerNotRunningError,
  SubmitRefusedError,
} from "../mod.ts";
import { double, sleepThen } from "./fixtures/functions.ts";
import { counts, eachExecutor } from "./helpers.ts";
import { maxOverlap, timed } from "./fixtures/timing.ts";
import { queueName, redisTest, withRedis } from "./redis_helpers.ts";

/** Fails for 0, sleeps for the rest. */
async function failOnZero(ms: number): Promise<number> {
  if (ms === 0) throw new RangeError("zero");
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
}

const BIG_POOLS: Array<[string, () => Scheduler]> = [
  ["sequential", () => Scheduler.sequential()],
  ["workers", () => Scheduler.withWorkers(4)],
  ["processes", () => Scheduler.withProcesses(4)],
];

eachExecutor(
  "map resolves with results in input order, whatever order calls finish",
  async (make) => {
    const scheduler = make();
    const delays = [120, 0, 60, 10, 0];
    const results = await scheduler.map(sleepThen, delays, { concurrency: 3 });
    assert.deepEqual(results, delays);
    assert.deepEqual(counts(scheduler, ["future-submitted", "future-result"]), {
      "future-submitted": 5,
      "future-result": 5,
    });
  },
);

eachExecutor(
  "map runs a stopped scheduler for as long as it needs, then lets it finish",
  async (make) => {
    const scheduler = make();
    assert.equal(scheduler.running(), false);
    const results = await scheduler.map(double, [1, 2, 3]);
    assert.deepEqual(results, [2, 4, 6]);
    assert.equal(scheduler.running(), false);
    assert.equal(scheduler.exitState?.code, "stopped");
    assert.equal(scheduler.eventCounts.get("finished"), 1);
    // And it can run again, as any finished scheduler can.
    assert.deepEqual(await scheduler.map(double, [5]), [10]);
  },
);

Deno.test("map inside a run borrows the scheduler and follows its policies", async () => {
  const scheduler = Scheduler.sequential();
  const seen: number[][] = [];
  scheduler.onStart(async () => {
    seen.push(await scheduler.map(double, [1, 2]));
    seen.push(await scheduler.map(double, [3]));
  });
  const exit = await scheduler.run();
  assert.equal(exit.code, "exhausted");
  assert.deepEqual(seen, [[2, 4], [6]]);
  assert.equal(scheduler.eventCounts.get("start"), 1);
});

for (const [name, make] of BIG_POOLS) {
  Deno.test(`map never has more than concurrency calls running, counted where they run [${name}]`, async () => {
    const scheduler = make();
    const intervals = await scheduler.map(timed, Array(8).fill(60), { concurrency: 2 });
    assert.equal(intervals.length, 8);
    assert.ok(maxOverlap(intervals) <= 2, `overlap ${maxOverlap(intervals)} in ${intervals}`);
    if (name !== "sequential") {
      // The cap is what limits it, not the pool: without it, more run at once.
      const free = await scheduler.map(timed, Array(8).fill(300));
      assert.ok(maxOverlap(free) > 2, `unlimited map overlapped only ${maxOverlap(free)}`);
    }
  });
}

eachExecutor(
  "the first failure cancels the calls in flight, submits no more, and rejects with it",
  async (make) => {
    const scheduler = make();
    // Item 0 fails at once while item 1 waits or sleeps; items 2..5 are never submitted.
    const items = [0, 5_000, 5_000, 5_000, 5_000, 5_000];
    const started = Date.now();
    await assert.rejects(scheduler.map(failOnZero, items, { concurrency: 2 }), RangeError);
    assert.ok(Date.now() - started < 4_000, "the sleeping call was not cancelled");
    assert.deepEqual(
      counts(scheduler, [
        "future-submitted",
        "future-exception",
        "future-cancelled",
        "future-result",
      ]),
      { "future-submitted": 2, "future-exception": 1, "future-cancelled": 1, "future-result": 0 },
    );
    assert.equal(scheduler.running(), false);
  },
);

eachExecutor(
  "settle: true runs every call and resolves with a PromiseSettledResult each, in order",
  async (make) => {
    const scheduler = make();
    const results = await scheduler.map(failOnZero, [30, 0, 10, 0], {
      settle: true,
      concurrency: 2,
    });
    assert.deepEqual(results.map((r) => r.status), [
      "fulfilled",
      "rejected",
      "fulfilled",
      "rejected",
    ]);
    assert.equal((results[0] as PromiseFulfilledResult<number>).value, 30);
    const reason = (results[1] as PromiseRejectedResult).reason;
    assert.ok(reason instanceof RangeError);
    assert.equal(reason.message, "zero");
    assert.equal(scheduler.eventCounts.get("future-submitted"), 4);
  },
);

eachExecutor(
  "mapUnordered yields each result as its call finishes, with item and index",
  async (make) => {
    const scheduler = make();
    const seen: Array<{ index: number; item: number; value: unknown }> = [];
    for await (const done of scheduler.mapUnordered(sleepThen, [1_500, 0], { concurrency: 2 })) {
      seen.push(done);
    }
    const expected = [{ index: 1, item: 0, value: 0 }, { index: 0, item: 1_500, value: 1_500 }];
    // The sequential executor runs one call at a time, so the long one finishes first there.
    assert.deepEqual(
      seen,
      scheduler.executor.kind === "sequential" ? expected.reverse() : expected,
    );
  },
  ["workers", "processes", "sequential"],
);

Deno.test("leaving a mapUnordered loop early cancels what is in flight and finishes the scheduler", async () => {
  const scheduler = Scheduler.withWorkers(2);
  const seen: number[] = [];
  for await (const { value } of scheduler.mapUnordered(sleepThen, [0, 5_000, 5_000, 5_000])) {
    seen.push(value as number);
    break;
  }
  assert.deepEqual(seen, [0]);
  assert.equal(scheduler.running(), false);
  assert.equal(scheduler.eventCounts.get("future-cancelled"), 3);
});

Deno.test("mapUnordered with settle: true yields failures as rejected results and goes on", async () => {
  const scheduler = Scheduler.sequential();
  const statuses: string[] = [];
  for await (const done of scheduler.mapUnordered(failOnZero, [0, 1], { settle: true })) {
    statuses.push(`${done.index}:${done.status}`);
  }
  assert.deepEqual(statuses, ["0:rejected", "1:fulfilled"]);
});

Deno.test("mapUnordered without settle throws the first failure", async () => {
  const scheduler = Scheduler.sequential();
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const { value } of scheduler.mapUnordered(failOnZero, [1, 0, 1])) seen.push(value);
  }, RangeError);
  assert.deepEqual(seen, [1]);
  assert.equal(scheduler.running(), false);
});

eachExecutor(
  "map over a task applies its plugins: a queueing limiter caps what runs",
  async (make) => {
    const scheduler = make();
    const task = scheduler.task(timed, { plugins: new Limiter({ maxConcurrent: 1, queue: true }) });
    const intervals = await scheduler.map(task, [30, 30, 30, 30]);
    assert.equal(maxOverlap(intervals), 1);
  },
);

Deno.test("map over a task whose Limiter refuses a call fails with SubmitRefusedError", async () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task(double, { plugins: new Limiter({ maxConcurrent: 1 }) });
  const error = await scheduler.map(task, [1, 2]).then(() => undefined, (e) => e);
  assert.ok(error instanceof SubmitRefusedError, String(error));
  assert.match(error.message, /queue: true/);
  const settled = await scheduler.map(task, [1, 2], { settle: true });
  assert.deepEqual(settled.map((r) => r.status), ["fulfilled", "rejected"]);
});

Deno.test("map takes async iterables and generators, pulling items only as slots free up", async () => {
  const scheduler = Scheduler.sequential();
  const pulled: number[] = [];
  async function* items() {
    for (let i = 1; i <= 4; i++) {
      pulled.push(i);
      yield i;
    }
  }
  assert.deepEqual(await scheduler.map(double, items(), { concurrency: 1 }), [2, 4, 6, 8]);
  assert.deepEqual(pulled, [1, 2, 3, 4]);
  // A failure stops the pulling: the generator is closed, not drained.
  pulled.length = 0;
  let closed = false;
  function* numbers() {
    try {
      for (let i = 0; i < 100; i++) {
        pulled.push(i);
        yield i;
      }
    } finally {
      closed = true;
    }
  }
  await assert.rejects(scheduler.map(failOnZero, numbers(), { concurrency: 1 }), RangeError);
  assert.deepEqual(pulled, [0]);
  assert.ok(closed);
});

Deno.test("an error thrown by the items ends the map with it", async () => {
  const scheduler = Scheduler.sequential();
  function* items() {
    yield 1;
    throw new SyntaxError("bad item source");
  }
  await assert.rejects(scheduler.map(double, items()), SyntaxError);
  assert.equal(scheduler.running(), false);
});

Deno.test("a scheduler stopped under a map ends the map with SchedulerNotRunningError", async () => {
  const scheduler = Scheduler.sequential();
  let outcome: Promise<unknown> | undefined;
  scheduler.onStart(() => {
    outcome = scheduler.map(sleepThen, [50, 50, 50], { concurrency: 1, settle: true })
      .catch((e) => e);
  });
  scheduler.onFutureResult(() => scheduler.stop(), { maxCalls: 1 });
  await scheduler.run({ onCancelled: "continue" });
  // The run does not wait for the map; the map learns the scheduler stopped.
  const error = await outcome;
  assert.ok(error instanceof SchedulerNotRunningError, String(error));
});

Deno.test("map's own cancellations do not trip onCancelled: raise", async () => {
  const scheduler = Scheduler.withWorkers(2);
  let mapError: unknown;
  scheduler.onStart(async () => {
    mapError = await scheduler.map(failOnZero, [5_000, 0], { concurrency: 2 }).catch((e) => e);
  });
  const exit = await scheduler.run({ onException: "continue" });
  assert.equal(exit.code, "exhausted");
  assert.ok(mapError instanceof RangeError);
  assert.equal(scheduler.eventCounts.get("future-cancelled"), 1);
});

Deno.test("a cancelled call is a failure of the map", async () => {
  const scheduler = Scheduler.sequential();
  scheduler.onFutureSubmitted((future) => {
    if (future.args[0] === 2) queueMicrotask(() => future.cancel());
  });
  const results = await scheduler.map(sleepThen, [1, 2], { settle: true });
  assert.equal(results[1].status, "rejected");
  assert.ok((results[1] as PromiseRejectedResult).reason instanceof CancelledError);
});

Deno.test("map refuses bad options, items and targets, naming them", async () => {
  const scheduler = Scheduler.sequential();
  await assert.rejects(
    scheduler.map(double, [1], { concurrency: 0 }),
    /concurrency must be a positive integer.*got 0/,
  );
  await assert.rejects(
    scheduler.map(double, [1], { concurency: 2 } as never),
    /Unknown option "concurency".*did you mean "concurrency"/,
  );
  await assert.rejects(
    scheduler.map(double, [1], { settle: "yes" } as never),
    /settle must be true or false/,
  );
  await assert.rejects(scheduler.map(double, 5 as never), /needs an iterable.*got 5/);
  await assert.rejects(
    scheduler.map("double" as never, [1]),
    /needs a function or a task, got "double"/,
  );
  const other = Scheduler.sequential({ name: "other" });
  const task = other.task(double);
  await assert.rejects(scheduler.map(task, [1]), /belongs to scheduler "other"/);
  assert.equal(scheduler.running(), false);
});

Deno.test("map of no items resolves with no results", async () => {
  const scheduler = Scheduler.sequential();
  assert.deepEqual(await scheduler.map(double, []), []);
});

redisTest("map on Redis: results in order, and the run it started is over", async () => {
  await withRedis({}, async (redis) => {
    const scheduler = Scheduler.withRedis({
      connection: redis.url,
      queue: queueName("map"),
      workers: 2,
    });
    assert.deepEqual(await scheduler.map(sleepThen, [60, 0, 30], { concurrency: 2 }), [60, 0, 30]);
    assert.equal(scheduler.running(), false);
  });
});
