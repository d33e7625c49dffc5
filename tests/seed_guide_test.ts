/**
 * The amltk scheduling guide (seeds/003, the latest version, with the
 * printed output of every example), each example translated literally to
 * baton: snake_case → camelCase, decorators → subscriber calls, `print` →
 * `print` below, seconds → duration strings ("1s": a bare number is
 * milliseconds in baton). Each test runs the example on processes, as the
 * guide does, and compares what baton renders — every event with its count,
 * every callback with its parameters and call count — with what the guide
 * printed (quoted from it, amltk's names and all), and the printed values.
 */

import assert from "node:assert/strict";
import { Limiter, Requeue, Scheduler, SchedulerNotRunningError, type Task } from "../mod.ts";

// ---------------------------------------------------------------- helpers

interface Tree {
  /** Scheduler events and their counts (0 when the tree shows no count). */
  events: Record<string, number>;
  /** Callbacks per event: `name(params) (count)`. */
  callbacks: Record<string, string[]>;
}

/** amltk's `on_future_result` is baton's `future-result`. */
function eventName(amltk: string): string {
  return amltk.replace(/^on_/, "").replaceAll("_", "-");
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Reads the event part of a guide's rendered tree, e.g.
 * `@on_start 1` / `└── def print_hello() -> None (1)`, dropping Python's
 * annotations from the parameters.
 */
function guide(text: string): Tree {
  const tree: Tree = { events: {}, callbacks: {} };
  let current = "";
  for (const raw of text.trim().split("\n")) {
    const line = raw.replace(/^[┣┗┃━\s]+/, "");
    const event = /^@(\w+)(?: (\d+))?$/.exec(line);
    if (event) {
      current = eventName(event[1]);
      tree.events[current] = Number(event[2] ?? 0);
      tree.callbacks[current] = [];
      continue;
    }
    const callback = /[├└]── def (\w+)\((.*)\) -> \w+(?: \((\d+)\))?$/.exec(line);
    if (!callback) throw new Error(`unreadable guide line: ${raw}`);
    const params = callback[2].split(",").map((p) => camel(p.split(":")[0].trim())).filter(Boolean);
    const count = callback[3] ? ` (${callback[3]})` : "";
    tree.callbacks[current].push(`${camel(callback[1])}(${params.join(", ")})${count}`);
  }
  return tree;
}

/** Reads the scheduler's own events and callbacks from baton's rendering. */
function rendered(scheduler: Scheduler): Tree {
  const tree: Tree = { events: {}, callbacks: {} };
  let current = "";
  for (const line of String(scheduler).split("\n")) {
    const event = /^[├└]─ @(\S+)(?: (\d+))?$/.exec(line);
    if (event) {
      current = event[1];
      tree.events[current] = Number(event[2] ?? 0);
      tree.callbacks[current] = [];
      continue;
    }
    const callback = /^[│ ] {2}[├└]─ (.+?) #\d+$/.exec(line);
    if (callback && current) tree.callbacks[current].push(callback[1]);
    else current = "";
  }
  return tree;
}

/** The task lines of baton's rendering: `Task name(params) #id (n running)`. */
function taskLines(scheduler: Scheduler): string[] {
  return String(scheduler).split("\n").filter((l) => /^[├└]─ Task /.test(l))
    .map((l) => l.replace(/^[├└]─ /, "").replace(/ #\S+ /, " "));
}

function assertLikeGuide(scheduler: Scheduler, printedTree: string): void {
  assert.deepEqual(rendered(scheduler), guide(printedTree));
}

function printer(): { print: (...args: unknown[]) => void; printed: string[] } {
  const printed: string[] = [];
  return { printed, print: (...args) => printed.push(args.map(String).join(" ")) };
}

// --------------------------------------------------------------- examples

Deno.test("guide: the opening collatz example", async () => {
  function collatz(n: number): number {
    const isEven = n % 2 === 0;
    return isEven ? n / 2 : 3 * n + 1;
  }
  const scheduler = Scheduler.withProcesses(1);
  const task = scheduler.task(collatz);
  const answers: number[] = [];
  scheduler.onStart(function startComputing() {
    answers.push(12);
    task.submit(12);
  });
  task.onResult(function computeNext(_: unknown, nextN: number) {
    answers.push(nextN);
    if (scheduler.running() && nextN !== 1) task.submit(nextN);
  });
  await scheduler.run({ timeout: "1s" });
  assert.deepEqual(answers, [12, 6, 3, 10, 5, 16, 8, 4, 2, 1]);
  assertLikeGuide(
    scheduler,
    `
┣━━ @on_empty 1
┃ @on_start 1
┃ └── def start_computing() -> None (1)
┃ @on_finishing 1
┃ @on_finished 1
┃ @on_stop
┃ @on_timeout
┃ @on_future_submitted 9
┃ @on_future_done 9
┃ @on_future_cancelled
┃ @on_future_exception
┃ @on_future_result 9`,
  );
  // amltk: `Task collatz(n: int) -> int` with a `Ref: Task-collatz-…` id.
  assert.deepEqual(taskLines(scheduler), ["Task collatz(n) (0 running)"]);
  assert.match(String(scheduler), new RegExp(`Task collatz\\(n\\) #${task.id} `));
});

Deno.test("guide: a scheduler on two processes, before any run", () => {
  const scheduler = Scheduler.withProcesses(2);
  assert.match(String(scheduler), /Executor processes \{ maxProcesses: 2 \}/);
  assertLikeGuide(
    scheduler,
    `
┗━━ @on_start
@on_finishing
@on_finished
@on_stop
@on_timeout
@on_empty
@on_future_submitted
@on_future_done
@on_future_cancelled
@on_future_exception
@on_future_result`,
  );
});

Deno.test("guide: print_hello registered, not yet run", () => {
  const { print, printed } = printer();
  const scheduler = Scheduler.withProcesses(1);
  scheduler.onStart(function printHello() {
    print("hello");
  });
  assert.deepEqual(printed, []);
  assertLikeGuide(
    scheduler,
    `
┗━━ @on_start
└── def print_hello() -> None
@on_finishing
@on_finished
@on_stop
@on_timeout
@on_empty
@on_future_submitted
@on_future_done
@on_future_cancelled
@on_future_exception
@on_future_result`,
  );
});

Deno.test("guide: print_hello, run", async () => {
  const { print, printed } = printer();
  const scheduler = Scheduler.withProcesses(1);
  scheduler.onStart(function printHello() {
    print("hello");
  });
  await scheduler.run();
  assert.deepEqual(printed, ["hello"]);
  assertLikeGuide(
    scheduler,
    `
┗━━ @on_empty 1
@on_start 1
└── def print_hello() -> None (1)
@on_finishing 1
@on_finished 1
@on_stop
@on_timeout
@on_future_submitted
@on_future_done
@on_future_cancelled
@on_future_exception
@on_future_result`,
  );
});

Deno.test("guide: two callbacks on start run in registration order", async () => {
  const { print, printed } = printer();
  const scheduler = Scheduler.withProcesses(1);
  scheduler.onStart(function printHello1() {
    print("hello 1");
  });
  function printHello2() {
    print("hello 2");
  }
  scheduler.onStart(printHello2);
  await scheduler.run();
  assert.deepEqual(printed, ["hello 1", "hello 2"]);
  assertLikeGuide(
    scheduler,
    `
┗━━ @on_empty 1
@on_start 1
├── def print_hello_1() -> None (1)
└── def print_hello_2() -> None (1)
@on_finishing 1
@on_finished 1
@on_stop
@on_timeout
@on_future_submitted
@on_future_done
@on_future_cancelled
@on_future_exception
@on_future_result`,
  );
});

Deno.test("guide: submitting compute from future-result", async () => {
  const { print, printed } = printer();
  const scheduler = Scheduler.withProcesses(2);
  function expensiveFunction(x: number): number {
    return 2 ** x;
  }
  scheduler.onStart(function submitCalculations() {
    scheduler.submit(expensiveFunction, 2);
  });
  scheduler.onFutureResult(function printResult(_: unknown, result: unknown) {
    print(result);
    if ((result as number) < 10) scheduler.submit(expensiveFunction, result as number);
  });
  await scheduler.run();
  assert.deepEqual(printed, ["4", "16"]);
  assertLikeGuide(
    scheduler,
    `
┗━━ @on_empty 1
@on_start 1
└── def submit_calculations() -> None (1)
@on_finishing 1
@on_finished 1
@on_stop
@on_timeout
@on_future_submitted 2
@on_future_done 2
@on_future_cancelled
@on_future_exception
@on_future_result 2
└── def print_result(_, result: int) -> None (2)`,
  );
});

Deno.test("guide: repeat=3 prints three times and counts one call", async () => {
  const { print, printed } = printer();
  const scheduler = Scheduler.withProcesses(1);
  scheduler.onStart(function printHello() {
    print("hello");
  }, { repeat: 3 });
  await scheduler.run();
  assert.deepEqual(printed, ["hello", "hello", "hello"]);
  assertLikeGuide(
    scheduler,
    `
┗━━ @on_empty 1
@on_start 1
└── def print_hello() -> None (1)
@on_finishing 1
@on_finished 1
@on_stop
@on_timeout
@on_future_submitted
@on_future_done
@on_future_cancelled
@on_future_exception
@on_future_result`,
  );
});

Deno.test("guide: max_calls=3", async () => {
  const scheduler = Scheduler.withProcesses(2);
  function expensiveFunction(x: number): number {
    return x ** 2;
  }
  scheduler.onStart(function submitCalculations() {
    scheduler.submit(expensiveFunction, 2);
  });
  scheduler.onFutureResult(function printResult(future: unknown, result: unknown) {
    void [future, result];
    scheduler.submit(expensiveFunction, 2);
  }, { maxCalls: 3 });
  await scheduler.run();
  assertLikeGuide(
    scheduler,
    `
┗━━ @on_empty 1
@on_start 1
└── def submit_calculations() -> None (1)
@on_finishing 1
@on_finished 1
@on_stop
@on_timeout
@on_future_submitted 4
@on_future_done 4
@on_future_cancelled
@on_future_exception
@on_future_result 4
└── def print_result(future, result) -> None (3)`,
  );
});

for (const LOCALE of ["English", "German"]) {
  Deno.test(`guide: when= picks the callback for the locale (${LOCALE})`, async () => {
    const { print, printed } = printer();
    const scheduler = Scheduler.withProcesses(1);
    scheduler.onStart(function printHello() {
      print("hello");
    }, { when: () => LOCALE === "English" });
    scheduler.onStart(function printGutenTag() {
      print("guten tag");
    }, { when: () => LOCALE === "German" });
    await scheduler.run();
    assert.deepEqual(printed, [LOCALE === "English" ? "hello" : "guten tag"]);
    const [hello, gutenTag] = LOCALE === "English" ? [" (1)", ""] : ["", " (1)"];
    assertLikeGuide(
      scheduler,
      `
┗━━ @on_empty 1
@on_start 1
├── def print_hello() -> None${hello}
└── def print_guten_tag() -> None${gutenTag}
@on_finishing 1
@on_finished 1
@on_stop
@on_timeout
@on_future_submitted
@on_future_done
@on_future_cancelled
@on_future_exception
@on_future_result`,
    );
  });
}

Deno.test("guide: every=2 over five runs", async () => {
  const { print, printed } = printer();
  const scheduler = Scheduler.withProcesses(1);
  scheduler.onStart(function printHello() {
    print("hello");
  }, { every: 2 });
  for (let i = 0; i < 5; i++) await scheduler.run();
  assert.deepEqual(printed, ["hello", "hello"]);
  assertLikeGuide(
    scheduler,
    `
┗━━ @on_empty 5
@on_start 5
└── def print_hello() -> None (2)
@on_finishing 5
@on_finished 5
@on_stop
@on_timeout
@on_future_submitted
@on_future_done
@on_future_cancelled
@on_future_exception
@on_future_result`,
  );
});

Deno.test("guide: stop() from future-submitted with wait=False cancels the call", async () => {
  const scheduler = Scheduler.withProcesses(1);
  async function expensiveFunction(sleepFor: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, sleepFor * 1000));
  }
  scheduler.onStart(function submitCalculations() {
    scheduler.submit(expensiveFunction, 10);
  });
  scheduler.onFutureSubmitted(function stopTheScheduler(_: unknown) {
    scheduler.stop();
  });
  const started = Date.now();
  await scheduler.run({ wait: false });
  assert.ok(Date.now() - started < 5_000);
  assertLikeGuide(
    scheduler,
    `
┗━━ @on_empty
@on_start 1
└── def submit_calculations() -> None (1)
@on_finishing 1
@on_finished 1
@on_stop 1
@on_timeout
@on_future_submitted 1
└── def stop_the_scheduler(_) -> None (1)
@on_future_done
@on_future_cancelled 1
@on_future_exception
@on_future_result`,
  );
});

Deno.test("guide: timeout=1 ends an endless loop of 0.1 s calls", async () => {
  const scheduler = Scheduler.withProcesses(1);
  async function expensiveFunction(): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return 42;
  }
  scheduler.onStart(function submitCalculations() {
    scheduler.submit(expensiveFunction);
  });
  scheduler.onFutureDone(function submitAgain(future: unknown) {
    void future;
    if (scheduler.running()) scheduler.submit(expensiveFunction);
  });
  await scheduler.run({ timeout: "1s" });
  // The guide got 10 calls in its second; a loaded machine may fit fewer.
  const n = scheduler.eventCounts.get("future-submitted") ?? 0;
  assert.ok(n >= 3 && n <= 10, `${n} calls`);
  assertLikeGuide(
    scheduler,
    `
┗━━ @on_empty
@on_start 1
└── def submit_calculations() -> None (1)
@on_finishing 1
@on_finished 1
@on_stop
@on_timeout 1
@on_future_submitted ${n}
@on_future_done ${n}
└── def submit_again(future: _asyncio.Future) -> None (${n})
@on_future_cancelled
@on_future_exception
@on_future_result ${n}`,
  );
});

