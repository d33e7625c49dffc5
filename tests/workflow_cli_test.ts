// Workflow files through the command line: retries in every view, hostile files, units, messages.
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  cli,
  ROOT,
} from "./cli_helpers.ts";
import { check, flakyJob, withWorkflow, yaml } from "./workflow_helpers.ts";
import { prepareWorkflow } from "../src/cli/workflow/prepare.ts";
import { JOB_RETRY, type ModuleJob } from "../src/cli/workflow/jobs.ts";
import { CallClock } from "../src/cli/progress/calls.ts";
import type { Future } from "../src/scheduler/future.ts";
import { renderFrame } from "../src/cli/progress/tty.ts";
import { MAX_FILE_BYTES } from "../src/cli/workflow/parse.ts";

const COUNTER =
  '[sh, -c, "n=$(cat $F 2>/dev/null || echo 0); n=$((n+1)); echo $n > $F; test $n -ge 3"]';

Deno.test("cli retries: --json has a job-retry record per retry; the plain view a retry line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = (name: string) =>
      yaml(
        "jobs:",
        "  count:",
        `    run: ${COUNTER}`,
        `    env: { F: "${dir}/${name}" }`,
        "    retries: 2",
        "    backoff: { delay: 3ms, factor: 2, jitter: false }",
      );
    await withWorkflow(file("json"), async (path) => {
      const { code, stdout, stderr } = await cli(["run", path, "--json"]);
      assertEquals(code, 0, stderr);
      const events = stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
      const retries = events.filter((e) => e.event === "job-retry");
      assertEquals(retries.map((e) => [e.job, e.attempt, e.retries, e.delay, e.error.name]), [
        ["count", 1, 2, 3, "CommandError"],
        ["count", 2, 2, 6, "CommandError"],
      ]);
      assertEquals(events.filter((e) => e.job === "count").map((e) => e.event), [
        "job-started",
        "job-retry",
        "job-retry",
        "job-done",
      ]);
    });
    await withWorkflow(file("plain"), async (path) => {
      const { code, stdout } = await cli(["run", path]);
      assertEquals(code, 0);
      const lines = stdout.split("\n").filter((l) => / retry /.test(l));
      assertEquals(lines.length, 2, stdout);
      assertMatch(lines[0], /^\d\d:\d\d:\d\d\.\d{3} retry {5}count 1\/2 in 3ms: CommandError: /);
      assertMatch(lines[1], / retry {5}count 2\/2 in 6ms: /);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli retries: the live view shows retry 1/2 on a job that waits to retry", async () => {
  const key = crypto.randomUUID();
  await withWorkflow(
    yaml(
      "jobs:",
      ...flakyJob(key, 1, "retries: 2", "backoff: { delay: 1ms }"),
    ),
    async (path) => {
      const built = await prepareWorkflow(path, { executor: "sequential", workers: 1 });
      const context = { flow: built.flow, limits: built.limits, write: () => {} };
      // Also as a recorded run tells it: the job's latest call (the failed one, in the backoff).
      const job = built.flow.jobs[0] as ModuleJob;
      let latest: Future | undefined;
      job.task.onSubmitted((future) => latest = future);
      const calls = new CallClock((j) => j === job ? latest : undefined);
      const frames: string[] = [];
      built.flow.on(JOB_RETRY, () =>
        frames.push(
          renderFrame(context, 0, 100)[0],
          renderFrame(context, 0, 100, Infinity, calls)[0],
        ));
      assert(await built.flow.run());
      assertEquals(frames.length, 2);
      for (const frame of frames) assertMatch(frame, /^⠋ flaky +retry 1\/2 /);
      assertMatch(renderFrame(context, 0, 100)[0], /^✔ flaky +done /);
    },
  );
});

Deno.test("cli files: a billion-laughs file is refused with exit 2 at the alias, never a crash", async () => {
  const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (let i = 1; i < 9; i++) {
    const [name, prev] = [String.fromCharCode(97 + i), String.fromCharCode(96 + i)];
    levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
  }
  await withWorkflow(
    yaml(...levels, "jobs:", "  x:", "    run: echo", "    env: *i"),
    async (path) => {
      for (const command of ["validate", "run"]) {
        const { code, stderr, stdout } = await cli([command, path]);
        assertEquals(code, 2, stderr);
        assertStringIncludes(
          stderr,
          `${path}:7:8: YAML aliases expand this file beyond 1,000,000 values`,
        );
        assertEquals(stdout, "");
        assertEquals(stderr.includes("Uncaught"), false, stderr);
      }
    },
  );
});

Deno.test("cli files: a file over the size cap is refused before parsing, naming both sizes", async () => {
  const filler = "# " + "x".repeat(1000) + "\n";
  const text = "jobs:\n  a:\n    run: echo\n" +
    filler.repeat(Math.ceil(MAX_FILE_BYTES / filler.length));
  await withWorkflow(text, async (path) => {
    const { code, stderr } = await cli(["validate", path]);
    assertEquals(code, 2);
    assertStringIncludes(stderr, `${path}: the file is 4 MiB; workflow files may be at most 4 MiB`);
    assertStringIncludes(stderr, "use matrix:");
  });
});

Deno.test("cli files: durations and sizes need a unit; timeout is limits.wallTime", async () => {
  await withWorkflow(
    yaml(
      "timeout: 5", //               1
      "defaults:", //                2
      "  limits: { wallTime: 0 }", // 3 (0 needs no unit)
      "jobs:", //                    4
      "  a:", //                     5
      "    run: echo", //            6
      "    limits: { wallTime: 5, memory: 1024 }", // 7
      "  b:", //                     8
      "    run: echo", //            9
      '    timeout: "30"', //        10
      "  c:", //                     11
      "    run: echo", //            12
      "    timeout: 1s", //          13
      "    limits: { wallTime: 2s }", // 14
    ),
    async (path) => {
      const { code, stderr } = await cli(["validate", path]);
      assertEquals(code, 2);
      const lines = stderr.split("\n").filter((l) => l.startsWith(path)).map((l) =>
        l.slice(path.length + 1)
      );
      assertEquals(lines, [
        '1:10: timeout: 5 has no unit; write it with one: "5ms", "5s", "5m", "5h" (a bare number would mean milliseconds)',
        '7:25: jobs.a.limits.wallTime: 5 has no unit; write it with one: "5ms", "5s", "5m", "5h" (a bare number would mean milliseconds)',
        '7:36: jobs.a.limits.memory: 1024 has no unit; write it with one: "1024B", "1024KB", "1024MB", "1024GB" (a bare number would mean bytes)',
        '10:14: jobs.b.timeout: "30" has no unit; write it with one: "30ms", "30s", "30m", "30h" (a bare number would mean milliseconds)',
        '13:5: job "c" has both timeout and limits.wallTime, which mean the same; keep one',
      ]);
    },
  );
  await withWorkflow(
    yaml(
      "jobs:",
      "  a:",
      "    run: echo",
      "    timeout: 90s",
      "  sub:",
      "    flow: nested.yaml",
      "    timeout: 2m",
    ),
    async (path) => {
      const { spec } = await prepareWorkflow(path, { workers: 1 });
      const [a, sub] = spec.jobs;
      assertEquals(a.kind === "run" && a.limits, { wallTime: "90s" });
      assertEquals(sub.kind === "flow" && sub.workflow.timeout, 120_000);
    },
  );
});

Deno.test("cli files: duplicate keys are found at the duplicate; aliases may be used often", async () => {
  const jobs = Array.from({ length: 300 }, (_, i) => `  j${i}: { run: echo, env: *env }`);
  await withWorkflow(yaml("x-env: &env { A: 1 }", "jobs:", ...jobs), async (path) => {
    // The schema refuses the x-env key, but the 300 aliases themselves are fine.
    const { stderr } = await cli(["validate", path]);
    assertEquals(stderr.split("\n").filter((l) => l.startsWith(path)).length, 1, stderr);
    assertStringIncludes(stderr, 'unknown key "x-env"');
  });
  await withWorkflow(
    yaml(
      "jobs:",
      "  a:",
      "    run: echo",
      "    run: ls",
      "  a:",
      "    run: x",
      "  __proto__:",
      "    run: y",
    ),
    async (path) => {
      const { code, stderr } = await cli(["validate", path]);
      assertEquals(code, 2);
      assertStringIncludes(
        stderr,
        `${path}:4:5: duplicate key "run": a mapping may name each key once`,
      );
      assertStringIncludes(stderr, `${path}:5:3: duplicate key "a"`);
      assertEquals(stderr.split("\n").filter((l) => l.startsWith(path)).length, 2, stderr);
    },
  );
  // "__proto__" is a job like any other, not the prototype of the jobs mapping.
  await withWorkflow(
    yaml("jobs:", "  a: { run: echo }", "  __proto__: { run: echo, requires: a }"),
    async (path) => {
      const { code, stdout } = await cli(["list", path]);
      assertEquals(code, 0);
      assertStringIncludes(stdout, "__proto__ - requires {01}");
    },
  );
});

Deno.test("cli messages: no doubled baton prefix; the schema's $id is where JSR serves it", async () => {
  const r = await cli(["validate"]);
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /^baton validate needs exactly one workflow file, got none/);
  const unknown = await cli(["rnu"]);
  assertMatch(unknown.stderr, /^baton: unknown command "rnu"/);
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const schema = JSON.parse(await Deno.readTextFile(`${ROOT}/schema/workflow.schema.json`));
  const url = `https://jsr.io/${config.name}/${config.version}/schema/workflow.schema.json`;
  assertEquals(schema.$id, url);
  assert(config.publish.include.includes("schema/"), "the schema is published");
  assertStringIncludes(
    await Deno.readTextFile(`${ROOT}/docs/workflows.md`),
    `# yaml-language-server: $schema=${url}`,
  );
});

