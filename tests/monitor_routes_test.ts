import assert from "node:assert/strict";
import {
  Flow,
  job,
  Limiter,
  monitor,
  type MonitorStatus,
  Scheduler,
  serveMonitor,
} from "../mod.ts";
import { parsePrometheus, waitFor } from "./monitor_helpers.ts";

function collatz(n: number): number {
  return n % 2 === 0 ? n / 2 : 3 * n + 1;
}

async function status(app: ReturnType<typeof monitor>): Promise<MonitorStatus> {
  const res = await app.request("/api/status");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  return await res.json();
}

Deno.test("GET /api/status shows a running scheduler, its task, plugins, limits and futures", async () => {
  const scheduler = Scheduler.sequential({ name: "search" });
  const app = monitor(scheduler);
  const gate = Promise.withResolvers<void>();
  const task = scheduler.task(async function slow(x: number) {
    await gate.promise;
    return x * 2;
  }, { plugins: [new Limiter({ maxCalls: 5 })], limits: { wallTime: "5s" } });
  scheduler.onStart(() => task.submit(21));
  const run = scheduler.run({ timeout: "20s" });
  await waitFor(() => task.nRunning === 1, 5000, "task submitted");
  const during = await status(app);
  assert.equal(during.schedulers.length, 1);
  const s = during.schedulers[0];
  assert.equal(s.name, "search");
  assert.equal(s.running, true);
  assert.equal(s.exit, null);
  assert.equal(s.executor.kind, "sequential");
  assert.equal(s.queueSize, 1);
  assert.equal(s.eventCounts["future-submitted"], 1);
  assert.equal(s.tasks[0].name, "slow");
  assert.equal(s.tasks[0].running, 1);
  assert.equal(s.tasks[0].eventCounts["submitted"], 1);
  assert.deepEqual(s.tasks[0].plugins, [{ name: "limiter", state: "Calls 1/5" }]);
  assert.deepEqual(s.tasks[0].limits, { wallTime: 5000 });
  assert.equal(s.futures.length, 1);
  assert.equal(s.futures[0].task, "slow");
  assert.equal(s.futures[0].args, "[21]");
  assert.ok(s.futures[0].elapsed >= 0);
  assert.equal(during.lastEventId, 3); // start, future-submitted, submitted
  gate.resolve();
  assert.equal((await run).code, "exhausted");
  const after = (await status(app)).schedulers[0];
  assert.equal(after.running, false);
  assert.deepEqual(after.exit, { code: "exhausted" });
  assert.equal(after.futures.length, 0);
  assert.equal(after.tasks[0].eventCounts["result"], 1);
});

Deno.test("GET /api/status reports how a run ended: exception with its error, timeout, stop", async () => {
  const scheduler = Scheduler.sequential();
  const app = monitor(scheduler);
  const task = scheduler.task(function fails(): number {
    throw new Error("bad <input>");
  });
  scheduler.onStart(() => task.submit(), { maxCalls: 1 });
  assert.equal((await scheduler.run({ onException: "end" })).code, "exception");
  assert.deepEqual((await status(app)).schedulers[0].exit, {
    code: "exception",
    error: "Error: bad <input>",
  });
  assert.equal((await scheduler.run({ timeout: 30, endOnEmpty: false })).code, "timeout");
  assert.deepEqual((await status(app)).schedulers[0].exit, { code: "timeout" });
  scheduler.onStart(() => scheduler.stop(), { maxCalls: 1 });
  assert.equal((await scheduler.run({ endOnEmpty: false })).code, "stopped");
  assert.deepEqual((await status(app)).schedulers[0].exit, { code: "stopped" });
});

Deno.test("GET /api/status shows a flow's jobs with state, label, requirements, result or error", async () => {
  const scheduler = Scheduler.sequential({ name: "compute" });
  const square = scheduler.task((n: number) => n * n, { name: "square" });
  const flow = new Flow({ label: "pipeline", critical: false });
  const a = flow.add(job(() => Promise.resolve("data")), { label: "fetch" });
  const b = flow.add(job(square, 12), { label: "prep", requires: a });
  const c = flow.add(job(() => Promise.reject(new Error("no <b>model</b>"))), {
    label: "train",
    requires: b,
    critical: false,
  });
  const app = monitor(flow);
  const before = await status(app);
  assert.equal(before.flows.length, 1);
  assert.equal(before.flows[0].why, "NOT RUN yet");
  assert.deepEqual(before.flows[0].jobs.map((j) => [j.label, j.state]), [
    ["fetch", "idle"],
    ["prep", "idle"],
    ["train", "idle"],
  ]);
  // The flow's task job leads the monitor to the task's scheduler.
  assert.deepEqual(before.schedulers.map((s) => s.name), ["compute"]);
  assert.equal(await flow.run(), true);
  const f = (await status(app)).flows[0];
  assert.equal(f.label, "pipeline");
  assert.equal(f.running, false);
  const [ja, jb, jc] = f.jobs;
  assert.deepEqual(jb.requirements, [ja.id]);
  assert.deepEqual(jc.requirements, [jb.id]);
  assert.equal(ja.result, '"data"');
  assert.equal(jb.result, "144");
  assert.equal(jc.state, "done");
  assert.equal(jc.failed, true);
  assert.equal(jc.critical, false);
  assert.equal(jc.error, "Error: no <b>model</b>");
  assert.equal(jc.result, undefined);
  assert.match(f.dot, /digraph/);
  assert.equal((await status(app)).schedulers[0].eventCounts["future-result"], 1);
  void c;
});

