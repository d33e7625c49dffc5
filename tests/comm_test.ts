import assert from "node:assert/strict";
import { Comm, CommTimeoutError, type Msg, Scheduler, WallTimeLimitError } from "../mod.ts";
import {
  askAndReport,
  askDoubles,
  askWithTimeout,
  echoUntilClosed,
  roundTrips,
  sendThree,
  waitForAnswerForever,
} from "./fixtures/comm_fns.ts";
import { counts, eachExecutor } from "./helpers.ts";

const COMM_EVENTS = ["comm-open", "comm-message", "comm-request", "comm-close"];

eachExecutor("a sending worker: open, three messages, close, then the result", async (make) => {
  const scheduler = make();
  const task = scheduler.task(sendThree, { comm: true });
  const order: unknown[] = [];
  task.on(Comm.OPEN, () => order.push("open"));
  task.on(Comm.MESSAGE, (msg: Msg) => order.push(msg.data));
  task.on(Comm.CLOSE, () => order.push("close"));
  task.onResult((_f, r) => order.push(r));
  scheduler.onStart(() => task.submit());
  await scheduler.run();
  assert.deepEqual(counts(task, COMM_EVENTS), {
    "comm-open": 1,
    "comm-message": 3,
    "comm-request": 0,
    "comm-close": 1,
  });
  assert.deepEqual(order, ["open", 1, 2, 3, "close", [1, 2, 3]]);
});

eachExecutor("a requesting worker answered x * 2", async (make) => {
  const scheduler = make();
  const task = scheduler.task(askDoubles, { comm: true });
  task.on("comm-request", (msg: Msg) => {
    assert.equal(msg.task, task);
    assert.equal(msg.future.status, "running");
    msg.respond((msg.data as number) * 2);
  });
  let result: number[] = [];
  task.onResult((_f, r) => result = r);
  scheduler.onStart(() => task.submit([1, 2, 3]));
  await scheduler.run();
  assert.equal(task.eventCounts.get("comm-request"), 3);
  assert.deepEqual(result, [2, 4, 6]);
});

eachExecutor("1,000 request/response round trips without loss or reordering", async (make) => {
  const scheduler = make();
  const task = scheduler.task(roundTrips, { comm: true });
  task.on(Comm.REQUEST, (msg: Msg) => msg.respond((msg.data as number) + 1));
  let sum = 0;
  task.onResult((_f, r) => sum = r);
  scheduler.onStart(() => task.submit(1_000));
  await scheduler.run();
  assert.equal(sum, (1_000 * 1_001) / 2);
  assert.equal(task.eventCounts.get("comm-request"), 1_000);
});

eachExecutor("an unanswered request with a timeout rejects with CommTimeoutError", async (make) => {
  const scheduler = make();
  const task = scheduler.task(askWithTimeout, { comm: true });
  task.on(Comm.REQUEST, () => {/* never answers */});
  let result = "";
  task.onResult((_f, r) => result = r);
  scheduler.onStart(() => task.submit(50));
  await scheduler.run();
  assert.equal(result, "CommTimeoutError: comm request got no answer within 50ms");
  assert.equal(new CommTimeoutError(1).name, "CommTimeoutError");
});

eachExecutor(
  "a callback error during a request rejects the request and follows onException",
  async (make) => {
    const scheduler = make();
    const task = scheduler.task(askAndReport, { comm: true });
    task.on(Comm.REQUEST, () => {
      throw new Error("no config left");
    });
    let result = "";
    task.onResult((_f, r) => result = r);
    scheduler.onStart(() => task.submit());
    const exit = await scheduler.run({ onException: "continue" });
    assert.equal(exit.code, "exhausted");
    assert.match(result, /comm-request callback failed: no config left/);

    const raising = make();
    const again = raising.task(askAndReport, { comm: true });
    again.on(Comm.REQUEST, () => {
      throw new RangeError("raised in callback");
    });
    raising.onStart(() => again.submit());
    await assert.rejects(raising.run(), RangeError);
  },
);