Deno.test("guide: stop() when an exception comes, under on_exception continue", async () => {
  const { print, printed } = printer();
  const scheduler = Scheduler.withProcesses(1);
  function failingComputeFunction(errMsg: string): void {
    throw new Error(errMsg);
  }
  scheduler.onStart(function submitCalculations() {
    scheduler.submit(failingComputeFunction, "Failed!");
  });
  scheduler.onFutureException(function stopTheScheduler(future: unknown, exception: unknown) {
    void future;
    print(`Got exception ${(exception as Error).message}`);
    scheduler.stop();
  });
  await scheduler.run({ onException: "continue" });
  assert.deepEqual(printed, ["Got exception Failed!"]);
  assertLikeGuide(
    scheduler,
    `
┗━━ @on_empty 1
@on_start 1
└── def submit_calculations() -> None (1)
@on_finishing 1
@on_finished 1
@on_stop 1
@on_timeout
@on_future_submitted 1
@on_future_done 1
@on_future_cancelled
@on_future_exception 1
└── def stop_the_scheduler(future: _asyncio.Future, exception: Exception) -> None (1)
@on_future_result`,
  );
});

function collatz(n: number): number {
  const isEven = n % 2 === 0;
  return isEven ? n / 2 : 3 * n + 1;
}

Deno.test("guide: a task cannot be submitted before the scheduler runs", () => {
  const { print, printed } = printer();
  const scheduler = Scheduler.withProcesses(1);
  const collatzTask = scheduler.task(collatz);
  try {
    collatzTask.submit(5);
  } catch (e) {
    print(`${(e as Error).constructor.name}: ${(e as Error).message}`);
    assert.ok(e instanceof SchedulerNotRunningError);
  }
  assert.equal(printed.length, 1);
  assert.match(printed[0], /^SchedulerNotRunningError: Scheduler "scheduler" is not running/);
});

