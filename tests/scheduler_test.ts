import assert from "node:assert/strict";
import {
  CancelledError,
  type Future,
  Scheduler,
  SchedulerNotRunningError,
  UnknownEventError,
} from "../mod.ts";
import { collatz, double, fail, sleepThen, square } from "./fixtures/functions.ts";
import { counts, eachExecutor } from "./helpers.ts";

const FUTURE_EVENTS = [
  "future-submitted",
  "future-done",
  "future-result",
  "future-exception",
  "future-cancelled",
];

eachExecutor("the guide's opening example computes the collatz chain", async (make) => {
  const scheduler = make();
  const task = scheduler.task(collatz);
  const answers: number[] = [];
  scheduler.onStart(() => {
    answers.push(12);
    task.submit(12);
  });
  task.onResult((_future, n) => {
    answers.push(n);
    if (scheduler.running() && n !== 1) task.submit(n);
  });
  const exit = await scheduler.run({ timeout: "10s" });
  assert.deepEqual(answers, [12, 6, 3, 10, 5, 16, 8, 4, 2, 1]);
  assert.equal(exit.code, "exhausted");
  assert.deepEqual(
    counts(scheduler, ["start", "empty", "finishing", "finished", ...FUTURE_EVENTS]),
    {
      start: 1,
      empty: 1,
      finishing: 1,
      finished: 1,
      "future-submitted": 9,
      "future-done": 9,
      "future-result": 9,
      "future-exception": 0,
      "future-cancelled": 0,
    },
  );
});

eachExecutor("events of one call come in the contract's order", async (make) => {
  const scheduler = make();
  const task = scheduler.task(double);
  const order: string[] = [];
  for (const name of ["future-submitted", "future-done", "future-result"]) {
    scheduler.on(name, () => order.push(name));
  }
  for (const name of ["submitted", "done", "result"]) task.on(name, () => order.push(name));
  scheduler.onStart(() => task.submit(2));
  await scheduler.run();
  assert.deepEqual(order, [
    "future-submitted",
    "submitted",
    "future-done",
    "future-result",
    "done",
    "result",
  ]);
});

eachExecutor("timeout with wait: true still delivers the running result", async (make) => {
  const scheduler = make();
  const results: unknown[] = [];
  scheduler.onStart(() => scheduler.submit(sleepThen, 400, "late"));
  scheduler.onFutureResult((_f, value) => results.push(value));
  const exit = await scheduler.run({ timeout: 100, wait: true });
  assert.equal(exit.code, "timeout");
  assert.deepEqual(results, ["late"]);
  assert.deepEqual(counts(scheduler, ["timeout", "future-result", "future-cancelled"]), {
    timeout: 1,
    "future-result": 1,
    "future-cancelled": 0,
  });
});

eachExecutor("timeout with wait: false cancels the running call", async (make) => {
  const scheduler = make();
  let future: Future | undefined;
  scheduler.onStart(() => {
    future = scheduler.submit(sleepThen, 2_000);
  });
  const started = performance.now();
  const exit = await scheduler.run({ timeout: "100ms", wait: false });
  assert.equal(exit.code, "timeout");
  assert.ok(performance.now() - started < 1_500, "did not wait for the call");
  assert.deepEqual(counts(scheduler, ["timeout", "future-result", "future-cancelled"]), {
    timeout: 1,
    "future-result": 0,
    "future-cancelled": 1,
  });
  assert.equal(future?.status, "cancelled");
  await assert.rejects(Promise.resolve(future!), CancelledError);
});

eachExecutor("chained tasks: task 1's results feed task 2 until exhausted", async (make) => {
  const scheduler = make();
  const task1 = scheduler.task(double);
  const task2 = scheduler.task(square);
  const items = [1, 2, 3][Symbol.iterator]();
  const squares: number[] = [];
  scheduler.onStart(() => task1.submit(items.next().value!));
  task1.onResult((_f, result) => task2.submit(result));
  task1.onResult(() => {
    const next = items.next();
    if (!next.done) task1.submit(next.value);
  });
  task2.onResult((_f, result) => squares.push(result));
  const exit = await scheduler.run();
  assert.equal(exit.code, "exhausted");
  assert.deepEqual(squares.sort((a, b) => a - b), [4, 16, 36]);
  assert.equal(scheduler.eventCounts.get("future-result"), 6);
  assert.equal(task1.eventCounts.get("result"), 3);
  assert.equal(task2.eventCounts.get("result"), 3);
});