Deno.test("monitor() is a Hono app that mounts under a prefix", async () => {
  const { Hono } = await import("hono");
  const m = monitor(Scheduler.sequential({ name: "mounted" }));
  assert.ok(m instanceof Hono);
  const outer = new Hono();
  outer.route("/monitor", m as InstanceType<typeof Hono>);
  const res = await outer.request("/monitor/api/status");
  assert.equal((await res.json()).schedulers[0].name, "mounted");
  assert.equal((await outer.request("/monitor")).status, 200);
});

Deno.test("monitor() takes an array of schedulers and flows", async () => {
  const s1 = Scheduler.sequential({ name: "one" });
  const s2 = Scheduler.sequential({ name: "two" });
  const flow = new Flow(job(() => Promise.resolve(1)), { label: "f" });
  const st = await status(monitor([s1, flow, s2]));
  assert.deepEqual(st.schedulers.map((s) => [s.index, s.name]), [[0, "one"], [1, "two"]]);
  assert.deepEqual(st.flows.map((f) => f.label), ["f"]);
});

Deno.test("monitor() refuses bad targets and options, naming the value and what is accepted", () => {
  const s = Scheduler.sequential();
  assert.throws(() => monitor(42 as never), /Scheduler, a Flow or an array of them, got 42/);
  assert.throws(() => monitor([]), /non-empty array/);
  assert.throws(
    () => monitor(s, { tokn: "x" } as never),
    /Unknown option "tokn" in monitor\(\) options \(did you mean "token"\?\); accepted: token/,
  );
  assert.throws(() => monitor(s, { port: 8080 } as never), /to listen on a port use serveMonitor/);
  assert.throws(
    () => monitor(s, { maxFutures: 0 }),
    /maxFutures must be a positive integer, got 0/,
  );
  assert.throws(() => monitor(s, { logBytes: "lots" }), /Invalid size: "lots"/);
  assert.throws(() => monitor(s, { runs: {} as never }), /runs must be a RunSource/);
  assert.throws(() => monitor(s, { history: { interval: 0 } }), /interval must be more than 0/);
  assert.throws(
    () => serveMonitor(s, { prot: 1 } as never),
    /Unknown option "prot" in serveMonitor\(\) options \(did you mean "port"\?\)/,
  );
  assert.throws(() => monitor(s, { token: "" }), /token must be a non-empty string, got ""/);
  assert.throws(
    () => monitor(s, { bufferSize: 0 }),
    /bufferSize must be a positive integer, got 0/,
  );
  assert.throws(() => monitor(s, { protectReads: true }), /needs a token/);
  assert.throws(() => monitor(s, { buckets: [1, 0.5] }), /increasing list of positive seconds/);
});

Deno.test("GET /metrics is valid Prometheus text with counters, gauges and a duration histogram", async () => {
  const scheduler = Scheduler.sequential({ name: 'we"ird\\name' });
  const app = monitor(scheduler);
  const task = scheduler.task(collatz);
  scheduler.onStart(() => task.submit(27));
  task.onResult((_f, n) => {
    if (n !== 1) task.submit(n);
  });
  await scheduler.run();
  const res = await app.request("/metrics");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const { types, samples } = parsePrometheus(await res.text());
  assert.equal(types.get("baton_events_total"), "counter");
  assert.equal(types.get("baton_running"), "gauge");
  assert.equal(types.get("baton_queued"), "gauge");
  assert.equal(types.get("baton_workers_busy"), "gauge");
  assert.equal(types.get("baton_task_duration_seconds"), "histogram");
  const get = (name: string, labels: Record<string, string>) =>
    samples.find((s) =>
      s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
    )?.value;
  const calls = scheduler.eventCounts.get("future-done")!;
  assert.equal(calls, 111); // collatz(27) takes 111 steps
  assert.equal(
    get("baton_events_total", { scheduler: 'we"ird\\name', event: "future-done" }),
    calls,
  );
  assert.equal(get("baton_task_events_total", { task: "collatz", event: "result" }), calls);
  assert.equal(get("baton_running", {}), 0);
  assert.equal(get("baton_task_duration_seconds_count", { task: "collatz" }), calls);
  assert.equal(get("baton_task_duration_seconds_bucket", { task: "collatz", le: "+Inf" }), calls);
  assert.ok(get("baton_task_duration_seconds_sum", { task: "collatz" })! > 0);
});