Deno.test("guide: launching the task from start", async () => {
  const scheduler = Scheduler.withProcesses(1);
  const collatzTask = scheduler.task(collatz);
  scheduler.onStart(function launchInitialTask() {
    collatzTask.submit(5);
  });
  await scheduler.run();
  assertLikeGuide(
    scheduler,
    `
┣━━ @on_empty 1
┃ @on_start 1
┃ └── def launch_initial_task() -> None (1)
┃ @on_finishing 1
┃ @on_finished 1
┃ @on_stop
┃ @on_timeout
┃ @on_future_submitted 1
┃ @on_future_done 1
┃ @on_future_cancelled
┃ @on_future_exception
┃ @on_future_result 1`,
  );
  assert.deepEqual(taskLines(scheduler), ["Task collatz(n) (0 running)"]);
});

Deno.test("guide: task-specific events against the scheduler's", async () => {
  const { print, printed } = printer();
  function echo(msg: string): string {
    return msg;
  }
  const scheduler = Scheduler.withProcesses(1);
  const echoTask = scheduler.task(echo);
  scheduler.onStart(function launchInitialTask() {
    echoTask.submit("hello");
    scheduler.submit(echo, "hi");
  });
  scheduler.onFutureResult(function fromScheduler(_: unknown, msg: unknown) {
    print(`result_from_scheduler ${msg}`);
  });
  echoTask.onResult(function fromTask(_: unknown, msg: string) {
    print(`result_from_task ${msg}`);
  });
  await scheduler.run();
  assert.deepEqual(printed.sort(), [
    "result_from_scheduler hello",
    "result_from_scheduler hi",
    "result_from_task hello",
  ]);
  assertLikeGuide(
    scheduler,
    `
┣━━ @on_empty 1
┃ @on_start 1
┃ └── def launch_initial_task() -> None (1)
┃ @on_finishing 1
┃ @on_finished 1
┃ @on_stop
┃ @on_timeout
┃ @on_future_submitted 2
┃ @on_future_done 2
┃ @on_future_cancelled
┃ @on_future_exception
┃ @on_future_result 2
┃ └── def from_scheduler(_, msg: str) -> None (2)`,
  );
  assert.deepEqual(taskLines(scheduler), ["Task echo(msg) (0 running)"]);
  assert.match(String(scheduler), /@result 1\n.*fromTask\(_, msg\) \(1\)/);
});

