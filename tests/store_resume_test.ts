// Durable flow runs in-process: resume, invalidation, cache, unstorable results, logs, the record.
import assert from "node:assert/strict";
import {
  command,
  DurableRun,
  Flow,
  job,
  type JobContext,
  reuseOf,
  RunStore,
  Scheduler,
  UnknownRunError,
  UnstorableResultError,
} from "../mod.ts";
import { withTempDir } from "./cli_resume_helpers.ts";

const withStore = withTempDir;

function read(dir: string): RunStore {
  return RunStore.open(dir, { create: false });
}

const calls: Record<string, number> = {};
function count(name: string): void {
  calls[name] = (calls[name] ?? 0) + 1;
}

// Module-level functions: the same source in every run, so the same definition.
function download(n: number): number[] {
  count("download");
  return Array.from({ length: n }, (_, i) => i + 1);
}
let prepareFails = true;
function prepare(data: number[]): number {
  count("prepare");
  if (prepareFails) throw new Error("prepare broke");
  return data.reduce((a, b) => a + b, 0);
}
function train(total: number, lr: number): string {
  count("train");
  return `model(${total}, ${lr})`;
}

function pipeline(dir: string, lr = 0.1) {
  const flow = new Flow({ label: "pipeline", store: dir, critical: false });
  const fetch = flow.add(job(download, 4), { label: "fetch" });
  const prep = flow.add(job(() => prepare(fetch.result!)), {
    label: "prep",
    requires: fetch,
  });
  const fit = flow.add(job((lr: number) => train(prep.result!, lr), lr), {
    label: "fit",
    requires: prep,
  });
  return { flow, fetch, prep, fit };
}

Deno.test("resume after a failure: only what did not succeed runs; stored results feed successors", async () => {
  await withStore(async (dir) => {
    for (const k of Object.keys(calls)) delete calls[k];
    prepareFails = true;
    const first = pipeline(dir);
    assert.equal(await first.flow.run(), false);
    assert.deepEqual(calls, { download: 1, prepare: 1 });

    prepareFails = false;
    const second = pipeline(dir);
    assert.equal(await second.flow.run({ resume: true }), true);
    assert.deepEqual(calls, { download: 1, prepare: 2, train: 1 }); // download not again
    assert.deepEqual(second.fetch.result, [1, 2, 3, 4]); // the stored result stands in
    assert.equal(second.fit.result, "model(10, 0.1)");
    assert.deepEqual(reuseOf(second.fetch), { run: "1", cached: false });
    assert.equal(reuseOf(second.prep), undefined);
    assert.match(
      second.flow.list({ ascii: true }),
      /fetch => \[ 1, 2, 3, 4 \] \[skipped: from run 1\]/,
    );

    const store = read(dir);
    try {
      const runs = store.runs();
      assert.deepEqual(runs.map((r) => [r.id, r.state, r.resumedFrom]), [
        ["2", "ok", "1"],
        ["1", "failed", undefined],
      ]);
      assert.deepEqual(store.jobs("2").map((j) => [j.key, j.state, j.reusedFrom]), [
        ["fetch", "skipped", "1"],
        ["prep", "succeeded", undefined],
        ["fit", "succeeded", undefined],
      ]);
      const failed = store.jobs("1").find((j) => j.key === "prep")!;
      assert.equal(failed.state, "failed");
      assert.equal(failed.error?.message, "prepare broke");
      assert.deepEqual(store.result("2", "fit"), { value: "model(10, 0.1)" });
      // A third resume, of the resumed run, skips everything.
      const third = pipeline(dir);
      assert.equal(await third.flow.run({ resume: "2" }), true);
      assert.deepEqual(calls, { download: 1, prepare: 2, train: 1 });
      assert.deepEqual(store.jobs("3").map((j) => j.state), ["skipped", "skipped", "skipped"]);
    } finally {
      store.close();
    }
  });
});

