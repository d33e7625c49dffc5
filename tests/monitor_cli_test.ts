/**
 * Post-mortem: `baton run --monitor PORT` keeps serving the finished run
 * until Ctrl-C; `--monitor-exit` ends with the run. Both print the URL.
 */
import assert from "node:assert/strict";
import { cli, cliCommand, collect, FIXTURES, until } from "./cli_helpers.ts";

Deno.test("baton run --monitor keeps serving the finished run until Ctrl-C, then exits with the run's code", async () => {
  const child = cliCommand(["run", `${FIXTURES}/fails.yaml`, "--monitor", "0"]).spawn();
  const out = { text: "" }, err = { text: "" };
  const reading = Promise.all([collect(child.stdout, out), collect(child.stderr, err)]);
  try {
    await until(() => /monitor: http:\/\/127\.0\.0\.1:\d+\//.test(err.text), "the monitor URL");
    const url = /monitor: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(err.text)![1];
    await until(() => err.text.includes("still serving it on " + url), "the post-mortem notice");
    assert.match(out.text, /flow fails: a CRITICAL job has raised an exception/);
    // The run is over, and its monitor still answers: jobs, failure, output of the page.
    const jobs = await (await fetch(new URL("api/jobs", url))).json();
    assert.deepEqual(
      jobs.rows.map((j: { label: string; state: string }) => [j.label, j.state]),
      [["ok", "done"], ["broken", "failed"], ["after", "waiting"]],
    );
    const failures = await (await fetch(new URL("api/failures", url))).json();
    assert.equal(failures[0].name, "broken");
    const status = await (await fetch(new URL("api/status", url))).json();
    assert.equal(status.flows[0].running, false);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    await page.body?.cancel();
    child.kill("SIGINT");
    const { code } = await child.status;
    assert.equal(code, 1, "the run's exit code, not an interruption's");
    await reading;
    await assert.rejects(fetch(new URL("api/status", url)), "the server is gone");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already ended */ }
    await reading;
  }
});

Deno.test("baton run --monitor 0 --monitor-exit prints the URL and ends with the run", async () => {
  const { code, stderr, stdout } = await cli([
    "run",
    `${FIXTURES}/fails.yaml`,
    "--monitor",
    "0",
    "--monitor-exit",
  ]);
  assert.equal(code, 1);
  assert.match(stderr, /monitor: http:\/\/127\.0\.0\.1:\d+\//);
  assert.ok(!stderr.includes("still serving"));
  assert.match(stdout, /flow fails:/);
  const usage = await cli(["run", `${FIXTURES}/fails.yaml`, "--monitor-exit"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--monitor-exit goes with --monitor PORT/);
});