Deno.test("guide: two tasks, chained, sharing an exception callback", async () => {
  const { print, printed } = printer();
  function expensiveThing1(x: number): number {
    return x * 2;
  }
  function expensiveThing2(x: number): number {
    return x ** 2;
  }
  const scheduler = Scheduler.withProcesses(1);
  const task1 = scheduler.task(expensiveThing1);
  const task2 = scheduler.task(expensiveThing2);
  const items = [1, 2, 3][Symbol.iterator]();
  scheduler.onStart(function submitInitial() {
    const nextItem = items.next().value!;
    task1.submit(nextItem);
  });
  task1.onResult(function submitTask2WithResultsOfTask1(_: unknown, result: number) {
    task2.submit(result);
  });
  task1.onResult(function submitTask1WithNextItem(_: unknown, result: number) {
    void result;
    const nextItem = items.next();
    if (!nextItem.done) {
      task1.submit(nextItem.value);
      return;
    }
    print("Done!");
  });
  function handleTaskException(_: unknown, exception: Error) {
    print(`A task errored! ${exception}`);
  }
  task1.onException(handleTaskException);
  task2.onException(handleTaskException);
  await scheduler.run();
  assert.deepEqual(printed, ["Done!"]);
  assertLikeGuide(
    scheduler,
    `
┣━━ @on_empty 1
┃ @on_start 1
┃ └── def submit_initial() -> None (1)
┃ @on_finishing 1
┃ @on_finished 1
┃ @on_stop
┃ @on_timeout
┃ @on_future_submitted 6
┃ @on_future_done 6
┃ @on_future_cancelled
┃ @on_future_exception
┃ @on_future_result 6`,
  );
  assert.deepEqual(taskLines(scheduler), [
    "Task expensiveThing1(x) (0 running)",
    "Task expensiveThing2(x) (0 running)",
  ]);
});

