/** Actions behind the token, past runs, and the safety rules on the new routes. */
import assert from "node:assert/strict";
import { Flow, job, monitor, type PastRun, Scheduler, serveMonitor } from "../mod.ts";
import { statusWithHost, waitFor } from "./monitor_helpers.ts";
import { twoRuns } from "./monitor_runs_fixture.ts";

const TOKEN = "s3cret-t0ken";
const auth = { Authorization: `Bearer ${TOKEN}` };

function post(app: ReturnType<typeof monitor>, path: string, headers: HeadersInit = auth) {
  return app.request(path, { method: "POST", headers });
}

Deno.test("cancel and retry of a future need the token; they cancel it and resubmit it through its task", async () => {
  const scheduler = Scheduler.sequential();
  const app = monitor(scheduler, { token: TOKEN });
  const gate = Promise.withResolvers<void>();
  const seen: number[] = [];
  const t = scheduler.task(async function t(i: number) {
    await gate.promise;
    if (i === 1) throw new Error("one fails");
    return i;
  });
  t.onSubmitted((_f, i) => seen.push(i));
  scheduler.onStart(() => {
    t.submit(0);
    t.submit(1);
    t.submit(2);
  });
  const run = scheduler.run({
    onException: "continue",
    onCancelled: "continue",
    endOnEmpty: false,
  });
  await waitFor(() => t.futures.size === 3, 5000, "three calls");
  const [f0, f1, f2] = [...t.futures];
  // Without the token, or with a wrong one: 401, nothing happens.
  const refused: HeadersInit[] = [
    {},
    { Authorization: "Bearer wrong" },
    { Authorization: `Bearer ${TOKEN}x` },
  ];
  for (const headers of refused) {
    const res = await post(app, `/api/futures/${f2.id}/cancel`, headers);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="baton monitor"');
  }
  // ?token= is not enough for an action (a cross-site form can send a URL, not a header).
  assert.equal(
    (await app.request(`/api/futures/${f2.id}/cancel?token=${TOKEN}`, { method: "POST" })).status,
    401,
  );
  assert.equal(f2.status, "pending");
  const cancel = await post(app, `/api/futures/${f2.id}/cancel`);
  assert.equal(cancel.status, 200);
  assert.deepEqual(await cancel.json(), { id: f2.id, cancelled: true, status: "cancelled" });
  assert.equal((await post(app, `/api/futures/${f2.id}/cancel`)).status, 409, "already cancelled");
  // Retry needs a finished call.
  assert.equal((await post(app, `/api/futures/${f0.id}/retry`)).status, 409);
  gate.resolve();
  await waitFor(() => f1.status === "rejected", 5000, "f1 fails");
  const retry = await post(app, `/api/futures/${f1.id}/retry`);
  assert.equal(retry.status, 200);
  const { retry: id } = await retry.json();
  assert.ok(id > f2.id);
  assert.deepEqual(seen, [0, 1, 2, 1], "the retry went through the task, with the same arguments");
  scheduler.stop();
  await run;
  const late = await post(app, `/api/futures/${f1.id}/retry`);
  assert.equal(late.status, 409);
  assert.match((await late.json()).error, /is not running/);
  assert.equal((await post(app, "/api/futures/424242/cancel")).status, 404);
});

Deno.test("a task job can be cancelled by its id; other jobs say why they cannot", async () => {
  const scheduler = Scheduler.sequential();
  const gate = Promise.withResolvers<void>();
  const slow = scheduler.task(async function slow() {
    await gate.promise;
  });
  const flow = new Flow({ label: "f", critical: false });
  const taskJob = flow.add(job(slow), { label: "slow call", critical: false });
  const fnJob = flow.add(job(async () => await gate.promise), { label: "waits", critical: false });
  const app = monitor(flow, { token: TOKEN });
  const run = flow.run();
  await waitFor(() => taskJob.state === "running" && slow.futures.size === 1, 5000, "job running");
  const jobs = (await (await app.request("/api/jobs")).json()).rows;
  assert.equal((await post(app, `/api/jobs/${jobs[0].id}/cancel`, {})).status, 401);
  const res = await post(app, `/api/jobs/${jobs[0].id}/cancel`);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).cancelled, true);
  await waitFor(() => taskJob.isDone(), 5000, "the job ends");
  assert.equal(taskJob.failed, true);
  const other = await post(app, `/api/jobs/${jobs[1].id}/cancel`);
  assert.equal(other.status, 409);
  assert.match((await other.json()).error, /stop the whole run instead/);
  gate.resolve();
  assert.equal(await run, true, "a non-critical job's failure does not fail the flow");
  assert.equal(fnJob.isDone(), true);
});

