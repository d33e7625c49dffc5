// Results between jobs: resultOf(job) placeholders in arguments (the library's `{ from: id }`).
import assert from "node:assert/strict";
import { command, Flow, job, resultOf, Scheduler } from "../mod.ts";
import { boom, sleep } from "./flow_helpers.ts";

Deno.test("resultOf(job) passes a requirement's result and adds the requirement", async () => {
  const prep = job(sleep, 20, [1, 2, 3]);
  const total = job((xs: number[]) => xs.reduce((a, b) => a + b, 0), resultOf(prep));
  // No explicit requires: the placeholder made total require prep.
  assert.deepEqual([...total.requirements], [prep]);
  const flow = new Flow(total, prep);
  assert.deepEqual(flow.topologicalOrder(), [prep, total]);
  assert.equal(await flow.run(), true);
  assert.equal(total.result, 6);
});

Deno.test("resultOf() inside arrays and objects, with pick, and for a list of jobs", async () => {
  const a = job(() => ({ score: 0.9, name: "a" }));
  const b = job(() => ({ score: 0.7, name: "b" }));
  const shared = { keep: "me" };
  const report = job(
    (
      config: { best: number; all: { name: string }[]; names: string[]; shared: object },
      n: number,
    ) => ({ ...config, n }),
    {
      best: resultOf(a, (r) => r.score),
      all: resultOf([a, b]),
      names: [resultOf(a, (r) => r.name), resultOf(b, (r) => r.name)],
      shared,
    },
    3,
  );
  assert.equal(report.requirements.size, 2);
  assert.equal(await new Flow(a, b, report).run(), true);
  const result = report.result!;
  assert.equal(result.best, 0.9);
  assert.deepEqual(result.all.map((r) => r.name), ["a", "b"]);
  assert.deepEqual(result.names, ["a", "b"]);
  // Containers without placeholders are passed as they are.
  assert.equal(result.shared, shared);
  assert.equal(result.n, 3);
});

Deno.test("resultOf() works for task jobs, whose calls run elsewhere", async () => {
  const scheduler = Scheduler.withWorkers(1);
  const square = scheduler.task((n: number) => n * n);
  const first = job(square, 3);
  const second = job(square, resultOf(first));
  assert.equal(await new Flow(first, second).run(), true);
  assert.equal(second.result, 81);
});

Deno.test("resultOf() a command's output", async () => {
  const list = command(["sh", "-c", "printf 'a\\nb\\nc'"]);
  const count = job((lines: string[]) => lines.length, resultOf(list, (r) => r.stdout.split("\n")));
  assert.equal(await new Flow(list, count).run(), true);
  assert.equal(count.result, 3);
});

Deno.test("a placeholder on a failed job fails the job that needed it, saying why", async () => {
  const bad = job(boom, 1, "no data");
  const user = job((x: unknown) => x, resultOf(bad));
  const flow = new Flow({ critical: false });
  flow.add(bad, { label: "bad", critical: false });
  flow.add(user, { label: "user", critical: false });
  assert.equal(await flow.run(), true);
  assert.match(user.error!.message, /job "bad" failed, so there is no result to pass on/);
  assert.match((user.error!.cause as Error).message, /no data/);
  assert.throws(() => resultOf(42 as never), /resultOf\(\) needs a job or a list of jobs, got 42/);
});
