// Each piece of a job's output reaches its log in the run store exactly once: job-output goes
// up to every outer flow, and a task job's call output comes both as the task event `output`
// and (forwarded by the job) as job-output.
import assert from "node:assert/strict";
import {
  command,
  DurableRun,
  Flow,
  job,
  type JobContext,
  resultOf,
  reuseOf,
  Scheduler,
} from "../mod.ts";
import { withTempDir } from "./cli_resume_helpers.ts";

Deno.test("logs: output of jobs in nested flows is logged once, and shown once", async () => {
  await withTempDir(async (dir) => {
    const outer = new Flow({ label: "outer" });
    const middle = outer.add(new Flow({ label: "middle" }));
    const inner = middle.add(new Flow({ label: "inner" }));
    inner.add(
      job(function speak(this: JobContext) {
        this.output?.("said\n");
        console.log("printed");
      }),
      { label: "speak" },
    );
    inner.add(command(["sh", "-c", "echo out; echo err >&2"]), { label: "cmd" });
    middle.add(
      job(function note(this: JobContext) {
        this.output?.("noted\n", "stderr");
      }),
      { label: "note" },
    );
    const shown: string[] = [];
    const run = DurableRun.open(outer, {
      store: dir,
      onOutput: ({ key, text }) => shown.push(`${key}|${text}`),
    });
    // A user's handler on the top flow sees every job's output once too.
    const seen: string[] = [];
    outer.onJobOutput((j, text) => seen.push(`${j.label}|${text}`));
    assert.equal(await run.run(), true);
    const logOf = (key: string) => run.store.readLog(run.id, key);
    assert.equal(logOf("middle/inner/speak"), "said\nprinted\n");
    assert.equal(logOf("middle/inner/cmd"), "out\nerr\n");
    assert.equal(logOf("middle/note"), "noted\n");
    assert.deepEqual(shown.toSorted(), [
      "middle/inner/cmd|err\n",
      "middle/inner/cmd|out\n",
      "middle/inner/speak|printed\n",
      "middle/inner/speak|said\n",
      "middle/note|noted\n",
    ]);
    assert.deepEqual(seen.toSorted(), ["cmd|err\n", "cmd|out\n", "note|noted\n", "speak|said\n"]);
    run.store.close();
  });
});

const SCHEDULERS = {
  sequential: () => Scheduler.sequential({ echo: false }),
  workers: () => Scheduler.withWorkers(2, { echo: false }),
};

for (const [kind, make] of Object.entries(SCHEDULERS)) {
  Deno.test(`logs: a task job's console output lands once in its log (${kind})`, async () => {
    await withTempDir(async (dir) => {
      const scheduler = make();
      const shout = scheduler.task(function shout(n: number) {
        console.log(`call ${n} out`);
        console.error(`call ${n} err`);
        return n;
      });
      const outer = new Flow({ label: `task-output-${kind}`, store: dir });
      const first = outer.add(job(shout, 1), { label: "first" });
      outer.add(job(shout, 2), { label: "second", requires: first });
      const nested = outer.add(new Flow({ label: "nested" }));
      nested.add(job(shout, 3), { label: "third" });
      // Main-thread code that makes a call itself (while the flow keeps the scheduler
      // running for its task jobs): its output is the job's too.
      outer.add(job(() => shout.submit(4)!), { label: "caller", requires: first });
      const seen: string[] = [];
      outer.onJobOutput((j, text) => seen.push(`${j.label}|${text}`));
      assert.equal(await outer.run(), true);
      const run = (await import("../mod.ts")).RunStore.open(dir, { create: false });
      try {
        const [{ id }] = run.runs();
        assert.equal(run.readLog(id, "first"), "call 1 out\ncall 1 err\n");
        assert.equal(run.readLog(id, "second"), "call 2 out\ncall 2 err\n");
        assert.equal(run.readLog(id, "nested/third"), "call 3 out\ncall 3 err\n");
        assert.equal(run.readLog(id, "caller"), "call 4 out\ncall 4 err\n");
      } finally {
        run.close();
      }
      // Task jobs' call output is job-output for the flow's own listeners too, once.
      assert.deepEqual(seen.filter((s) => !s.startsWith("caller")).toSorted(), [
        "first|call 1 err\n",
        "first|call 1 out\n",
        "second|call 2 err\n",
        "second|call 2 out\n",
        "third|call 3 err\n",
        "third|call 3 out\n",
      ]);
      // Nothing of the flow is left listening to the task.
      assert.equal(shout.handlers("output").length, 0);
    });
  });
}

// Module-level, so that its source is the same in both runs.
function total(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
function numbers(): number[] {
  return [1, 2, 3];
}

Deno.test("a resultOf() argument's pick is part of the job's definition: a new pick runs again", async () => {
  await withTempDir(async (dir) => {
    const make = (pick: (xs: number[]) => number[]) => {
      const flow = new Flow({ label: "picks", store: dir });
      const source = flow.add(job(numbers), { label: "numbers" });
      const sum = flow.add(job(total, resultOf(source, pick)), { label: "sum" });
      return { flow, sum };
    };
    const first = make((xs) => xs);
    assert.equal(await first.flow.run(), true);
    assert.equal(first.sum.result, 6);
    const same = make((xs) => xs);
    assert.equal(await same.flow.run({ resume: true }), true);
    assert.deepEqual(reuseOf(same.sum), { run: "1", cached: false });
    const changed = make((xs) => xs.slice(1));
    assert.equal(await changed.flow.run({ resume: true }), true);
    assert.equal(reuseOf(changed.sum), undefined);
    assert.equal(changed.sum.result, 5);
  });
});