Deno.test("without a token there are no action routes at all", async () => {
  const app = monitor(Scheduler.sequential());
  for (
    const path of [
      "/api/stop",
      "/api/futures/1/cancel",
      "/api/futures/1/retry",
      "/api/jobs/1/cancel",
    ]
  ) {
    assert.equal((await app.request(path, { method: "POST", headers: auth })).status, 404, path);
  }
});

Deno.test("a RunSource is browsed read-only through /api/runs, with jobs, events and logs", async () => {
  const app = monitor([], { runs: twoRuns });
  const runs = await (await app.request("/api/runs")).json();
  assert.deepEqual(runs.map((r: PastRun) => r.id), ["r2", "r1"]);
  const jobs = await (await app.request("/api/runs/r2/jobs")).json();
  assert.equal(jobs[1].state, "failed");
  assert.equal((await (await app.request("/api/runs/r1/events")).json()).length, 1);
  const logs = await (await app.request("/api/runs/r2/logs/train?after=1")).json();
  assert.deepEqual(logs.map((l: { seq: number }) => l.seq), [2, 3, 4]);
  assert.equal(logs[2].truncated, true);
  assert.equal(logs[2].size, 5000);
  assert.equal(logs[2].text.length, 2000);
  const raw = await app.request("/api/runs/r2/logs/train?raw=1");
  assert.equal((await raw.text()).length, "epoch 1\nepoch 2\nepoch 3\n".length + 5001);
  assert.equal((await app.request("/api/runs/nope/jobs")).status, 404);
  assert.equal((await app.request("/api/runs/r1/logs/nope")).status, 200);
  assert.equal((await app.request("/api/runs/r2/logs/nope")).status, 404);
  // Nothing live is watched: status is empty, history too.
  const status = await (await app.request("/api/status")).json();
  assert.deepEqual([status.schedulers, status.flows], [[], []]);
  assert.deepEqual(await (await app.request("/api/history")).json(), []);
});

Deno.test("safety on the new routes: no CORS, foreign Host refused, reads behind protectReads, raw text never markup", async () => {
  const scheduler = Scheduler.sequential();
  const t = scheduler.task((s: string) => s);
  scheduler.onStart(() => t.submit("<script>alert(1)</script>"));
  const server = serveMonitor(scheduler, { token: TOKEN });
  await scheduler.run();
  try {
    const id = (await (await fetch(new URL("api/futures", server.url))).json()).rows[0].id;
    const routes = [
      "api/futures",
      `api/futures/${id}`,
      "api/jobs",
      "api/failures",
      "api/history",
      "api/timeline",
      "api/durations",
    ];
    for (const route of routes) {
      const res = await fetch(new URL(route, server.url), {
        headers: { Origin: "http://evil.example" },
      });
      await res.body?.cancel();
      assert.notEqual(res.status, 500, route);
      assert.equal(res.headers.get("access-control-allow-origin"), null, route);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", route);
      const port = new URL(server.url).port;
      assert.equal(await statusWithHost(server.url, route, `evil.example:${port}`), 403, route);
      assert.equal(await statusWithHost(server.url, route, `localhost:${port}`), 200, route);
    }
    const preflight = await fetch(new URL("api/stop", server.url), {
      method: "OPTIONS",
      headers: { Origin: "http://evil.example", "Access-Control-Request-Method": "POST" },
    });
    await preflight.body?.cancel();
    assert.equal(preflight.headers.get("access-control-allow-origin"), null);
    const raw = await fetch(new URL(`api/futures/${id}/raw/result`, server.url));
    assert.equal(raw.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.match(raw.headers.get("content-security-policy")!, /default-src 'none'; sandbox/);
    assert.equal(await raw.text(), "<script>alert(1)</script>");
  } finally {
    await server.shutdown();
  }
  const guarded = monitor(scheduler, { token: TOKEN, protectReads: true });
  for (
    const route of [
      "/api/futures",
      "/api/history",
      "/api/timeline",
      "/api/logs/raw?future=1",
      "/api/failures",
    ]
  ) {
    assert.equal((await guarded.request(route)).status, 401, route);
    assert.equal((await guarded.request(route, { headers: auth })).status === 401, false, route);
  }
});
