// baton run --resume, the run store commands, and the faults: through the CLI in subprocesses.
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  cli,
  cliCommand,
} from "./cli_helpers.ts";
import {
  countOf,
  integrity,
  makeReadOnly,
  project,
  STEPS,
  until,
  withStore,
} from "./cli_resume_helpers.ts";

const PIPELINE = `
name: pipeline
executor: sequential
jobs:
  download:
    module: steps.ts
    export: download
    args: [4]
  prepare:
    module: steps.ts
    export: prepare
    args: [{ from: download }]
  train:
    run: [sh, -c, "echo training; test -f fixed || { echo not fixed >&2; exit 3; }"]
    requires: prepare
  report:
    module: steps.ts
    export: report
    args: [{ from: prepare }]
    requires: train
`;

Deno.test("cli resume: fail halfway, fix, resume: only the rest runs, stored results feed it", async () => {
  const dir = await project({ "wf.yaml": PIPELINE, "steps.ts": STEPS });
  try {
    const first = await cli(["run", `${dir}/wf.yaml`]);
    assertEquals(first.code, 1, first.stderr);
    assertStringIncludes(first.stderr, "baton: run 1, logs in");
    assertStringIncludes(first.stdout, "train ! not fixed");
    assertStringIncludes(first.stdout, "download | downloading 4 items");
    assertStringIncludes(first.stderr, `--resume 1`);
    assertEquals([countOf(dir, "download"), countOf(dir, "prepare")], [1, 1]);

    await Deno.writeTextFile(`${dir}/fixed`, "");
    const second = await cli(["run", `${dir}/wf.yaml`, "--resume"]);
    assertEquals(second.code, 0, second.stderr);
    assertStringIncludes(second.stderr, "baton: run 2 (resumes run 1)");
    assertMatch(second.stdout, /skipped {3}download \(result of run 1\)/);
    assertMatch(second.stdout, /skipped {3}prepare \(result of run 1\)/);
    assertStringIncludes(second.stdout, "report | total is 10"); // from prepare's stored result
    assertMatch(second.stdout, /download => \[ 1, 2, 3, 4 \] \[skipped: from run 1\]/);
    assertEquals(
      [countOf(dir, "download"), countOf(dir, "prepare"), countOf(dir, "report")],
      [1, 1, 1],
    );

    const store = `${dir}/.baton`;
    const runs = await cli(["runs", "--store", store]);
    assertEquals(runs.code, 0, runs.stderr);
    const rows = runs.stdout.trimEnd().split("\n");
    assertMatch(rows[0], /^RUN +STARTED +TOOK +STATE +JOBS +WORKFLOW$/);
    assertMatch(rows[1], /^2 .* ok +4\/4 ok, 2 skipped .*wf\.yaml \(resumes 1\)$/);
    assertMatch(rows[2], /^1 .* failed +2\/4 ok, 1 failed .*wf\.yaml$/);

    const show = await cli(["show", "1", "--store", store]);
    assertEquals(show.code, 0, show.stderr);
    assertStringIncludes(show.stdout, "run 1: pipeline");
    assertStringIncludes(show.stdout, "why: a CRITICAL job has raised an exception");
    assertMatch(show.stdout, /train !! CRITICAL CommandError: command .* exited with code 3/);
    assertStringIncludes(show.stdout, "--- 1 job raised an exception\n* train (critical):");

    const logs = await cli(["logs", "1", "download", "--store", store]);
    assertEquals([logs.code, logs.stdout], [0, "downloading 4 items\n"]);
    const all = await cli(["logs", "latest", "--store", store]);
    assertEquals(all.stdout, "train | training\nreport | total is 10\n");
    const unknownJob = await cli(["logs", "1", "nope", "--store", store]);
    assertEquals(unknownJob.code, 2);
    assertStringIncludes(unknownJob.stderr, 'run 1 has no job "nope"; its jobs: download');
    // The commands read ./.baton by default.
    const here = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../cli.ts", import.meta.url).pathname, "runs"],
      cwd: dir,
      env: { NO_COLOR: "1" },
    }).output();
    assertMatch(new TextDecoder().decode(here.stdout), /\n2 .* ok /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli resume: after SIGKILL mid-job, --resume reruns only the unfinished jobs", async () => {
  const dir = await project({
    "steps.ts": STEPS,
    "wf.yaml": `
name: killed
executor: sequential
jobs:
  quick:
    module: steps.ts
    export: download
    args: [2]
  slow:
    module: steps.ts
    export: waitFor
    args: [go]
    requires: quick
  after:
    module: steps.ts
    export: report
    args: [{ from: quick }]
    requires: slow
`,
  });
  const store = `${dir}/.baton`;
  try {
    const child = cliCommand(["run", `${dir}/wf.yaml`]).spawn();
    const output = child.output();
    await until(
      () =>
        withStore(store, (s) => s.jobs("1").map((j) => j.state).join(",")) ===
          "succeeded,running,idle" &&
        countOf(dir, "go") === 1 &&
        // Its output reaches the log through the output events: wait for it too.
        withStore(store, (s) => s.readLog("1", "slow")) === "waiting for go\n",
      "quick done, slow running and its output logged",
    );
    child.kill("SIGKILL");
    const killed = await output;
    assertEquals(killed.signal, "SIGKILL");
    assertEquals(integrity(store), "ok");
    withStore(store, (s) => {
      assertEquals(s.run("1")?.state, "lost"); // its process is gone without an end
      assertEquals(s.readLog("1", "slow"), "waiting for go\n");
    });
    const show = await cli(["show", "1", "--store", store]);
    assertStringIncludes(show.stdout, "ended without recording an end (killed?)");
    assertMatch(show.stdout, /slow running/);

    await Deno.writeTextFile(`${dir}/go`, "");
    const resumed = await cli(["run", `${dir}/wf.yaml`, "--resume"]);
    assertEquals(resumed.code, 0, resumed.stderr);
    assertMatch(resumed.stdout, /skipped {3}quick/);
    assertEquals([countOf(dir, "download"), countOf(dir, "go"), countOf(dir, "report")], [1, 2, 1]);
    withStore(store, (s) => {
      assertEquals(s.jobs("2").map((j) => [j.key, j.state]), [
        ["quick", "skipped"],
        ["slow", "succeeded"],
        ["after", "succeeded"],
      ]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli resume: SIGKILL at arbitrary moments never corrupts the store; resume completes", async () => {
  // Six levels of four jobs, 40 ms each: a run takes a few hundred milliseconds.
  const jobs = Array.from(
    { length: 24 },
    (_, i) =>
      `  j${i}:\n    module: steps.ts\n    export: countedSlowly\n    args: [j${i}, 40]\n` +
      (i >= 4 ? `    requires: j${i - 4}\n` : ""),
  ).join("");
  const dir = await project({
    "steps.ts": STEPS,
    "wf.yaml": `name: many\nexecutor: sequential\njobs:\n${jobs}`,
  });
  const store = `${dir}/.baton`;
  try {
    const delays = [0, 50, 120, 200];
    for (const [i, delay] of delays.entries()) {
      const child = cliCommand(["run", `${dir}/wf.yaml`, "--resume"]).spawn();
      const output = child.output();
      await until(() => withStore(store, (s) => s.runs().length) === i + 1, `run ${i + 1}`);
      await new Promise((r) => setTimeout(r, delay));
      try {
        child.kill("SIGKILL");
      } catch { /* it finished already */ }
      await output;
      assertEquals(integrity(store), "ok");
    }
    const lost = withStore(store, (s) => s.runs().filter((r) => r.state === "lost").length);
    assert(lost >= 2, `only ${lost} of the kills hit a running run`);
    const last = await cli(["run", `${dir}/wf.yaml`, "--resume"]);
    assertEquals(last.code, 0, last.stderr);
    // A job recorded as succeeded was never run again: each succeeded once, in one run.
    const succeeded = withStore(
      store,
      (s) =>
        s.runs().flatMap((r) => s.jobs(r.id).filter((j) => j.state === "succeeded"))
          .map((j) => j.key),
    );
    assertEquals(succeeded.length, 24, `succeeded: ${succeeded}`);
    assertEquals(new Set(succeeded).size, 24);
    for (let i = 0; i < 24; i++) {
      const n = countOf(dir, `j${i}`);
      // Once, or more when a kill hit it between its end and its record.
      assert(n >= 1 && n <= delays.length + 1, `j${i} ran ${n} times`);
    }
    const final = withStore(store, (s) => s.jobs(s.runs()[0].id).map((j) => j.state));
    assert(final.every((state) => state === "succeeded" || state === "skipped"), String(final));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli resume: --resume with an unknown run exits 2 naming the known ones, running nothing", async () => {
  const dir = await project({
    "steps.ts": STEPS,
    "wf.yaml":
      "executor: sequential\njobs:\n  once:\n    module: steps.ts\n    export: counted\n    args: [once]\n",
  });
  try {
    assertEquals((await cli(["run", `${dir}/wf.yaml`])).code, 0);
    const bad = await cli(["run", `${dir}/wf.yaml`, "--resume", "42"]);
    assertEquals(bad.code, 2);
    assertStringIncludes(bad.stderr, 'baton: no run "42" in the run store; known runs: 1');
    assertEquals(countOf(dir, "once"), 1);
    const malformed = await cli(["run", `${dir}/wf.yaml`, "--resume=soon"]);
    assertEquals(malformed.code, 2);
    assertStringIncludes(malformed.stderr, "--resume takes a run id");
    const show = await cli(["show", "9", "--store", `${dir}/.baton`]);
    assertEquals(show.code, 2);
    assertStringIncludes(show.stderr, "known runs: 1");
    withStore(`${dir}/.baton`, (s) => assertEquals(s.runs().length, 1));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli resume: a missing, read-only or corrupt store is refused before any job runs", async () => {
  const dir = await project({
    "steps.ts": STEPS,
    "wf.yaml":
      "executor: sequential\njobs:\n  side:\n    module: steps.ts\n    export: counted\n    args: [side]\n",
  });
  try {
    const missing = await cli(["runs", "--store", `${dir}/nowhere`]);
    assertEquals(missing.code, 2);
    assertStringIncludes(missing.stderr, `no run store at ${dir}/nowhere`);
    const noParent = await cli(["run", `${dir}/wf.yaml`, "--store", `${dir}/a/b/.baton`]);
    assertEquals(noParent.code, 2);
    assertStringIncludes(noParent.stderr, "its parent directory does not exist");

    await Deno.mkdir(`${dir}/ro`);
    const undo = await makeReadOnly(`${dir}/ro`);
    if (undo) {
      try {
        const readOnly = await cli(["run", `${dir}/wf.yaml`, "--store", `${dir}/ro`]);
        assertEquals(readOnly.code, 2);
        assertStringIncludes(readOnly.stderr, `the run store ${dir}/ro is read-only`);
      } finally {
        await undo();
      }
    }

    await Deno.mkdir(`${dir}/.baton`);
    await Deno.writeTextFile(`${dir}/.baton/baton.db`, "garbage ".repeat(1000));
    const corrupt = await cli(["run", `${dir}/wf.yaml`]);
    assertEquals(corrupt.code, 2);
    assertStringIncludes(
      corrupt.stderr,
      `the run store database ${dir}/.baton/baton.db is corrupt`,
    );
    assertStringIncludes(
      corrupt.stderr,
      `mv ${dir}/.baton/baton.db ${dir}/.baton/baton.db.corrupt`,
    );
    assertEquals(countOf(dir, "side"), 0); // nothing ran
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli resume: cache: true reuses a stored success in a new run; --no-cache runs it", async () => {
  const dir = await project({
    "steps.ts": STEPS,
    "wf.yaml": `
executor: sequential
jobs:
  costly:
    module: steps.ts
    export: counted
    args: [costly]
    cache: true
  cheap:
    run: [echo, cheap]
    requires: costly
`,
  });
  try {
    assertEquals((await cli(["run", `${dir}/wf.yaml`])).code, 0);
    const again = await cli(["run", `${dir}/wf.yaml`]);
    assertEquals(again.code, 0, again.stderr);
    assertMatch(again.stdout, /cached {4}costly \(result of run 1\)/);
    assertStringIncludes(again.stdout, "cheap | cheap"); // not cached: it runs
    assertEquals(countOf(dir, "costly"), 1);
    const forced = await cli(["run", `${dir}/wf.yaml`, "--no-cache"]);
    assertEquals(forced.code, 0, forced.stderr);
    assertMatch(forced.stdout, /started {3}costly/);
    assertEquals(countOf(dir, "costly"), 2);
    const bad = await cli(["validate", await writeBadCache(dir)]);
    assertEquals(bad.code, 2);
    assertStringIncludes(bad.stderr, "jobs.x.cache must be true or false");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function writeBadCache(dir: string): Promise<string> {
  await Deno.writeTextFile(
    `${dir}/bad.yaml`,
    "jobs:\n  x:\n    run: echo\n    cache: yes please\n",
  );
  return `${dir}/bad.yaml`;
}

Deno.test("cli resume: a full disk for a log: the run goes on and says its logs are incomplete", async () => {
  const dir = await project({
    "steps.ts": STEPS,
    "wf.yaml": `
executor: sequential
jobs:
  noisy:
    module: steps.ts
    export: download
    args: [3]
  after:
    run: [echo, still running]
    requires: noisy
`,
  });
  try {
    await Deno.mkdir(`${dir}/.baton/logs/1`, { recursive: true });
    await Deno.symlink("/dev/full", `${dir}/.baton/logs/1/noisy.log`);
    const run = await cli(["run", `${dir}/wf.yaml`]);
    assertEquals(run.code, 0, run.stderr);
    assertStringIncludes(run.stderr, 'cannot write the log of job "noisy" (logs/1/noisy.log)');
    assertStringIncludes(run.stderr, "the run goes on, its logs are incomplete");
    assertStringIncludes(run.stderr, "the logs of run 1 are incomplete (output of noisy");
    assertStringIncludes(run.stdout, "noisy | downloading 3 items"); // the terminal still has it
    assertStringIncludes(run.stdout, "after | still running");
    withStore(`${dir}/.baton`, (s) => {
      assertEquals(s.run("1")?.logsIncomplete, true);
      assertEquals(s.readLog("1", "after"), "still running\n");
      assertEquals(s.jobs("1").map((j) => [j.key, j.logIncomplete]), [
        ["noisy", true],
        ["after", false],
      ]);
    });
    const show = await cli(["show", "1", "--store", `${dir}/.baton`]);
    assertStringIncludes(show.stdout, "logs: ");
    assertStringIncludes(show.stdout, "(incomplete)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli resume: baton logs --follow prints a run's output as it comes, until it ends", async () => {
  const dir = await project({
    "steps.ts": STEPS,
    "wf.yaml": `
executor: sequential
jobs:
  talk:
    module: steps.ts
    export: chatter
    args: [6, 150]
`,
  });
  const store = `${dir}/.baton`;
  try {
    const run = cliCommand(["run", `${dir}/wf.yaml`]).spawn();
    const running = run.output();
    await until(() => withStore(store, (s) => s.readLog("1", "talk").includes("line 1")), "output");
    const follow = await cli(["logs", "1", "--follow", "--store", store]);
    const done = await running;
    assertEquals(done.code, 0);
    assertEquals(follow.code, 0, follow.stderr);
    assertEquals(follow.stdout, [1, 2, 3, 4, 5, 6].map((i) => `talk | line ${i}\n`).join(""));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli resume: --json has log records and keeps results whole, never cut", async () => {
  const dir = await project({
    "steps.ts": STEPS,
    "wf.yaml": `
executor: sequential
jobs:
  long:
    module: steps.ts
    export: big
    args: [10000]
  odd:
    module: steps.ts
    export: aMap
  talk:
    module: steps.ts
    export: chatter
    args: [2, 1]
`,
  });
  try {
    const { code, stdout } = await cli(["run", `${dir}/wf.yaml`, "--json"]);
    assertEquals(code, 0);
    const events = stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    assertEquals(events[0].run, "1");
    const done = (job: string) => events.find((e) => e.event === "job-done" && e.job === job);
    assertEquals(done("long").result.length, 10000);
    assertEquals(done("odd").result, { $inspect: 'Map(1) { "a" => 1 }' });
    assertEquals(
      events.filter((e) => e.event === "log").map((e) => [e.job, e.stream, e.text]),
      [["talk", "stdout", "line 1"], ["talk", "stdout", "line 2"]],
    );
    assertEquals(events.at(-1).run, "1");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli resume: a module: call's output on workers is logged once", async () => {
  const dir = await project({
    "greet.ts":
      `export function greet(n: number) { console.log("hello", n); console.error("bye"); return n; }`,
    "wf.yaml": `
executor: workers
jobs:
  greet:
    module: greet.ts
    export: greet
    args: [2]
`,
  });
  const store = `${dir}/.baton`;
  try {
    const run = await cli(["run", `${dir}/wf.yaml`]);
    assertEquals(run.code, 0, run.stderr);
    // Forwarded by the job as job-output, and not logged again from the task's output event.
    await withStore(store, (s) => assertEquals(s.readLog("1", "greet"), "hello 2\nbye\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