Deno.test("GET / serves the dashboard with a CSP nonce and an escaped title", async () => {
  const app = monitor(Scheduler.sequential(), { title: "<img src=x onerror=alert(1)>" });
  const res = await app.request("/");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/html/);
  const csp = res.headers.get("content-security-policy") ?? "";
  const nonce = /'nonce-([0-9a-f]+)'/.exec(csp)?.[1];
  assert.ok(nonce, csp);
  assert.match(csp, /default-src 'none'/);
  const html = await res.text();
  assert.ok(html.includes(`<script nonce="${nonce}">`));
  assert.ok(!html.includes("<img"), "title must be escaped");
  assert.ok(html.includes("&#60;img src=x onerror=alert(1)&#62;"));
  assert.ok(!html.includes("innerHTML"), "the page never renders text as HTML");
  assert.ok(!/https?:\/\/(?!www\.w3\.org)/.test(html), "no external resources");
});

Deno.test("POST /api/stop is absent without a token", async () => {
  const app = monitor(Scheduler.sequential());
  assert.equal((await app.request("/api/stop", { method: "POST" })).status, 404);
  assert.equal((await app.request("/api/status")).status, 200);
});

Deno.test("POST /api/stop needs the bearer token: missing or wrong → 401, right → stops", async () => {
  const scheduler = Scheduler.sequential();
  const app = monitor(scheduler, { token: "s3cret" });
  const stopped: string[] = [];
  scheduler.onStop((reason) => stopped.push(reason));
  const run = scheduler.run({ endOnEmpty: false, timeout: "20s" });
  await waitFor(() => scheduler.running(), 5000, "running");
  const missing = await app.request("/api/stop", { method: "POST" });
  assert.equal(missing.status, 401);
  assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer/);
  assert.match((await missing.json()).error, /missing token/);
  const wrong = await app.request("/api/stop", {
    method: "POST",
    headers: { Authorization: "Bearer s3creT" },
  });
  assert.equal(wrong.status, 401);
  assert.equal((await wrong.json()).error, "wrong token");
  // The token in the query string is not enough for a mutating route.
  assert.equal((await app.request("/api/stop?token=s3cret", { method: "POST" })).status, 401);
  assert.equal(scheduler.running(), true);
  const ok = await app.request("/api/stop", {
    method: "POST",
    headers: { Authorization: "Bearer s3cret" },
  });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { stopped: ["scheduler scheduler"] });
  assert.equal((await run).code, "stopped");
  assert.deepEqual(stopped, ["stopped from the monitor"]);
  // Reads stay open unless protectReads is set.
  assert.equal((await app.request("/api/status")).status, 200);
});

Deno.test("protectReads guards every read route; the token may come as header or ?token=", async () => {
  const app = monitor(Scheduler.sequential(), { token: "s3cret", protectReads: true });
  for (const path of ["/", "/api/status", "/api/events", "/metrics"]) {
    assert.equal((await app.request(path)).status, 401, path);
    const wrong = await app.request(path, { headers: { Authorization: "Bearer nope" } });
    assert.equal(wrong.status, 401, path);
    await wrong.body?.cancel();
  }
  for (const path of ["/", "/api/status", "/metrics"]) {
    const byHeader = await app.request(path, { headers: { Authorization: "Bearer s3cret" } });
    assert.equal(byHeader.status, 200, path);
    await byHeader.body?.cancel();
    const byQuery = await app.request(`${path}?token=s3cret`);
    assert.equal(byQuery.status, 200, path);
    await byQuery.body?.cancel();
  }
  const events = await app.request("/api/events?token=s3cret");
  assert.equal(events.status, 200);
  await events.body?.cancel();
});

Deno.test("serveMonitor refuses a non-loopback hostname without a token, and bad ports", () => {
  const s = Scheduler.sequential();
  assert.throws(() => serveMonitor(s, { hostname: "0.0.0.0" }), (e: Error) => {
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /refuses to listen on "0\.0\.0\.0" without a token/);
    assert.match(e.message, /Accepted: a loopback hostname/);
    return true;
  });
  assert.throws(() => serveMonitor(s, { port: 70000 }), /port must be an integer from 0 to 65535/);
});

Deno.test("serveMonitor serves on loopback, refuses foreign Host headers, shuts down with SSE open", async () => {
  const scheduler = Scheduler.sequential();
  const server = serveMonitor(scheduler, { token: "t" });
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const res = await fetch(new URL("api/status", server.url));
  assert.equal(res.status, 200);
  assert.equal((await res.json()).schedulers[0].name, "scheduler");
  // A DNS-rebinding page would send its own host name.
  const { port } = new URL(server.url);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  await conn.write(
    new TextEncoder().encode(
      `GET /api/status HTTP/1.1\r\nHost: evil.example:${port}\r\nConnection: close\r\n\r\n`,
    ),
  );
  const raw = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
  assert.match(raw, /^HTTP\/1\.1 403/);
  const sse = await fetch(new URL("api/events", server.url));
  assert.equal(sse.status, 200);
  const reader = sse.body!.getReader();
  assert.match(new TextDecoder().decode((await reader.read()).value), /retry: 2000/);
  await server.shutdown();
  // The stream ends cleanly when the server shuts down.
  while (!(await reader.read()).done) { /* drain */ }
  await server.shutdown(); // idempotent
});