eachExecutor("two empty handlers with when refill the queue, then stop", async (make) => {
  const scheduler = make();
  let results = 0;
  scheduler.onFutureResult(() => results++);
  scheduler.onEmpty(() => scheduler.submit(double, 1), { when: () => results < 1 });
  scheduler.onEmpty(() => scheduler.stop({ reason: "enough" }), { when: () => results >= 1 });
  const reasons: string[] = [];
  scheduler.onStop((reason) => reasons.push(reason));
  const exit = await scheduler.run();
  assert.equal(exit.code, "stopped");
  assert.equal(scheduler.eventCounts.get("empty"), 2);
  assert.deepEqual(reasons, ["enough"]);
});

eachExecutor("onStart with repeat: 10 submits ten calls", async (make) => {
  const scheduler = make();
  const task = scheduler.task(double);
  let i = 0;
  const results: number[] = [];
  scheduler.onStart(() => task.submit(i++), { repeat: 10 });
  task.onResult((_f, r) => results.push(r));
  await scheduler.run();
  assert.deepEqual(results.sort((a, b) => a - b), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  assert.equal(scheduler.eventCounts.get("start"), 1);
});

eachExecutor("onException raise: the run stops and rejects with the task's error", async (make) => {
  const scheduler = make();
  scheduler.onStart(() => scheduler.submit(fail, "raised"));
  const errors: unknown[] = [];
  scheduler.onFutureException((_f, e) => errors.push(e));
  await assert.rejects(
    scheduler.run(),
    (e: unknown) => e instanceof TypeError && e.message === "raised",
  );
  assert.equal(errors.length, 1);
  assert.equal(scheduler.eventCounts.get("stop"), 1);
  assert.equal(scheduler.running(), false);
});

eachExecutor("onException end: stops and resolves with code exception", async (make) => {
  const scheduler = make();
  scheduler.onStart(() => scheduler.submit(fail, "ended"));
  const exit = await scheduler.run({ onException: "end" });
  assert.equal(exit.code, "exception");
  assert.ok(exit.error instanceof TypeError);
  assert.equal((exit.error as Error).message, "ended");
});

eachExecutor("onException continue: keeps going after errors", async (make) => {
  const scheduler = make();
  const task = scheduler.task(fail);
  scheduler.onStart(() => {
    task.submit("a");
    task.submit("b");
  });
  scheduler.onFutureException(() => {
    if (scheduler.eventCounts.get("future-exception") === 2) scheduler.submit(double, 21);
  });
  const results: number[] = [];
  scheduler.onFutureResult((_f, r) => results.push(r as number));
  const exit = await scheduler.run({ onException: "continue" });
  assert.equal(exit.code, "exhausted");
  assert.deepEqual(results, [42]);
  assert.equal(task.eventCounts.get("exception"), 2);
});

class BaseError extends Error {}
class SubError extends BaseError {}
class OtherError extends Error {}

function raiser(kind: string): never {
  const classes: Record<string, new (m: string) => Error> = {
    base: BaseError,
    sub: SubError,
    other: OtherError,
  };
  throw new classes[kind](kind);
}

Deno.test("onException array form: explicit raise, continue, end, base classes, fallback, first match", async (t) => {
  const run = async (
    kind: string,
    policy: Array<[new (...a: never[]) => unknown, "raise" | "end" | "continue"]>,
  ) => {
    const scheduler = Scheduler.sequential();
    scheduler.onStart(() => scheduler.submit(raiser, kind));
    return await scheduler.run({ onException: policy });
  };
  await t.step("explicit raise", async () => {
    await assert.rejects(run("base", [[BaseError, "raise"]]), BaseError);
  });
  await t.step("continue", async () => {
    assert.equal((await run("base", [[BaseError, "continue"]])).code, "exhausted");
  });
  await t.step("end", async () => {
    const exit = await run("base", [[BaseError, "end"]]);
    assert.equal(exit.code, "exception");
    assert.ok(exit.error instanceof BaseError);
  });
  await t.step("a subclass matches its base class", async () => {
    assert.equal((await run("sub", [[BaseError, "continue"]])).code, "exhausted");
  });
  await t.step("no match falls back to raise", async () => {
    await assert.rejects(run("other", [[BaseError, "continue"]]), OtherError);
  });
  await t.step("first match wins", async () => {
    const exit = await run("sub", [[SubError, "end"], [BaseError, "continue"]]);
    assert.equal(exit.code, "exception");
    assert.equal(
      (await run("sub", [[BaseError, "continue"], [SubError, "end"]])).code,
      "exhausted",
    );
  });
  await t.step("a bad policy is refused naming it", async () => {
    const scheduler = Scheduler.sequential();
    await assert.rejects(
      scheduler.run({ onException: "ignore" as never }),
      /onException.*"ignore"/,
    );
  });
});

Deno.test("class-preserving errors across workers match the array policy", async () => {
  const scheduler = Scheduler.withWorkers(1);
  scheduler.onStart(() => scheduler.submit(fail, "typed"));
  const exit = await scheduler.run({ onException: [[TypeError, "end"]] });
  assert.equal(exit.code, "exception");
  assert.ok(exit.error instanceof TypeError);
});

eachExecutor("errors in main-process callbacks follow onException", async (make) => {
  const scheduler = make();
  scheduler.onStart(() => scheduler.submit(double, 1));
  scheduler.onFutureResult(() => {
    throw new RangeError("callback broke");
  });
  await assert.rejects(scheduler.run(), RangeError);

  const again = make();
  again.onStart(() => again.submit(double, 1));
  again.onFutureResult(() => {
    throw new RangeError("callback broke");
  });
  const exit = await again.run({ onException: "end" });
  assert.equal(exit.code, "exception");
  assert.equal((exit.error as Error).message, "callback broke");
}, ["sequential"]);

Deno.test("an async callback's rejection follows onException, and it keeps the run alive", async () => {
  const scheduler = Scheduler.sequential();
  const seen: string[] = [];
  scheduler.onStart(async () => {
    await new Promise((r) => setTimeout(r, 30));
    seen.push("async start done");
    scheduler.submit(double, 2);
  });
  scheduler.onFutureResult(async () => {
    await Promise.resolve();
    throw new Error("async boom");
  });
  const exit = await scheduler.run({ onException: "end" });
  assert.deepEqual(seen, ["async start done"]);
  assert.equal(exit.code, "exception");
  assert.equal((exit.error as Error).message, "async boom");
});

Deno.test("subscribing to an unknown event name throws UnknownEventError", () => {
  const scheduler = Scheduler.sequential();
  assert.throws(() => scheduler.on("future-finished", () => {}), UnknownEventError);
  const task = scheduler.task(double);
  assert.throws(() => task.on("no-such", () => {}), /known events: .*"result"/);
});

Deno.test("callLater: an error inside follows onException; a cancelled one never runs", async () => {
  const scheduler = Scheduler.sequential();
  let ran = 0;
  scheduler.onStart(() => {
    scheduler.callLater(20, () => {
      ran++;
      throw new Error("later boom");
    });
  });
  await assert.rejects(scheduler.run(), /later boom/);
  assert.equal(ran, 1);

  const other = Scheduler.sequential();
  let cancelledRan = false;
  other.onStart(() => {
    const handle = other.callLater("50ms", () => {
      cancelledRan = true;
    });
    assert.equal(handle.cancel(), true);
    assert.equal(handle.cancel(), false);
  });
  const exit = await other.run();
  assert.equal(exit.code, "exhausted");
  assert.equal(cancelledRan, false);
  assert.throws(() => other.callLater(1, () => {}), SchedulerNotRunningError);
});

Deno.test("a pending callLater keeps the run from ending on empty", async () => {
  const scheduler = Scheduler.sequential();
  const results: number[] = [];
  scheduler.onStart(() => scheduler.callLater(30, () => scheduler.submit(double, 5)));
  scheduler.onFutureResult((_f, r) => results.push(r as number));
  const exit = await scheduler.run();
  assert.equal(exit.code, "exhausted");
  assert.deepEqual(results, [10]);
});

eachExecutor("stop() from future-submitted with wait: false cancels the call", async (make) => {
  const scheduler = make();
  scheduler.onStart(() => scheduler.submit(sleepThen, 5_000));
  scheduler.onFutureSubmitted(() => scheduler.stop());
  const exit = await scheduler.run({ wait: false });
  assert.equal(exit.code, "stopped");
  assert.deepEqual(counts(scheduler, ["stop", "future-cancelled", "empty", "future-done"]), {
    stop: 1,
    "future-cancelled": 1,
    empty: 0,
    "future-done": 0,
  });
});

Deno.test("stop() is a no-op unless running, and emits stop once", async () => {
  const scheduler = Scheduler.sequential();
  scheduler.stop();
  scheduler.onStart(() => {
    scheduler.stop();
    scheduler.stop();
    assert.equal(scheduler.running(), false);
  });
  const exit = await scheduler.run();
  assert.equal(exit.code, "stopped");
  assert.equal(scheduler.eventCounts.get("stop"), 1);
});

Deno.test("submit outside a run throws SchedulerNotRunningError", () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task(collatz);
  assert.throws(() => task.submit(5), SchedulerNotRunningError);
  assert.throws(() => scheduler.submit(collatz, 5), /not running/);
});

