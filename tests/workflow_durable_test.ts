// Workflow features in the run store: matrix job ids as store keys and log files, retried jobs'
// attempts and the output of every attempt (the CLI in subprocesses, in a temporary project).
import { assert, assertEquals, assertMatch, cli } from "./cli_helpers.ts";
import { project, withStore } from "./cli_resume_helpers.ts";

const STEPS = `
const here = new URL(".", import.meta.url).pathname;
export function train(lr: number, name: string) {
  console.log("training", lr, name);
  return lr * 10;
}
/** Fails its first \`failures\` calls (counted in a file), printing which call it is. */
export function flaky(failures: number) {
  const file = here + "count-flaky";
  let n = 0;
  try { n = Number(Deno.readTextFileSync(file)); } catch { /* first call */ }
  Deno.writeTextFileSync(file, String(++n));
  console.log("call", n);
  if (n <= failures) throw new Error("call " + n + " fails");
  return n;
}
`;

/** A shell command that fails until its third run, printing which run it is. */
const COUNTER =
  '[sh, -c, "n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo attempt $n; test $n -ge 3"]';

Deno.test("workflow store: a matrix job's log is read back by its id, quotes and brackets included", async () => {
  const dir = await project({
    "steps.ts": STEPS,
    "wf.yaml": [
      "jobs:",
      "  train:",
      "    module: steps.ts",
      "    export: train",
      "    matrix:",
      "      lr: [0.1, 0.2]",
      `      name: [plain, "a b", 'q"x']`,
      "    args: [{ matrix: lr }, { matrix: name }]",
    ].join("\n"),
  });
  try {
    const { code, stdout, stderr } = await cli(["run", `${dir}/wf.yaml`, "--json"]);
    assertEquals(code, 0, stderr);
    const logs = stdout.trimEnd().split("\n").map((l) => JSON.parse(l))
      .filter((e) => e.event === "log").map((e) => [e.job, e.text]);
    assertEquals(logs.length, 6);
    assert(
      logs.some(([job, text]) =>
        job === 'train[lr=0.2,name="q\\"x"]' && text === 'training 0.2 q"x'
      ),
    );
    const store = `${dir}/.baton`;
    const keys = withStore(store, (s) => s.jobs("1").map((j) => [j.key, j.state]));
    assertEquals(keys, [
      ["train[lr=0.1,name=plain]", "succeeded"],
      ['train[lr=0.1,name="a b"]', "succeeded"],
      ['train[lr=0.1,name="q\\"x"]', "succeeded"],
      ["train[lr=0.2,name=plain]", "succeeded"],
      ['train[lr=0.2,name="a b"]', "succeeded"],
      ['train[lr=0.2,name="q\\"x"]', "succeeded"],
    ]);
    for (
      const [id, text] of [
        ["train[lr=0.1,name=plain]", "training 0.1 plain\n"],
        ['train[lr=0.2,name="a b"]', "training 0.2 a b\n"],
        ['train[lr=0.1,name="q\\"x"]', 'training 0.1 q"x\n'],
      ]
    ) {
      const read = await cli(["logs", "1", id, "--store", store]);
      assertEquals([read.code, read.stdout], [0, text], read.stderr);
    }
    const all = await cli(["logs", "1", "--store", store]);
    assertEquals(all.code, 0, all.stderr);
    assert(all.stdout.includes('train[lr=0.2,name="q\\"x"] | training 0.2 q"x\n'), all.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("workflow store: a retried run job has its attempts counted and every attempt's output logged", async () => {
  const dir = await project({
    "wf.yaml": [
      "jobs:",
      "  count:",
      `    run: ${COUNTER}`,
      "    retries: 2",
      "    backoff: { delay: 1ms, jitter: false }",
    ].join("\n"),
  });
  try {
    const { code, stdout, stderr } = await cli(["run", `${dir}/wf.yaml`]);
    assertEquals(code, 0, stderr);
    // The plain view: each failed attempt's output, then its retry line.
    const lines = stdout.split("\n").filter((l) => /^[\d:.]{12} (count \||retry|done) /.test(l))
      .map((l) => l.slice(13));
    assertEquals(lines.length, 6, stdout);
    assertEquals(lines[0], "count | attempt 1");
    assertMatch(lines[1], /^retry {5}count 1\/2 in 1ms: CommandError: /);
    assertEquals(lines[2], "count | attempt 2");
    assertMatch(lines[3], /^retry {5}count 2\/2 in 2ms: /);
    assertEquals(lines[4], "count | attempt 3");
    assertMatch(lines[5], /^done {6}count in /);
    const store = `${dir}/.baton`;
    const row = withStore(store, (s) => s.jobs("1").map((j) => [j.key, j.state, j.attempts]));
    assertEquals(row, [["count", "succeeded", 3]]);
    const log = await cli(["logs", "1", "count", "--store", store]);
    assertEquals(log.stdout, "attempt 1\nattempt 2\nattempt 3\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("workflow store: a retried module job's attempts are counted; --json's end record has them", async () => {
  const dir = await project({
    "steps.ts": STEPS,
    "wf.yaml": [
      "executor: sequential # in the main thread: the counter file's path is the module's",
      "jobs:",
      "  flaky:",
      "    module: steps.ts",
      "    export: flaky",
      "    args: 2",
      "    retries: 3",
      "    backoff: { delay: 1ms, jitter: false }",
    ].join("\n"),
  });
  try {
    const { code, stdout, stderr } = await cli(["run", `${dir}/wf.yaml`, "--json"]);
    assertEquals(code, 0, stderr);
    const events = stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    assertEquals(
      events.filter((e) => e.job === "flaky").map((e) => e.event === "log" ? e.text : e.event),
      ["job-started", "call 1", "job-retry", "call 2", "job-retry", "call 3", "job-done"],
    );
    const end = events.at(-1);
    assertEquals(end.event, "end");
    assertEquals(end.jobs.map((j: { job: string; attempts: number }) => [j.job, j.attempts]), [
      ["flaky", 3],
    ]);
    const row = withStore(`${dir}/.baton`, (s) => s.jobs("1").map((j) => [j.state, j.attempts]));
    assertEquals(row, [["succeeded", 3]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("workflow store: --resume reruns a module job whose with: changed", async () => {
  const dir = await project({
    "steps.ts": "export function pick(o: { a: number }) { return o.a; }\n",
    "wf.yaml": "jobs:\n  pick:\n    module: steps.ts\n    export: pick\n    with: { a: 1 }\n",
  });
  try {
    const file = `${dir}/wf.yaml`;
    const first = await cli(["run", file, "--json"]);
    assertEquals(first.code, 0, first.stderr);
    const again = await cli(["run", file, "--json", "--resume"]);
    assertEquals(again.stdout.includes('"event":"job-skipped"'), true, again.stdout);
    await Deno.writeTextFile(file, (await Deno.readTextFile(file)).replace("a: 1", "a: 2"));
    const changed = await cli(["run", file, "--json", "--resume"]);
    const done = changed.stdout.trimEnd().split("\n").map((l) => JSON.parse(l))
      .filter((e) => e.event === "job-done" || e.event === "job-skipped");
    assertEquals(done.map((e) => [e.event, e.result]), [["job-done", 2]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