Deno.test("a changed definition reruns that job and what depends on it, nothing else", async () => {
  await withStore(async (dir) => {
    const ran: string[] = [];
    const step = (name: string, value: number) => {
      ran.push(name);
      return value;
    };
    // a → b → c, and a → d.
    const build = (bArg: number, aArg = 1) => {
      const flow = new Flow({ label: "graph", store: dir });
      const a = flow.add(job(step, "a", aArg), { label: "a" });
      const b = flow.add(job(step, "b", bArg), { label: "b", requires: a });
      flow.add(job(step, "c", 3), { label: "c", requires: b });
      flow.add(job(step, "d", 4), { label: "d", requires: a });
      return flow;
    };
    assert.equal(await build(2).run(), true);
    assert.deepEqual(ran.splice(0).sort(), ["a", "b", "c", "d"]);

    assert.equal(await build(2).run({ resume: true }), true); // nothing changed
    assert.deepEqual(ran.splice(0), []);

    assert.equal(await build(20).run({ resume: true }), true); // b changed
    assert.deepEqual(ran.splice(0).sort(), ["b", "c"]);

    assert.equal(await build(20, 10).run({ resume: true }), true); // a changed: all downstream
    assert.deepEqual(ran.splice(0).sort(), ["a", "b", "c", "d"]);

    const store = read(dir);
    try {
      assert.deepEqual(store.jobs("3").map((j) => [j.key, j.state]), [
        ["a", "skipped"],
        ["b", "succeeded"],
        ["d", "skipped"],
        ["c", "succeeded"],
      ]);
    } finally {
      store.close();
    }
  });
});

Deno.test("cache: true reuses a stored success from any earlier run; cache: false runs it", async () => {
  await withStore(async (dir) => {
    let runs = 0;
    const expensive = (n: number) => {
      runs++;
      return { squares: Array.from({ length: n }, (_, i) => i * i), at: new Date(0) };
    };
    const flowNamed = (label: string, cache = true) => {
      const flow = new Flow({ label, store: dir });
      return { flow, j: flow.add(job(expensive, 5), { label: "squares", cache }) };
    };
    await flowNamed("first").flow.run();
    const second = flowNamed("second"); // another flow: no resume, but the cache matches
    await second.flow.run();
    assert.equal(runs, 1);
    assert.deepEqual(second.j.result, { squares: [0, 1, 4, 9, 16], at: new Date(0) });
    assert.deepEqual(reuseOf(second.j), { run: "1", cached: true });
    assert.match(second.flow.list({ ascii: true }), /\[cached: from run 1\]/);

    const forced = flowNamed("third");
    await forced.flow.run({ cache: false });
    assert.equal(runs, 2);
    assert.equal(reuseOf(forced.j), undefined);

    const uncached = flowNamed("fourth", false); // without cache: true, it runs
    await uncached.flow.run();
    assert.equal(runs, 3);

    const store = read(dir);
    try {
      assert.deepEqual(store.runs().map((r) => store.jobs(r.id)[0].state), [
        "succeeded",
        "succeeded",
        "cached",
        "succeeded",
      ]);
    } finally {
      store.close();
    }
  });
});

Deno.test("a result the store cannot keep fails its job, naming it", async () => {
  await withStore(async (dir) => {
    const flow = new Flow({ label: "bad", store: dir });
    flow.add(job(() => () => "a function"), { label: "returns-a-function" });
    await assert.rejects(
      () => flow.run(),
      (error: unknown) => {
        assert.ok(error instanceof UnstorableResultError);
        assert.equal(error.job, "returns-a-function");
        assert.match(error.message, /job "returns-a-function" returned a result the run store/);
        return true;
      },
    );
    const store = read(dir);
    try {
      const [record] = store.jobs("1");
      assert.equal(record.state, "failed");
      assert.equal(record.error?.name, "UnstorableResultError");
      assert.equal(record.hasResult, false);
    } finally {
      store.close();
    }
  });
});

Deno.test("resume needs a store; an unknown run is refused naming the known ones; options are checked", async () => {
  const lone = new Flow({ label: "no-store" });
  lone.add(job(() => 1));
  await assert.rejects(() => lone.run({ resume: true }), /needs a run store/);
  assert.throws(() => new Flow({ store: 5 as never }), /store must be a directory path/);
  await withStore(async (dir) => {
    const once = new Flow({ label: "x", store: dir });
    once.add(job(() => 1), { label: "one" });
    await once.run();
    const again = new Flow({ label: "x", store: dir });
    again.add(job(() => 1), { label: "one" });
    await assert.rejects(
      () => again.run({ resume: 7 }),
      (error: unknown) =>
        error instanceof UnknownRunError && error.message.includes("known runs: 1"),
    );
    assert.equal(again.state, "idle"); // nothing ran
    await assert.rejects(() => again.run({ resum: true } as never), /did you mean "resume"/);
    await assert.rejects(() => again.run({ resume: "soon" }), /resume must be true, false/);
  });
});