Deno.test("running a running scheduler throws; a finished one runs again, counts accumulate", async () => {
  const scheduler = Scheduler.sequential();
  const handler = scheduler.onStart(() => {}, { every: 2 });
  const first = scheduler.run();
  await assert.rejects(scheduler.run(), /already running/);
  await first;
  for (let i = 0; i < 4; i++) await scheduler.run();
  assert.equal(scheduler.eventCounts.get("start"), 5);
  assert.equal(handler.callCount, 2);
});

eachExecutor("futures are awaitable and report status, value and error", async (make) => {
  const scheduler = make();
  const seen: unknown[] = [];
  scheduler.onStart(async () => {
    const ok = scheduler.submit(double, 21);
    const bad = scheduler.submit(fail, "nope");
    assert.equal(ok.args[0], 21);
    seen.push(await ok, ok.status, ok.value);
    await assert.rejects(Promise.resolve(bad), TypeError);
    seen.push(bad.status, (bad.error as Error).message);
  });
  await scheduler.run({ onException: "continue" });
  assert.deepEqual(seen, [42, "fulfilled", 42, "rejected", "nope"]);
});

Deno.test("a rejected future nobody awaits is not an unhandled rejection", async () => {
  const scheduler = Scheduler.sequential();
  scheduler.onStart(() => scheduler.submit(fail, "ignored"));
  const exit = await scheduler.run({ onException: "continue" });
  assert.equal(exit.code, "exhausted");
  // Give an unhandled rejection the chance to surface and fail this test.
  await new Promise((r) => setTimeout(r, 10));
});

