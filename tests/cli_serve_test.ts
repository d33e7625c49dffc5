/**
 * `baton serve [STORE]`: the monitor over the runs a run store recorded —
 * runs, their jobs with errors, timelines and logs — until Ctrl-C.
 */
import assert from "node:assert/strict";
import { cli, cliCommand, collect, FIXTURES, until } from "./cli_helpers.ts";

Deno.test("baton serve shows two recorded runs, a failed job's error and its log, then exits on Ctrl-C", async () => {
  const store = await Deno.makeTempDir({ prefix: "baton-serve-" });
  try {
    assert.equal((await cli(["run", `${FIXTURES}/fails.yaml`, "--store", store])).code, 1);
    assert.equal((await cli(["run", `${FIXTURES}/brief.yaml`, "--store", store])).code, 0);
    const child = cliCommand(["serve", store, "--port", "0"]).spawn();
    const out = { text: "" }, err = { text: "" };
    const reading = Promise.all([collect(child.stdout, out), collect(child.stderr, err)]);
    try {
      await until(() => /monitor: http:\/\/127\.0\.0\.1:\d+\//.test(out.text), "the URL");
      const url = /monitor: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out.text)![1];
      const runs = await (await fetch(new URL("api/runs", url))).json();
      assert.deepEqual(
        runs.map((r: { label: string; ok: boolean }) => [r.label, r.ok]),
        [["brief", true], ["fails", false]],
        "newest first",
      );
      const failed = runs[1].id;
      const jobs = await (await fetch(new URL(`api/runs/${failed}/jobs`, url))).json();
      const byLabel = Object.fromEntries(
        jobs.map((j: { label: string; state: string }) => [j.label, j]),
      );
      assert.equal(byLabel.ok.state, "done");
      assert.equal(byLabel.broken.state, "failed");
      assert.match(byLabel.broken.error, /CommandError/);
      assert.equal(byLabel.after.state, "waiting");
      const events = await (await fetch(new URL(`api/runs/${failed}/events`, url))).json();
      const types = events.map((e: { event: string }) => e.event);
      assert.ok(types.includes("job-failed"), `job-failed in ${types}`);
      const logs = await (await fetch(new URL(`api/runs/${failed}/logs/broken`, url))).json();
      assert.ok(
        JSON.stringify(logs).includes("broken"),
        `the job's stderr line in ${JSON.stringify(logs)}`,
      );
      const missing = await fetch(new URL("api/runs/999/jobs", url));
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
      child.kill("SIGINT");
      assert.equal((await child.status).code, 0);
      await reading;
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* already ended */ }
      await reading;
    }
  } finally {
    await Deno.remove(store, { recursive: true });
  }
});

Deno.test("baton serve on a missing store exits 2 before serving, naming it", async () => {
  const { code, stderr } = await cli(["serve", "/nonexistent/baton-store"]);
  assert.equal(code, 2);
  assert.match(stderr, /\/nonexistent\/baton-store/);
});
