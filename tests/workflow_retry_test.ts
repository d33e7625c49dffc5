// retries: with backoff: attempt counts and order from the job-retry events (delays short and
// without jitter, so they are asserted exactly, never by the clock).
import { assert, assertEquals, assertStringIncludes } from "./cli_helpers.ts";
import { check, flakyJob, runWorkflow, withWorkflow, yaml } from "./workflow_helpers.ts";
import { monitor } from "../src/monitor/mod.ts";
import { prepareWorkflow } from "../src/cli/workflow/prepare.ts";
import { isRetrying } from "../src/cli/workflow/jobs.ts";
import { WallTimeLimitError } from "../src/executors/errors.ts";
import type { Job } from "../src/flow/job.ts";

const byLabel = (jobs: readonly Job[], label: string) => jobs.find((j) => j.label === label)!;

Deno.test("retries: a module job is retried after each failure, with the backoff's delays", async () => {
  const key = crypto.randomUUID();
  const { ok, built, events } = await runWorkflow(yaml(
    "jobs:",
    ...flakyJob(key, 2, "retries: 3", "backoff: { delay: 5ms, factor: 3, jitter: false }"),
  ));
  assert(ok);
  const job = byLabel(built.flow.jobs, "flaky");
  assertEquals(job.result, { key, calls: 3 });
  assert(isRetrying(job));
  assertEquals([job.retry.attempts, job.retry.retried, job.retry.retries], [3, 2, 3]);
  const seen = events.filter(([e]) => e !== "job-scheduled").map(([event, label, ...rest]) =>
    event === "job-retry"
      ? [event, label, (rest[0] as Error).message, rest[1], rest[2]]
      : [event, label]
  );
  assertEquals(seen, [
    ["job-started", "flaky"],
    ["job-retry", "flaky", `call 1 of ${key} fails`, 1, 5],
    ["job-retry", "flaky", `call 2 of ${key} fails`, 2, 15],
    ["job-done", "flaky"],
    ["flow-done", "true"],
  ]);
});

Deno.test("retries: used up, the job fails with the last error; a later job does not start", async () => {
  const key = crypto.randomUUID();
  const { ok, built, events, error } = await runWorkflow(yaml(
    "jobs:",
    ...flakyJob(key, 5, "retries: 2", "backoff: { delay: 1ms, jitter: false }"),
    "  after:",
    "    run: echo after",
    "    requires: flaky",
  ));
  assertEquals(ok, false);
  assertStringIncludes(String(error), `call 3 of ${key} fails`);
  const job = byLabel(built.flow.jobs, "flaky");
  assert(isRetrying(job));
  assertEquals([job.retry.attempts, job.retry.retried], [3, 2]);
  assertEquals(events.filter(([e]) => e === "job-retry").map(([, , , n, d]) => [n, d]), [
    [1, 1],
    [2, 2],
  ]);
  assertEquals(byLabel(built.flow.jobs, "after").state, "idle");
});

Deno.test("retries: a run job starts a new process per attempt; defaults apply to every job", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { ok, built, events } = await runWorkflow(yaml(
      "defaults:",
      "  retries: 2",
      "  backoff: { delay: 2ms, jitter: false }",
      "jobs:",
      "  count:",
      '    run: [sh, -c, "n=$(cat $F 2>/dev/null || echo 0); n=$((n+1)); echo $n > $F; test $n -ge 3"]',
      `    env: { F: "${dir}/count" }`,
    ));
    assert(ok);
    assertEquals((await Deno.readTextFile(`${dir}/count`)).trim(), "3");
    const job = byLabel(built.flow.jobs, "count");
    assert(isRetrying(job));
    assertEquals(job.retry.attempts, 3);
    assertEquals(events.filter(([e]) => e === "job-retry").map(([, , , n, d]) => [n, d]), [
      [1, 2],
      [2, 4],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retries: a limit error is not retried (it would hit the limit again)", async () => {
  const { built, events, error } = await runWorkflow(yaml(
    "jobs:",
    "  slow:",
    "    module: modules/flaky.ts",
    "    export: nap",
    "    args: [10000]",
    "    timeout: 50ms",
    "    retries: 2",
  ));
  assert(error instanceof WallTimeLimitError, String(error));
  const job = byLabel(built.flow.jobs, "slow");
  assert(isRetrying(job));
  assertEquals(job.retry.attempts, 1);
  assertEquals(events.filter(([e]) => e === "job-retry"), []);
});

Deno.test("retries: a job cancelled while it waits to retry stops waiting at once", async () => {
  const key = crypto.randomUUID();
  const started = performance.now();
  const { ok, built, events } = await runWorkflow(yaml(
    "timeout: 300ms",
    "jobs:",
    ...flakyJob(
      key,
      1,
      "retries: 1",
      "backoff: { delay: 1h, maxDelay: 2h, jitter: false }",
      "critical: false",
    ),
  ));
  assertEquals(ok, false);
  assert(performance.now() - started < 30_000, "the backoff kept the flow waiting");
  const job = byLabel(built.flow.jobs, "flaky");
  assert(job.cancelled);
  assert(isRetrying(job));
  assertEquals(job.retry.attempts, 1);
  assertEquals(events.filter(([e]) => e === "job-retry").map(([, , , n, d]) => [n, d]), [
    [1, 3_600_000],
  ]);
});

Deno.test("retries: backoff without retries and bad backoff values are refused at their line", async () => {
  const { lines } = await check(yaml(
    "jobs:",
    "  a:",
    "    run: echo",
    "    backoff: { delay: 1s }",
    "  b:",
    "    run: echo",
    "    retries: 1",
    "    backoff: { delay: 5, factor: 0.5, jiter: true }",
  ));
  assertEquals(lines, [
    '4:5: job "a": backoff has no effect without retries; add retries: <n> (or remove backoff)',
    '8:23: jobs.b.backoff.delay: 5 has no unit; write it with one: "5ms", "5s", "5m", "5h" (a bare number would mean milliseconds)',
    "8:34: jobs.b.backoff.factor must be at least 1, got 0.5",
    '8:39: unknown key "jiter" in jobs.b.backoff (did you mean "jitter"?); accepted: delay, factor, maxDelay, jitter',
  ]);
});

Deno.test("retries: the monitor streams job-retry like every flow event", async () => {
  const key = crypto.randomUUID();
  await withWorkflow(
    yaml(
      "jobs:",
      ...flakyJob(key, 1, "retries: 1", "backoff: { delay: 1ms }"),
    ),
    async (path) => {
      const built = await prepareWorkflow(path, { executor: "sequential", workers: 1 });
      const stop = new AbortController();
      const app = monitor(built.flow, { signal: stop.signal });
      assert(await built.flow.run());
      const response = await app.request("/api/events?after=0");
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes('"job-done"')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      await reader.cancel();
      stop.abort();
      const flowEvents = [...text.matchAll(/^data: (.+)$/gm)]
        .map((m) => JSON.parse(m[1]))
        .filter((e) => e.source === "flow" && /^job-(started|retry|done)$/.test(e.event));
      assertEquals(flowEvents.map((e) => [e.event, e.jobLabel]), [
        ["job-started", "flaky"],
        ["job-retry", "flaky"],
        ["job-done", "flaky"],
      ]);
      // The error, the attempt that failed, and the delay.
      assertStringIncludes(flowEvents[1].detail, `Error: call 1 of ${key} fails, 1, `);
    },
  );
});