eachExecutor(
  "cancel() on a queued future emits future-cancelled and task cancelled",
  async (make) => {
    const scheduler = make();
    const task = scheduler.task(sleepThen);
    const cancelled: number[] = [];
    let returned: boolean | undefined;
    scheduler.onStart(() => {
      task.submit(50);
      task.submit(50);
      task.submit(50);
      task.submit(50);
      const last = task.submit(50)!;
      returned = last.cancel();
      assert.equal(last.cancel(), false);
    });
    task.onCancelled((f) => cancelled.push(f.id));
    const exit = await scheduler.run({ onCancelled: "continue" });
    assert.equal(returned, true);
    assert.equal(exit.code, "exhausted");
    assert.equal(cancelled.length, 1);
    assert.deepEqual(counts(scheduler, ["future-result", "future-cancelled"]), {
      "future-result": 4,
      "future-cancelled": 1,
    });
  },
);

Deno.test("onCancelled raise (the default) rejects the run with CancelledError", async () => {
  const scheduler = Scheduler.sequential();
  scheduler.onStart(() => {
    scheduler.submit(double, 1);
    scheduler.submit(double, 2).cancel();
  });
  await assert.rejects(scheduler.run(), CancelledError);
  const ending = Scheduler.sequential();
  ending.onStart(() => {
    ending.submit(double, 1);
    ending.submit(double, 2).cancel();
  });
  assert.equal((await ending.run({ onCancelled: "end" })).code, "cancelled");
});

