// command() jobs as process groups (no orphans, no waits on inherited pipes) and their
// output streamed as job-output while they run.
import assert from "node:assert/strict";
import { command, Flow, Job, job, Scheduler, WallTimeLimitError } from "../mod.ts";
import { jobInternals } from "../src/flow/job.ts";
import { cliCommand } from "./cli_helpers.ts";
import { liveProcesses, sleep, timed, uniqueSleep, waitGone, waitStarted } from "./flow_helpers.ts";

Deno.test("command: a wall-time limit kills the whole group, grandchildren included, on time", async () => {
  const tag = uniqueSleep();
  const j = command(["sh", "-c", `sleep ${tag}; echo never`], { limits: { wallTime: "1s" } });
  const [ok, ms] = await timed(() => new Flow(j, { critical: false }).run());
  assert.equal(ok, false);
  assert.ok(j.error instanceof WallTimeLimitError, String(j.error));
  assert.equal(j.error.limit, 1000);
  assert.match(j.error.message, /wall-time limit of 1s reached after 1\.\d+s/);
  // About 1 s, never the 40+ s of the grandchild's sleep.
  assert.ok(ms >= 950 && ms < 4000, `took ${ms}ms`);
  assert.deepEqual(await waitGone(tag), []);
});

Deno.test("command: cancelled by the flow's timeout, no process of its group is left", async () => {
  const tag = uniqueSleep();
  const j = command(["sh", "-c", `sleep ${tag} & sleep ${tag}; wait`]);
  const [ok, ms] = await timed(() => new Flow(j, { timeout: 300, critical: false }).run());
  assert.equal(ok, false);
  assert.equal(j.cancelled, true);
  assert.ok(ms < 3000, `took ${ms}ms`);
  assert.deepEqual(await waitGone(tag), []);
});

Deno.test("command: a forever command job does not delay the end of the flow", async () => {
  const tag = uniqueSleep();
  const flow = new Flow();
  const finite = flow.add(job(sleep, 100));
  const forever = flow.add(command(["sh", "-c", `sleep ${tag} & sleep ${tag}; wait`]), {
    forever: true,
  });
  const [ok, ms] = await timed(() => flow.run());
  assert.equal(ok, true);
  assert.equal(finite.isDone(), true);
  assert.equal(forever.cancelled, true);
  assert.ok(ms < 3000, `took ${ms}ms`);
  assert.deepEqual(await waitGone(tag), []);
});

Deno.test("command: once its process exits, what it left in the background goes too", async () => {
  const tag = uniqueSleep();
  const j = command(["sh", "-c", `sleep ${tag} & echo started`]);
  const [ok, ms] = await timed(() => new Flow(j).run());
  assert.equal(ok, true);
  assert.deepEqual(j.result, { code: 0, stdout: "started\n", stderr: "" });
  assert.ok(ms < 3000, `took ${ms}ms (waited for the background sleep's pipes?)`);
  assert.deepEqual(await waitGone(tag), []);
});

Deno.test("command: a process that left the group and holds the pipes is not waited for", async () => {
  const tag = uniqueSleep();
  // setsid puts the sleep in a session of its own: out of reach, holding stdout.
  const j = command(["sh", "-c", `setsid sleep ${tag} & echo hi`]);
  try {
    const [ok, ms] = await timed(() => new Flow(j).run());
    assert.equal(ok, true);
    assert.equal(j.result?.stdout, "hi\n");
    assert.ok(ms < 3000, `took ${ms}ms`);
  } finally {
    for (const line of liveProcesses(tag)) Deno.kill(Number(line.split(":")[0]), "SIGKILL");
  }
});

Deno.test("command: the exit status and signal are the command's own", async () => {
  const code = command(["sh", "-c", "exit 7"]);
  const killed = command(["sh", "-c", "kill -TERM $$"]);
  const flow = new Flow({ critical: false });
  flow.add(code, { critical: false });
  flow.add(killed, { critical: false });
  assert.equal(await flow.run(), true);
  assert.match(String(code.error), /exited with code 7/);
  assert.match(String(killed.error), /was killed by SIGTERM/);
});

Deno.test("command: output streams as job-output while the command runs", async () => {
  const j = command([
    "sh",
    "-c",
    "echo one; sleep 0.4; echo two >&2; sleep 0.4; printf 'thr'; printf 'ee'",
  ]);
  const flow = new Flow(j);
  const seen: { text: string; stream: string; at: number; job: Job }[] = [];
  const t0 = performance.now();
  flow.onJobOutput((from, text, stream) =>
    seen.push({ job: from, text, stream, at: performance.now() - t0 })
  );
  let doneAt = 0;
  flow.onJobDone(() => doneAt = performance.now() - t0);
  assert.equal(await flow.run(), true);
  assert.ok(seen.every((s) => s.job === j));
  assert.equal(seen.filter((s) => s.stream === "stdout").map((s) => s.text).join(""), "one\nthree");
  assert.deepEqual(seen.filter((s) => s.stream === "stderr").map((s) => s.text), ["two\n"]);
  // The first line came while the command still ran, not at the end.
  assert.equal(seen[0].text, "one\n");
  assert.ok(seen[0].at < doneAt - 400, `first output at ${seen[0].at}ms, done at ${doneAt}ms`);
  // The result keeps everything, as before.
  assert.deepEqual(j.result, { code: 0, stdout: "one\nthree", stderr: "two\n" });
});

