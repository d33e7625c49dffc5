import assert from "node:assert/strict";
import {
  command,
  CommandError,
  Flow,
  job,
  type Plugin,
  Scheduler,
  WallTimeLimitError,
} from "../mod.ts";
import { timed } from "./flow_helpers.ts";

Deno.test("command: result has code, stdout and stderr", async () => {
  const echo = command(["sh", "-c", "echo out; echo err >&2"]);
  assert.equal(echo.label, "sh -c echo out; echo err >&2");
  assert.equal(await new Flow(echo).run(), true);
  assert.deepEqual(echo.result, { code: 0, stdout: "out\n", stderr: "err\n" });
});

Deno.test("command: a non-zero exit fails the job with a CommandError", async () => {
  const fail = command(["sh", "-c", "echo partial; echo broken >&2; exit 3"]);
  const after = command(["true"]);
  after.requires(fail);
  const flow = new Flow({ critical: false });
  flow.add(fail, { critical: false, label: "fail" });
  flow.add(after);
  assert.equal(await flow.run(), true);
  assert.ok(fail.error instanceof CommandError);
  assert.equal(fail.error.code, 3);
  assert.equal(fail.error.stdout, "partial\n");
  assert.equal(fail.error.stderr, "broken\n");
  assert.match(fail.error.message, /exited with code 3: broken/);
  assert.equal(after.isDone(), true);
  // Critical by default: the flow rejects with it.
  await assert.rejects(new Flow(command(["false"])).run(), CommandError);
});

Deno.test("command: limits.wallTime kills the process", async () => {
  const slow = command(["sleep", "10"], { limits: { wallTime: "100ms" } });
  const [ok, ms] = await timed(() => new Flow(slow, { critical: false }).run());
  assert.equal(ok, false);
  assert.ok(ms < 5000, `took ${ms}ms`);
  assert.ok(slow.error instanceof WallTimeLimitError);
  assert.equal(slow.error.limit, 100);
});

Deno.test("command: cancelled by the flow's timeout, the process is killed and reaped", async () => {
  const slow = command(["sleep", "10"]);
  const [ok, ms] = await timed(() => new Flow(slow, { timeout: 100, critical: false }).run());
  assert.equal(ok, false);
  assert.ok(ms < 5000, `took ${ms}ms`);
  assert.equal(slow.cancelled, true);
});

Deno.test("command: a missing program fails the job", async () => {
  const missing = command(["baton-no-such-program-xyz"]);
  assert.equal(await new Flow(missing, { critical: false }).run(), false);
  assert.ok(missing.error instanceof Error);
});