function myFunc(x: number): number {
  return x;
}

Deno.test("guide: a concurrency limit of 2 skips two of the four quick submits", async () => {
  const { print, printed } = printer();
  const scheduler = Scheduler.withProcesses(2);
  const task = scheduler.task(myFunc, { plugins: new Limiter({ maxConcurrent: 2 }) });
  const items = Array.from({ length: 10 }, (_, i) => i)[Symbol.iterator]();
  const results: number[] = [];
  scheduler.onStart(function submit() {
    const nextItem = items.next().value!;
    task.submit(nextItem);
  }, { repeat: 4 });
  task.onResult(function recordResult(_: unknown, result: number) {
    results.push(result);
  });
  task.onResult(function launchAnother(_: unknown, result: number) {
    void result;
    const nextItem = items.next();
    if (!nextItem.done) task.submit(nextItem.value);
  });
  await scheduler.run();
  print(results);
  // 2 and 3 were refused; the rest ran.
  assert.deepEqual([...results].sort((a, b) => a - b), [0, 1, 4, 5, 6, 7, 8, 9]);
  assertLikeGuide(
    scheduler,
    `
┣━━ @on_empty 1
┃ @on_start 1
┃ └── def submit() -> None (1)
┃ @on_finishing 1
┃ @on_finished 1
┃ @on_stop
┃ @on_timeout
┃ @on_future_submitted 8
┃ @on_future_done 8
┃ @on_future_cancelled
┃ @on_future_exception
┃ @on_future_result 8`,
  );
  // amltk: "Plugin limiter … Concurrent 0/2".
  assert.match(String(scheduler), /plugin limiter: Concurrent 0\/2/);
  assert.equal(printed.length, 1);
});