Deno.test("example sweep.yaml: 12 trainings, 4 at a time, the diverging one retried twice", async () => {
  const { code, stdout, stderr } = await cli(["run", "examples/workflows/sweep.yaml", "--json"]);
  assertEquals(code, 0, stderr);
  const events = stdout.trimEnd().split("\n").filter((l) => l.startsWith("{")).map((l) =>
    JSON.parse(l)
  );
  const done = events.filter((e) => e.event === "job-done").map((e) => e.job);
  assertEquals(done.filter((j: string) => j.startsWith("train[")).length, 11);
  assertEquals(done.at(-1), "table");
  const retries = events.filter((e) => e.event === "job-retry");
  assertEquals(retries.map((e) => [e.job, e.attempt, e.retries]), [
    ["train[lr=0.3,depth=16]", 1, 2],
    ["train[lr=0.3,depth=16]", 2, 2],
  ]);
  assertEquals(events.filter((e) => e.event === "job-failed").map((e) => e.job), [
    "train[lr=0.3,depth=16]",
  ]);
  let running = 0, most = 0;
  for (const e of events) {
    if (e.event === "job-started") most = Math.max(most, ++running);
    if (e.event === "job-done" || e.event === "job-failed") running--;
  }
  assertEquals(most, 4, "the window caps the trainings at 4");
  assertEquals(events.find((e) => e.job === "table" && e.event === "job-done").result, {
    lr: 0.1,
    depth: 8,
  });
});

