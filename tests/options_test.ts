import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { Emitter, Event, Limiter, parseDuration, parseSize, Scheduler } from "../mod.ts";
import { startTimer, stopTimer } from "../src/timers.ts";
import { closest } from "../src/similar.ts";

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return error.message;
  }
  throw new Error("expected a TypeError");
}

Deno.test("options: a misspelt task option names the key, the accepted ones and the closest", () => {
  const scheduler = Scheduler.sequential();
  const text = message(() => scheduler.task(() => 1, { limts: {} } as never));
  assertMatch(text, /Unknown option "limts" in scheduler\.task\(\) options/);
  assertMatch(text, /did you mean "limits"\?/);
  assertMatch(text, /accepted: name, plugins, limits, permissions, comm/);
});

Deno.test("options: amltk's call_limit on a task points to Limiter", () => {
  const scheduler = Scheduler.sequential();
  assertMatch(
    message(() => scheduler.task(() => 1, { call_limit: 3 } as never)),
    /"call_limit".*new Limiter\(\{ maxCalls: n \}\)/,
  );
  assertMatch(
    message(() => scheduler.task(() => 1, { concurrentLimit: 3 } as never)),
    /maxConcurrent/,
  );
});

Deno.test("options: plugins take one plugin or an array; anything else is named", () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task(() => 1, { plugins: new Limiter({ maxCalls: 1 }) });
  assertEquals(task.plugins.length, 1);
  assertMatch(message(() => scheduler.task(() => 1, { plugins: [42] } as never)), /got 42/);
});

Deno.test("options: run() options are checked before anything runs", async () => {
  const scheduler = Scheduler.sequential();
  let err: unknown;
  try {
    await scheduler.run({ on_exception: "end" } as never);
  } catch (error) {
    err = error;
  }
  assertMatch(String(err), /Unknown option "on_exception".*did you mean "onException"/);
  assertEquals(scheduler.running(), false);
  assertEquals((await scheduler.run()).code, "exhausted");
});

Deno.test("options: callback options, executor options and Limiter options are checked", () => {
  const em = new Emitter();
  const TICK = new Event<[]>("tick");
  assertMatch(message(() => em.on(TICK, () => {}, { limit: 2 } as never)), /"limit".*maxCalls/);
  assertMatch(
    message(() => Scheduler.withWorkers(1, { prefetc: 2 } as never)),
    /"prefetc".*did you mean "prefetch"/,
  );
  assertMatch(
    message(() => Scheduler.withProcesses(1, { limit: {} } as never)),
    /did you mean "limits"/,
  );
  assertMatch(message(() => new Limiter({ maxcalls: 2 } as never)), /did you mean "maxCalls"/);
  assertMatch(message(() => Scheduler.sequential().stop({ why: "x" } as never)), /"why"/);
});

Deno.test("options: did-you-mean suggests nothing absurd", () => {
  assertEquals(closest("zz", ["a", "b"]), undefined);
  assertEquals(closest("limts", ["limits", "name"]), "limits");
  assertEquals(closest("call_limit", ["callLimit"]), "callLimit");
});

Deno.test("durations: non-finite and absurd values are quoted as given", () => {
  assertMatch(message(() => parseDuration(NaN)), /Invalid duration: NaN;/);
  assertMatch(message(() => parseDuration(Infinity)), /Invalid duration: Infinity/);
  assertMatch(
    message(() => parseDuration(`1${"0".repeat(400)}ms`)),
    /Invalid duration: "10000.*largest accepted/,
  );
  assertMatch(message(() => parseSize(-1)), /Invalid size: -1;/);
  assertEquals(parseDuration("600h"), 600 * 3_600_000);
});

Deno.test("timers: a delay beyond 2^31-1 ms does not fire at once", async () => {
  let fired = false;
  const timer = startTimer(() => fired = true, 2 ** 31 + 1_000);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assertEquals(fired, false);
  stopTimer(timer);
});

Deno.test("timers: a 600h wall-time limit and run timeout do not end a short call", async () => {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task(async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return "done";
  }, { limits: { wallTime: "600h" } });
  let result: unknown;
  scheduler.onStart(() => task.submit());
  task.onResult((_f, value) => result = value);
  const exit = await scheduler.run({ timeout: "600h" });
  assertEquals(exit.code, "exhausted");
  assertEquals(result, "done");
});

Deno.test("backoff: exponential, capped, and jittered between half and all", async () => {
  const { backoffDelay, resolveBackoff } = await import("../src/plugins/backoff.ts");
  const fixed = resolveBackoff({ delay: 100, maxDelay: 350, jitter: false }, "test");
  assertEquals([1, 2, 3, 4].map((n) => backoffDelay(fixed, n)), [100, 200, 350, 350]);
  const jittered = resolveBackoff({ delay: "1s" }, "test");
  assertEquals(backoffDelay(jittered, 1, () => 0), 500);
  assertEquals(backoffDelay(jittered, 1, () => 1), 1000);
  assertMatch(message(() => resolveBackoff({ dealy: 1 } as never, "new Retry()")), /"delay"/);
});