eachExecutor("a request with no comm-request callback is refused at once", async (make) => {
  const scheduler = make();
  const task = scheduler.task(askAndReport, { comm: true });
  let result = "";
  task.onResult((_f, r) => result = r);
  scheduler.onStart(() => task.submit());
  await scheduler.run();
  assert.match(result, /no comm-request callback/);
});

eachExecutor(
  "the main side sends messages and closes; the worker's iteration ends",
  async (make) => {
    const scheduler = make();
    const task = scheduler.task(echoUntilClosed, { comm: true });
    task.on(Comm.MESSAGE, (msg: Msg) => {
      if (msg.data !== "ready") return;
      msg.comm.send("a");
      msg.comm.send({ b: 2 });
      msg.comm.close();
    });
    let seen: unknown[] = [];
    task.onResult((_f, r) => seen = r);
    scheduler.onStart(() => task.submit());
    await scheduler.run();
    assert.deepEqual(seen, ["a", { b: 2 }]);
    assert.equal(task.eventCounts.get("comm-close"), 1);
  },
);

eachExecutor("closing from the main side settles the worker's pending request", async (make) => {
  const scheduler = make();
  const task = scheduler.task(waitForAnswerForever, { comm: true });
  task.on(Comm.REQUEST, (msg: Msg) => msg.comm.close());
  let result = "";
  task.onResult((_f, r) => result = r);
  scheduler.onStart(() => task.submit());
  await scheduler.run();
  assert.equal(result, "CommClosedError");
});

eachExecutor("a comm whose future is cancelled closes cleanly", async (make) => {
  const scheduler = make();
  const task = scheduler.task(waitForAnswerForever, { comm: true });
  task.on(Comm.REQUEST, (msg: Msg) => {
    msg.future.cancel();
  });
  scheduler.onStart(() => task.submit());
  const exit = await scheduler.run({ onCancelled: "continue" });
  assert.equal(exit.code, "exhausted");
  assert.deepEqual(counts(task, ["comm-open", "comm-request", "comm-close", "cancelled"]), {
    "comm-open": 1,
    "comm-request": 1,
    "comm-close": 1,
    cancelled: 1,
  });
});

eachExecutor("respond() refuses non-requests and second answers", async (make) => {
  const scheduler = make();
  const task = scheduler.task(askDoubles, { comm: true });
  const problems: string[] = [];
  task.on(Comm.OPEN, (msg: Msg) => {
    try {
      msg.respond(1);
    } catch (error) {
      problems.push((error as Error).message);
    }
  });
  task.on(Comm.REQUEST, (msg: Msg) => {
    msg.respond(1);
    try {
      msg.respond(2);
    } catch (error) {
      problems.push((error as Error).message);
    }
  });
  scheduler.onStart(() => task.submit([5]));
  await scheduler.run();
  assert.deepEqual(problems, [
    "Only comm-request messages can be answered; use msg.comm.send() instead",
    "This comm-request was answered already",
  ]);
});

Deno.test("a comm whose call is killed by a wall-time limit closes cleanly [processes]", async () => {
  const scheduler = Scheduler.withProcesses(1);
  const task = scheduler.task(waitForAnswerForever, { comm: true, limits: { wallTime: 300 } });
  task.on(Comm.REQUEST, () => {/* never answers: the limit ends the call */});
  scheduler.onStart(() => task.submit());
  const exit = await scheduler.run({ onException: [[WallTimeLimitError, "continue"]] });
  assert.equal(exit.code, "exhausted");
  assert.deepEqual(
    counts(task, ["comm-open", "comm-request", "comm-close", "wall-time-limit-reached"]),
    { "comm-open": 1, "comm-request": 1, "comm-close": 1, "wall-time-limit-reached": 1 },
  );
});