Deno.test("nested flows resume job by job, with their jobs keyed by path", async () => {
  await withStore(async (dir) => {
    const ran: string[] = [];
    let yFails = true;
    const step = (name: string) => {
      ran.push(name);
      if (name === "y" && yFails) throw new Error("y broke");
      return name;
    };
    const build = () => {
      const inner = new Flow({ label: "sub" });
      const x = inner.add(job(step, "x"), { label: "x" });
      inner.add(job(step, "y"), { label: "y", requires: x });
      const flow = new Flow({ label: "outer", store: dir, critical: false });
      const a = flow.add(job(step, "a"), { label: "a" });
      flow.add(inner, { requires: a });
      flow.add(job(step, "b"), { label: "b", requires: inner });
      return flow;
    };
    assert.equal(await build().run(), false);
    assert.deepEqual(ran.splice(0), ["a", "x", "y"]);
    yFails = false;
    assert.equal(await build().run({ resume: true }), true);
    assert.deepEqual(ran.splice(0), ["y", "b"]);
    const store = read(dir);
    try {
      assert.deepEqual(store.jobs("2").map((j) => [j.key, j.state, j.depth]), [
        ["a", "skipped", 0],
        ["sub", "succeeded", 0],
        ["sub/x", "skipped", 1],
        ["sub/y", "succeeded", 1],
        ["b", "succeeded", 0],
      ]);
    } finally {
      store.close();
    }
  });
});

Deno.test("logs: console output of main-thread jobs and of sequential task calls goes to each job's log", async () => {
  await withStore(async (dir) => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    async function chatty(this: JobContext, name: string) {
      for (let i = 0; i < 3; i++) {
        console.log(`${name} line ${i}`);
        await sleep(2); // the two jobs interleave
      }
      console.error(`${name} done`);
      return name;
    }
    // Logged all the same; not echoed into the test's output.
    const scheduler = Scheduler.sequential({ echo: false });
    const noisy = scheduler.task(async function noisy(n: number) {
      console.log("task says", n, { n });
      await sleep(1);
      console.warn("task warns");
      return n;
    });
    const flow = new Flow({ label: "logs" });
    flow.add(job(chatty, "left"), { label: "left" });
    flow.add(job(chatty, "right"), { label: "right" });
    flow.add(job(noisy, 7), { label: "task" });
    flow.add(command(["sh", "-c", "echo out; echo err >&2"]), { label: "cmd" });
    const seen: string[] = [];
    const run = DurableRun.open(flow, {
      store: dir,
      onOutput: ({ key, text, stream }) => seen.push(`${key}:${stream}:${text}`),
    });
    assert.equal(await run.run(), true);
    const logOf = (key: string) => run.store.readLog(run.id, key);
    assert.equal(logOf("left"), "left line 0\nleft line 1\nleft line 2\nleft done\n");
    assert.equal(logOf("right"), "right line 0\nright line 1\nright line 2\nright done\n");
    assert.equal(logOf("task"), "task says 7 { n: 7 }\ntask warns\n");
    assert.equal(logOf("cmd"), "out\nerr\n");
    assert.ok(seen.includes("left:stderr:left done\n"));
    assert.ok(seen.includes("task:stdout:task says 7 { n: 7 }\n"));
    assert.ok(seen.includes("cmd:stderr:err\n"));
    assert.equal(run.futureOf(flow.jobs[2])?.status, "fulfilled");
    const jobs = run.store.jobs(run.id);
    assert.equal(jobs.find((j) => j.key === "left")?.logFile, `${dir}/logs/1/left.log`);
    assert.equal(jobs.find((j) => j.key === "task")?.attempts, 1);
    run.store.close();
  });
});

