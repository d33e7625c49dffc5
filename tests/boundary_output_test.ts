/**
 * Output across the boundary: what a call prints reaches the main process as
 * task `output` and scheduler `future-output` events, attributed to its own
 * call; it is still echoed by default, and can be kept off the terminal.
 */
import assert from "node:assert/strict";
import {
  type Call,
  type Executor,
  type ExecutorHost,
  type Future,
  Scheduler,
  SequentialExecutor,
} from "../mod.ts";
import { eachExecutor, runFixture } from "./helpers.ts";

async function chatty(tag: string, rounds: number, raw: boolean): Promise<string> {
  for (let i = 0; i < rounds; i++) {
    console.log(`${tag} says %d`, i, { i });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  console.warn(`${tag} warns`);
  if (raw) await Deno.stdout.write(new TextEncoder().encode(`${tag} raw\n`));
  return tag;
}

eachExecutor(
  "what a call prints reaches output and future-output, attributed to its call",
  async (make) => {
    const scheduler = make();
    // Captured all the same; kept off the test's output (echo has its own test below).
    scheduler.echo = false;
    const raw = scheduler.executor.kind !== "sequential";
    const task = scheduler.task(chatty);
    const byFuture = new Map<Future, string[]>();
    const scheduled: string[] = [];
    task.onOutput((future, text, stream) => {
      const list = byFuture.get(future) ?? [];
      list.push(`${stream}|${text}`);
      byFuture.set(future, list);
    });
    scheduler.onFutureOutput((_future, text, stream) => scheduled.push(`${stream}|${text}`));
    const futures: Future[] = [];
    scheduler.onStart(() => {
      futures.push(task.submit("A", 3, raw)!, task.submit("B", 2, raw)!);
    });
    await scheduler.run();
    const expected = (tag: string, rounds: number) => [
      ...Array.from({ length: rounds }, (_, i) => `stdout|${tag} says ${i} { i: ${i} }\n`),
      `stderr|${tag} warns\n`,
      ...(raw ? [`stdout|${tag} raw\n`] : []),
    ];
    assert.deepEqual(byFuture.get(futures[0]), expected("A", 3));
    assert.deepEqual(byFuture.get(futures[1]), expected("B", 2));
    assert.equal(scheduled.length, expected("A", 3).length + expected("B", 2).length);
    assert.deepEqual(futures.map((f) => f.value), ["A", "B"]);
  },
);

for (const kind of ["sequential", "workers", "processes"]) {
  Deno.test(`output is echoed by default and kept off the terminal with echo: false [${kind}]`, async () => {
    const run = async (echo: string, listen: string) => {
      const { code, stdout: out, stderr: err, result } = await runFixture("echo.ts", [
        kind,
        echo,
        listen,
      ]);
      assert.equal(code, 0, err);
      return { out, err, heard: (result as { heard: string[] }).heard };
    };
    const echoed = await run("echo", "listen");
    assert.match(echoed.out + echoed.err, /hello-from-task-out/);
    assert.match(echoed.err, /hello-from-task-err/);
    assert.deepEqual(echoed.heard, ["stdout:hello-from-task-out", "stderr:hello-from-task-err"]);
    const quiet = await run("quiet", "listen");
    assert.doesNotMatch(quiet.out + quiet.err, /hello-from-task-(out|err)\n/);
    assert.deepEqual(quiet.heard, echoed.heard);
    const dropped = await run("quiet", "ignore");
    assert.doesNotMatch(dropped.out + dropped.err, /hello-from-task/);
    const plain = await run("echo", "ignore");
    assert.match(plain.out + plain.err, /hello-from-task-out/);
  });
}

Deno.test("nobody listening and echo on: calls are not captured at all (the cheap path)", async () => {
  const seen: Array<Call["output"]> = [];
  const inner = new SequentialExecutor();
  const spy: Executor = {
    kind: "spy",
    validate: (o) => inner.validate(o),
    start: (host: ExecutorHost) => inner.start(host),
    execute: (call) => {
      seen.push(call.output);
      inner.execute(call);
    },
    sendComm: (call, frame) => inner.sendComm(call, frame),
    cancel: (call, reason) => inner.cancel(call, reason),
    shutdown: (wait) => inner.shutdown(wait),
    info: () => inner.info(),
  };
  const scheduler = new Scheduler({ executor: spy });
  const task = scheduler.task((x: number) => x);
  scheduler.onStart(() => void task.submit(1));
  await scheduler.run();
  const listener = task.onOutput(() => {});
  await scheduler.run();
  listener.remove();
  scheduler.echo = false;
  await scheduler.run();
  assert.deepEqual(seen, [undefined, "capture", "discard"]);
});