Deno.test("sequential: a chain of 100,000 result→submit steps does not grow the stack", async () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task((n: number) => n - 1);
  let steps = 0;
  scheduler.onStart(() => task.submit(100_000));
  task.onResult((_f, n) => {
    steps++;
    if (n > 0) task.submit(n);
  });
  const exit = await scheduler.run();
  assert.equal(exit.code, "exhausted");
  assert.equal(steps, 100_000);
});

Deno.test("a timeout still fires during an endless sequential chain", async () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task((n: number) => n + 1);
  scheduler.onStart(() => task.submit(0));
  task.onResult((_f, n) => scheduler.running() && task.submit(n));
  const exit = await scheduler.run({ timeout: 50 });
  assert.equal(exit.code, "timeout");
  assert.ok((task.eventCounts.get("result") ?? 0) > 10);
});

Deno.test("endOnEmpty: false waits for stop() or the timeout", async () => {
  const scheduler = Scheduler.sequential();
  const exit = await scheduler.run({ endOnEmpty: false, timeout: 50 });
  assert.equal(exit.code, "timeout");
  assert.equal(scheduler.eventCounts.get("empty"), 1);
});

Deno.test("bad run options are refused naming the value", async () => {
  const scheduler = Scheduler.sequential();
  await assert.rejects(scheduler.run({ timeout: "10 parsecs" }), /Invalid duration: "10 parsecs"/);
  assert.throws(() => Scheduler.withWorkers(0), /positive integer, got 0/);
});

Deno.test("String(scheduler) renders executor, events with counts, callbacks and tasks", async () => {
  const scheduler = Scheduler.withWorkers(2);
  const task = scheduler.task(collatz);
  scheduler.onStart(function startComputing() {
    task.submit(12);
  });
  task.onResult(function computeNext(_f, n) {
    if (n !== 1) task.submit(n);
  });
  scheduler.onFutureDone(() => {}, { hidden: true, name: "secret" });
  await scheduler.run();
  const text = String(scheduler);
  assert.match(text, /Executor workers \{ maxWorkers: 2 \}/);
  assert.match(text, /@start 1\n.*startComputing\(\) \(1\) #\d+/);
  assert.match(text, /@future-result 9/);
  // Signatures and ids, as amltk's tree shows `def collatz(n: int) -> int` and a Ref.
  assert.match(text, new RegExp(`Task collatz\\(n\\) #${task.id} `));
  assert.match(text, /computeNext\(_f, n\) \(9\) #\d+/);
  assert.doesNotMatch(text, /secret/);
  assert.equal(Deno.inspect(scheduler), text);
});

eachExecutor("a future that ran once reports one attempt", async (make) => {
  const scheduler = make();
  let future: Future | undefined;
  scheduler.onStart(() => {
    future = scheduler.submit(double, 4);
  });
  await scheduler.run();
  assert.equal(future?.attempts, 1);
  assert.equal(future?.value, 8);
});

Deno.test("exitState says how the last run ended, and is cleared while a run goes", async () => {
  const scheduler = Scheduler.sequential();
  // Read through a function, so TypeScript does not narrow it across the awaits.
  const exit = () => scheduler.exitState;
  assert.equal(exit(), undefined);
  const during: unknown[] = [];
  const atFinished: unknown[] = [];
  scheduler.onStart(() => during.push(scheduler.exitState));
  scheduler.onFinished(() => atFinished.push(scheduler.exitState?.code));
  scheduler.onStart(() => scheduler.submit(fail, "why"));
  await scheduler.run({ onException: "end" });
  assert.equal(exit()?.code, "exception");
  assert.equal((exit()?.error as Error).message, "why");
  await scheduler.run({ onException: "continue" });
  assert.deepEqual(during, [undefined, undefined]);
  assert.deepEqual(atFinished, ["exception", "exhausted"]);
  assert.equal(exit()?.code, "exhausted");
});