Deno.test("cli files: a cycle through a 20,000-job chain is found, its middle left out of the message", async () => {
  // Correctness at size (timings are in bench/workflow.ts): no stack overflow, every job checked.
  const lines = ["jobs:"];
  for (let i = 0; i < 20_000; i++) {
    lines.push(`  j${i}:`, "    run: echo", `    requires: j${i === 0 ? 19_999 : i - 1}`);
  }
  const { lines: problems, spec } = await check(lines.join("\n"));
  assertEquals(problems, [
    "4:5: the requirements form a cycle: j0 → j1 → j2 → j3 → j4 → … 19991 more … → j19996 → " +
    "j19997 → j19998 → j19999 → j0; remove one of these requirements",
  ]);
  assertEquals(spec?.jobs.length, 20_000);
  assertEquals(spec?.jobs.at(-1)?.requires, ["j19998"]);
});

Deno.test("cli files: aliases to no anchor (or to their own container) and deep nesting", async () => {
  const cases: [string, string][] = [
    [
      yaml("jobs:", "  a:", "    run: echo", "    env: *nope"),
      "4:10: the alias *nope refers to no anchor &nope defined before it",
    ],
    [
      yaml("x: &a [*a]", "jobs: { b: { run: echo } }"),
      "1:8: the alias *a refers to no anchor &a defined before it",
    ],
    [
      yaml("jobs:", "  a:", "    module: m.ts", `    args: ${"[".repeat(70)}${"]".repeat(70)}`),
      "4:73: nesting deeper than 64 levels",
    ],
  ];
  for (const [text, expected] of cases) {
    const { lines } = await check(text);
    assertEquals(lines.length, 1, lines.join("\n"));
    assertStringIncludes(lines[0], expected);
  }
});