Deno.test("guide: requeueing what the limiter refused gets all ten results", async () => {
  const scheduler = Scheduler.withProcesses(2);
  const task = scheduler.task(myFunc, { plugins: new Limiter({ maxConcurrent: 2 }) });
  const items = new Requeue(Array.from({ length: 10 }, (_, i) => i));
  const results: number[] = [];
  scheduler.onStart(function submit() {
    const nextItem = items.next().value!;
    task.submit(nextItem);
  }, { repeat: 4 });
  task.on("concurrent-limit-reached", function addBackToQueue(_task: Task, x: number) {
    items.requeue(x);
  });
  task.onResult(function recordResult(_: unknown, result: number) {
    results.push(result);
  });
  task.onResult(function launchAnother(_: unknown, result: number) {
    void result;
    const nextItem = items.next();
    if (!nextItem.done) task.submit(nextItem.value);
  });
  await scheduler.run();
  assert.deepEqual([...results].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assertLikeGuide(
    scheduler,
    `
┣━━ @on_empty 1
┃ @on_start 1
┃ └── def submit() -> None (1)
┃ @on_finishing 1
┃ @on_finished 1
┃ @on_stop
┃ @on_timeout
┃ @on_future_submitted 10
┃ @on_future_done 10
┃ @on_future_cancelled
┃ @on_future_exception
┃ @on_future_result 10`,
  );
});

// ------------------------------------------- old and Python-style names

Deno.test("guide names that baton spells differently fail loudly, with a pointer", async () => {
  const scheduler = Scheduler.withProcesses(1);
  const cb = () => {};
  // Callback options of the guides (002's limit=, 003's max_calls=).
  assert.throws(() => scheduler.onStart(cb, { limit: 3 } as never), /maxCalls/);
  assert.throws(() => scheduler.onStart(cb, { max_calls: 3 } as never), /maxCalls/);
  // run() options in Python spelling, and 002's on_exception="ignore".
  await assert.rejects(scheduler.run({ end_on_empty: false } as never), /endOnEmpty/);
  await assert.rejects(scheduler.run({ on_exception: "continue" } as never), /onException/);
  await assert.rejects(
    scheduler.run({ onException: "ignore" } as never),
    /old "ignore" is "continue"/,
  );
  // Task options of 000 (byop): limits belong to Limiter and limits:.
  for (
    const [key, pointer] of [
      ["call_limit", /Limiter\(\{ maxCalls/],
      ["concurrent_limit", /Limiter\(\{ maxConcurrent/],
      ["memory_limit", /limits: \{ memory/],
      ["cpu_time_limit", /limits: \{ cpuTime/],
      ["wall_time_limit", /limits: \{ wallTime/],
    ] as const
  ) {
    assert.throws(() => scheduler.task(myFunc, { [key]: 1 } as never), pointer, key);
  }
  // Limiter options of 002/003 in Python spelling.
  assert.throws(() => new Limiter({ max_concurrent: 2 } as never), /maxConcurrent/);
  // amltk's event names by string: "on_future_result", byop's "task-returned".
  assert.throws(() => scheduler.on("on_future_result", cb), /did you mean "future-result"/);
  const task = scheduler.task(myFunc);
  assert.throws(() => task.on("task-returned", cb), /did you mean "result"/);
  assert.throws(() => task.on("on_concurrent_limit_reached", cb), /no event/);
});
