// Two runs at once on one store, in two real processes: both recorded whole, nothing corrupted.
import { assert, assertEquals, cli } from "./cli_helpers.ts";
import { integrity, project, STEPS, withStore } from "./cli_resume_helpers.ts";

function workflow(name: string, jobs: number): string {
  const body = Array.from(
    { length: jobs },
    (_, i) =>
      `  j${i}:\n    module: steps.ts\n    export: chatter\n    args: [3, 20]\n` +
      (i >= 3 ? `    requires: j${i - 3}\n` : ""),
  ).join("");
  return `name: ${name}\nexecutor: sequential\njobs:\n${body}`;
}

Deno.test("store: two runs at once on one store, in two processes, are both recorded whole", async () => {
  const dir = await project({
    "steps.ts": STEPS,
    "left.yaml": workflow("left", 30),
    "right.yaml": workflow("right", 30),
  });
  const store = `${dir}/shared`;
  try {
    const [left, right] = await Promise.all([
      cli(["run", `${dir}/left.yaml`, "--store", store]),
      cli(["run", `${dir}/right.yaml`, "--store", store]),
    ]);
    assertEquals([left.code, right.code], [0, 0], left.stderr + right.stderr);
    assertEquals(integrity(store), "ok");
    withStore(store, (s) => {
      const runs = s.runs();
      assertEquals(runs.map((r) => r.state), ["ok", "ok"]);
      assertEquals(runs.map((r) => r.label).sort(), ["left", "right"]);
      for (const run of runs) {
        const jobs = s.jobs(run.id);
        assertEquals(jobs.length, 30);
        assert(jobs.every((j) => j.state === "succeeded"), run.label);
        // Each run's timeline is whole and in order: 1..n, with every job's start and end.
        const events = s.events(run.id);
        assertEquals(events.map((e) => e.seq), events.map((_, i) => i + 1));
        assertEquals(events.filter((e) => e.type === "job-done").length, 30);
        for (const job of jobs) {
          assertEquals(s.readLog(run.id, job.key), "line 1\nline 2\nline 3\n");
        }
      }
      assert(runs[0].id !== runs[1].id);
      const [a, b] = runs;
      assert(a.startedAt < b.endedAt! && b.startedAt < a.endedAt!, "the runs did not overlap");
    });
    // And a third run reading the cache of both while recording its own.
    const again = await cli(["run", `${dir}/left.yaml`, "--store", store, "--resume"]);
    assertEquals(again.code, 0, again.stderr);
    withStore(store, (s) => assertEquals(s.runs()[0].counts.skipped, 30));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