Deno.test("job-output: nested flows forward to their outer flows; function jobs can write too", async () => {
  const cmd = command(["sh", "-c", "echo from-command"]);
  const fn = job(function (this: { output?: (text: string) => void }) {
    this.output?.("from-function\n");
  });
  const inner = new Flow(cmd, fn, { label: "inner" });
  const outer = new Flow(inner, { label: "outer" });
  const atInner: string[] = [], atOuter: string[] = [];
  inner.onJobOutput((j, text) => atInner.push(`${j === cmd ? "cmd" : "fn"} ${text}`));
  outer.onJobOutput((j, text, stream) =>
    atOuter.push(`${j === cmd ? "cmd" : "fn"} ${stream} ${text}`)
  );
  assert.equal(await outer.run(), true);
  assert.deepEqual(atInner.sort(), ["cmd from-command\n", "fn from-function\n"]);
  assert.deepEqual(atOuter.sort(), ["cmd stdout from-command\n", "fn stdout from-function\n"]);
});

const SCHEDULERS = {
  sequential: () => Scheduler.sequential({ echo: false }),
  workers: () => Scheduler.withWorkers(1, { echo: false }),
};
for (const [kind, make] of Object.entries(SCHEDULERS)) {
  Deno.test(`job-output: a task job forwards what its call writes (task event output), ${kind}`, async () => {
    const scheduler = make();
    const task = scheduler.task(function shout(n: number) {
      console.error(`call ${n}`);
      return n + 1;
    });
    const a = job(task, 1);
    const b = job(task, 2).requires(a);
    const flow = new Flow(a, b);
    const seen: string[] = [];
    flow.onJobOutput((j, text, stream) => seen.push(`${j === a ? "a" : "b"} ${stream} ${text}`));
    assert.equal(await flow.run(), true);
    // The first call too: the job listens to its task before it submits.
    assert.deepEqual(seen, ["a stderr call 1\n", "b stderr call 2\n"]);
    // Once the calls settled, the task has no handler left from the flow.
    assert.equal(task.handlers("output").length, 0);
  });
}

Deno.test("command: a baton process that dies takes its command groups with it", async () => {
  const tag = uniqueSleep();
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/flow.ts`;
    const mod = new URL("../mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { command, Flow } from "${mod}";\n` +
        `await new Flow(command(["sh", "-c", "sleep ${tag} & sleep ${tag}; wait"])).run();\n`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitStarted(`sleep ${tag}`);
    child.kill("SIGKILL");
    await child.status;
    assert.deepEqual(await waitGone(tag), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("baton run: the first Ctrl-C ends a run: job with a grandchild, leaving no orphan", async () => {
  const tag = uniqueSleep();
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/grandchild.yaml`;
    await Deno.writeTextFile(
      file,
      [
        "name: grandchild",
        "jobs:",
        "  holder:",
        `    run: [sh, -c, "sleep ${tag} & sleep ${tag}; wait"]`,
        "",
      ].join("\n"),
    );
    const child = cliCommand(["run", file]).spawn();
    const output = child.output();
    await waitStarted(`sleep ${tag}`);
    const t0 = performance.now();
    child.kill("SIGINT");
    const { code, stderr } = await output;
    const ms = performance.now() - t0;
    assert.equal(code, 130, new TextDecoder().decode(stderr));
    assert.ok(ms < 5000, `exited ${ms}ms after Ctrl-C`);
    assert.deepEqual(await waitGone(tag), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("job-output: a job that runs a command for itself can have its output as its own", async () => {
  // Like a workflow `run:` job: a fresh command per attempt, run by the job itself.
  class Attempting extends Job<unknown> {
    protected execute(signal: AbortSignal): Promise<unknown> {
      const attempt = command(["sh", "-c", "echo attempt"]);
      jobInternals.forwardOutput(attempt, this);
      return jobInternals.execute(attempt, signal);
    }
  }
  const outer = new Attempting("outer");
  const flow = new Flow(outer);
  const seen: string[] = [];
  flow.onJobOutput((j, text) => seen.push(`${j === outer ? "outer" : j.label}: ${text}`));
  assert.equal(await flow.run(), true);
  assert.deepEqual(seen, ["outer: attempt\n"]);
});