Deno.test("logs: without onOutput, captured console output still reaches the console", async () => {
  await withStore(async (dir) => {
    // In a program of its own: the capture wraps the console once per process.
    const mod = new URL("../mod.ts", import.meta.url).href;
    const program = `import { Flow, job } from ${JSON.stringify(mod)};
      const flow = new Flow({ label: "echo", store: ${JSON.stringify(dir)} });
      flow.add(job(() => console.log("inside", 1)), { label: "speaker" });
      await flow.run();
      console.log("outside");`;
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", program],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assert.equal(code, 0);
    assert.equal(new TextDecoder().decode(stdout), "inside 1\noutside\n");
    const store = read(dir);
    try {
      assert.equal(store.readLog("1", "speaker"), "inside 1\n");
    } finally {
      store.close();
    }
  });
});

Deno.test("the store records a timeline and gives same-label jobs distinct keys", async () => {
  await withStore(async (dir) => {
    const same = (n: number) => n;
    const flow = new Flow({ label: "timeline", store: dir });
    const first = flow.add(job(same, 1), { label: "same" });
    flow.add(job(same, 2), { label: "same", requires: first });
    await flow.run();
    const store = read(dir);
    try {
      assert.deepEqual(store.jobs("1").map((j) => [j.key, j.requires]), [
        ["same", []],
        ["same#2", ["same"]],
      ]);
      assert.deepEqual(store.events("1").map((e) => [e.type, e.job]), [
        ["run-started", undefined],
        ["job-scheduled", "same"],
        ["job-started", "same"],
        ["job-done", "same"],
        ["job-scheduled", "same#2"],
        ["job-started", "same#2"],
        ["job-done", "same#2"],
        ["flow-done", undefined],
        ["run-ended", undefined],
      ]);
      assert.deepEqual(store.events("1", { after: 7 }).map((e) => e.seq), [8, 9]);
      const [run] = store.runs();
      assert.equal(run.workflow, "timeline");
      assert.equal(run.state, "ok");
      assert.match(run.listing!, /same#?/);
    } finally {
      store.close();
    }
  });
});

Deno.test("logs: a task's output event and a flow's job-output event feed the job's log", async () => {
  await withStore(async (dir) => {
    const scheduler = Scheduler.sequential();
    const remoteLike = scheduler.task(function remoteLike(n: number) {
      return n;
    });
    // What an executor that captures console output on the compute side emits, here as
    // the call is submitted (before the task job forwards its call's output).
    remoteLike.onSubmitted((future) => {
      remoteLike.emit("output", future, "from the worker\n", "stdout");
    });
    const flow = new Flow({ label: "events" });
    flow.add(job(remoteLike, 1), { label: "task" });
    const streamed = flow.add(command(["sh", "-c", "echo not-twice"]), { label: "cmd" });
    flow.onJobStarted((j) => {
      if (j === streamed) flow.emit(Flow.JOB_OUTPUT, j, "streamed\n", "stderr");
    });
    const run = DurableRun.open(flow, { store: dir });
    assert.equal(await run.run(), true);
    assert.equal(run.store.readLog(run.id, "task"), "from the worker\n");
    // A command's output comes from the stream only (not again from its result at its end).
    assert.equal(run.store.readLog(run.id, "cmd"), "streamed\nnot-twice\n");
    run.store.close();
  });
});

Deno.test("two flows in one process record into one store at once, never waiting on each other", async () => {
  await withStore(async (dir) => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const make = (label: string) => {
      const flow = new Flow({ label, store: dir });
      for (let i = 0; i < 20; i++) {
        flow.add(job(async (n: number) => (await sleep(1), n), i), { label: `j${i}` });
      }
      return flow;
    };
    const started = performance.now();
    assert.deepEqual(await Promise.all([make("a").run(), make("b").run()]), [true, true]);
    // Two connections holding a write between turns would wait out the 15 s busy timeout.
    assert.ok(performance.now() - started < 10_000);
    const store = read(dir);
    try {
      const runs = store.runs();
      assert.deepEqual(runs.map((r) => r.state), ["ok", "ok"]);
      for (const run of runs) assert.equal(run.counts.succeeded, 20);
    } finally {
      store.close();
    }
  });
});