Deno.test("command: permissions become deno flags, enforced by deno", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/read.ts`;
    await Deno.writeTextFile(script, "console.log(Deno.readTextFileSync(Deno.args[0]).length);");
    const target = `${dir}/data.txt`;
    await Deno.writeTextFile(target, "12345");
    const run = (permissions: "none" | { read: string[] }) =>
      command([Deno.execPath(), "run", script, target], { permissions });
    const denied = run("none"), allowed = run({ read: [dir] });
    const flow = new Flow({ critical: false });
    flow.add(denied, { critical: false });
    flow.add(allowed);
    assert.equal(await flow.run(), true);
    assert.ok(denied.error instanceof CommandError, String(denied.error));
    assert.match(denied.error.stderr, /NotCapable|Requires read access/);
    assert.equal(allowed.result?.stdout, "5\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("command: bad arguments name the value and what is accepted", () => {
  assert.throws(() => command([]), /non-empty array of strings.*got \[\]/);
  assert.throws(() => command(["ls"], { permissions: "none" }), /deno commands only.*"ls"/);
  assert.throws(
    () => command(["deno", "eval", "1"], { permissions: "none" }),
    /explicit deno subcommand \(run, test, bench, serve\).*got "eval"/,
  );
  assert.throws(
    () => command(["deno", "run", "-A", "x.ts"], { permissions: "none" }),
    /already has the permission flag "-A"/,
  );
  assert.throws(
    () => command(["ls"], { limits: { memory: "1GB" } as never }),
    /Unknown option "memory" in command\(\) limits options: commands take a wallTime limit only.*withProcesses/,
  );
  assert.throws(
    () => command(["ls"], { limits: { walltime: "1s" } as never }),
    /Unknown option "walltime" in command\(\) limits options \(did you mean "wallTime"\?\)/,
  );
  assert.throws(
    () => command(["ls"], { label: "x" } as never),
    /Unknown option "label" in command\(\) options: label, requires, critical and forever go to flow.add/,
  );
  assert.throws(() => command(["ls"], { cwdd: "/" } as never), /did you mean "cwd"\?/);
});

Deno.test("task job: the flow runs a stopped scheduler, then stops it", async () => {
  const scheduler = Scheduler.sequential();
  const square = scheduler.task((n: number) => n * n, { name: "square" });
  const a = job(square, 3), b = job(square, 4);
  b.requires(a);
  let runningDuring = false;
  const flow = new Flow(a, b);
  flow.onJobStarted(() => runningDuring ||= scheduler.running());
  assert.equal(await flow.run(), true);
  assert.equal(a.label, "square(3)");
  assert.deepEqual([a.result, b.result], [9, 16]);
  assert.equal(runningDuring, true);
  assert.equal(scheduler.running(), false);
  assert.equal(scheduler.eventCounts.get("start"), 1);
  assert.equal(scheduler.eventCounts.get("future-result"), 2);
});

Deno.test("task job: a scheduler already running is used and left running", async () => {
  const scheduler = Scheduler.sequential();
  const double = scheduler.task((n: number) => 2 * n);
  let ok: boolean | undefined;
  const j = job(double, 21);
  scheduler.onStart(async () => {
    ok = await new Flow(j).run();
    assert.equal(scheduler.running(), true);
    scheduler.stop();
  });
  const exit = await scheduler.run({ endOnEmpty: false });
  assert.equal(exit.code, "stopped");
  assert.equal(ok, true);
  assert.equal(j.result, 42);
});

Deno.test("task job: a failing call fails the job; other calls go on", async () => {
  const scheduler = Scheduler.sequential();
  const check = scheduler.task((n: number) => {
    if (n < 0) throw new RangeError(`negative: ${n}`);
    return n;
  });
  const bad = job(check, -1), good = job(check, 5);
  const flow = new Flow({ critical: false });
  flow.add(bad, { critical: false });
  flow.add(good, { requires: bad });
  assert.equal(await flow.run(), true);
  assert.ok(bad.error instanceof RangeError);
  assert.equal(good.result, 5);
  assert.equal(scheduler.running(), false);
});

Deno.test("task job: a plugin veto fails the job with a clear error", async () => {
  const scheduler = Scheduler.sequential();
  let calls = 0;
  const onlyOnce: Plugin = {
    name: "only-once",
    attach() {},
    preSubmit: (fn, args) => calls++ === 0 ? [fn, args] : undefined,
  };
  const once = scheduler.task((n: number) => n, { plugins: [onlyOnce] });
  const first = job(once, 1), second = job(once, 2);
  second.requires(first);
  assert.equal(await new Flow(first, second, { critical: false }).run(), false);
  assert.equal(first.result, 1);
  assert.match((second.error as Error).message, /did not accept the call.*vetoed/);
});

Deno.test("task job: compute in Web Workers, shared by a nested flow", async () => {
  const scheduler = Scheduler.withWorkers(1);
  const fib = scheduler.task(function fib(n: number): number {
    let [a, b] = [0, 1];
    for (let i = 0; i < n; i++) [a, b] = [b, a + b];
    return a;
  });
  const outerJob = job(fib, 30);
  const inner = new Flow(job(fib, 10), job(fib, 20), { label: "inner" });
  const flow = new Flow(outerJob, inner);
  assert.equal(await flow.run(), true);
  assert.equal(outerJob.result, 832040);
  assert.deepEqual(inner.jobs.map((j) => j.result), [55, 6765]);
  assert.equal(scheduler.running(), false);
  assert.equal(scheduler.eventCounts.get("start"), 1);
});
