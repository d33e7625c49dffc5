import assert from "node:assert/strict";
import { Limiter, type Plugin, Requeue, Retry, Scheduler } from "../mod.ts";
import { double, sleepThen } from "./fixtures/functions.ts";
import { counts, eachExecutor } from "./helpers.ts";
import { FailureBudget } from "../examples/retry_plugin.ts";

eachExecutor("concurrency limit 2 with 10 quick submits", async (make) => {
  const scheduler = make();
  const task = scheduler.task(sleepThen, { plugins: [new Limiter({ maxConcurrent: 2 })] });
  const refused: unknown[] = [];
  task.on(Limiter.CONCURRENT_LIMIT_REACHED, (t, ms) => refused.push([t === task, ms]));
  scheduler.onStart(() => {
    for (let i = 0; i < 10; i++) task.submit(20);
  });
  await scheduler.run();
  assert.equal(task.eventCounts.get("submitted"), 2);
  assert.equal(task.eventCounts.get("concurrent-limit-reached"), 8);
  assert.deepEqual(refused[0], [true, 20]);
});

eachExecutor("call limit 2 with 10 submits", async (make) => {
  const scheduler = make();
  const limiter = new Limiter({ maxCalls: 2 });
  const task = scheduler.task(double, { plugins: [limiter] });
  const returned: unknown[] = [];
  scheduler.onStart(() => {
    for (let i = 0; i < 10; i++) returned.push(task.submit(i));
  });
  await scheduler.run();
  assert.equal(task.eventCounts.get("submitted"), 2);
  assert.equal(task.eventCounts.get("call-limit-reached"), 8);
  assert.equal(returned.filter((r) => r === undefined).length, 8);
  assert.equal(limiter.calls, 2);
  assert.match(String(scheduler), /plugin limiter: Calls 2\/2/);
});

eachExecutor("notWhileRunning disables a task while another runs", async (make) => {
  const scheduler = make();
  const slow = scheduler.task(sleepThen);
  const other = scheduler.task(double, { plugins: [new Limiter({ notWhileRunning: slow })] });
  const disabled: unknown[] = [];
  other.on(Limiter.DISABLED_DUE_TO_RUNNING_TASK, (blocker, task, x) => {
    disabled.push([blocker === slow, task === other, x]);
  });
  scheduler.onStart(() => {
    slow.submit(50);
    other.submit(1);
  });
  slow.onResult(() => other.submit(2));
  const results: number[] = [];
  other.onResult((_f, r) => results.push(r));
  await scheduler.run();
  assert.deepEqual(disabled, [[true, true, 1]]);
  assert.deepEqual(results, [4]);
});

Deno.test("Limiter refuses bad limits and a task that names itself", () => {
  assert.throws(() => new Limiter({ maxCalls: 0 }), RangeError);
  assert.throws(() => new Limiter({ maxConcurrent: -2 }), /positive integer, got -2/);
  assert.throws(() => new Limiter({}), /at least one/);
  const scheduler = Scheduler.sequential();
  const limiter = new Limiter({ maxCalls: 1 });
  scheduler.task(double, { plugins: [limiter] });
  assert.throws(() => scheduler.task(double, { plugins: [limiter] }), /already attached/);
  const first = scheduler.task(double);
  const self = new Limiter({ notWhileRunning: first });
  assert.throws(() => first.plugins.length || self.attach(first), /names itself/);
});

eachExecutor("the guide's requeue example ends with all ten results", async (make) => {
  const scheduler = make();
  const task = scheduler.task(double, { plugins: [new Limiter({ maxConcurrent: 2 })] });
  const items = new Requeue(Array.from({ length: 10 }, (_, i) => i));
  const results: number[] = [];
  scheduler.onStart(() => task.submit(items.next().value!), { repeat: 4 });
  task.on(Limiter.CONCURRENT_LIMIT_REACHED, (_task, x) => items.requeue(x as number));
  task.onResult((_f, r) => results.push(r));
  task.onResult(() => {
    const next = items.next();
    if (!next.done) task.submit(next.value);
  });
  await scheduler.run();
  assert.deepEqual(results.sort((a, b) => a - b), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  assert.equal(scheduler.eventCounts.get("future-submitted"), 10);
});

Deno.test("Requeue: requeue goes to the front, append to the very end", () => {
  const items = new Requeue([1, 2, 3]);
  assert.equal(items.next().value, 1);
  items.append(9);
  items.requeue(1);
  items.requeue(0);
  assert.deepEqual([...items], [0, 1, 2, 3, 9]);
  assert.equal(items.next().done, true);
});

Deno.test("plugins run in order, may change the call, and a veto makes the task emit nothing", async () => {
  const scheduler = Scheduler.sequential();
  const seen: string[] = [];
  const addOne: Plugin = {
    name: "add-one",
    attach: () => seen.push("attach add-one"),
    preSubmit: (fn, args) => [fn, [(args[0] as number) + 1]],
  };
  const noOdd: Plugin = {
    name: "no-odd",
    attach: () => seen.push("attach no-odd"),
    preSubmit: (fn, args) => ((args[0] as number) % 2 === 1 ? undefined : [fn, args]),
  };
  const task = scheduler.task(double, { plugins: [addOne, noOdd] });
  const returned: unknown[] = [];
  scheduler.onStart(() => {
    returned.push(task.submit(1)); // 2 → allowed
    returned.push(task.submit(2)); // 3 → vetoed
  });
  const results: number[] = [];
  task.onResult((_f, r) => results.push(r));
  await scheduler.run();
  assert.deepEqual(seen, ["attach add-one", "attach no-odd"]);
  assert.deepEqual(results, [4]);
  assert.equal(returned[1], undefined);
  assert.equal(task.eventCounts.get("submitted"), 1);
});

Deno.test("a plugin written against the Plugin interface: the example's FailureBudget", async () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task((x: number) => {
    if (x < 0) throw new Error("negative");
    return x;
  }, { plugins: [new FailureBudget(2), new Retry({ attempts: 2, delay: 1 })] });
  const refused: unknown[] = [];
  task.on(FailureBudget.EXHAUSTED, (_task, x) => refused.push(x));
  const submitted: boolean[] = [];
  task.onException((future) => submitted.push(task.submit(future.args[0] - 1) !== undefined));
  scheduler.onStart(() => task.submit(-1));
  await scheduler.run({ onException: "continue" });
  // Two calls failed after their retries; the third submission was refused.
  assert.deepEqual(counts(task, ["exception", "retry"]), { exception: 2, retry: 2 });
  assert.deepEqual(submitted, [true, false]);
  assert.deepEqual(refused, [-3]);
  assert.match(String(scheduler), /plugin failure-budget: Failures 2\/2/);
});
