/**
 * Cost of the monitor: a scheduler runs trivial tasks at full speed for a
 * fixed time, without a monitor and with `serveMonitor`, 10 SSE clients
 * connected, `/metrics` scraped every second, and one open dashboard
 * polling the explorer as the page does (a page of futures every 1.5 s,
 * status, timeline and queue history every 2 s, failures every 2.5 s,
 * durations every 5 s). Rounds alternate (plain, monitored, plain, …) in the
 * same run (the order flips every round); the medians are compared. Each
 * round also reads the main thread's CPU time, so the report gives the
 * monitor's direct cost per call on that thread (median of the per-round
 * differences) beside the ratio. The clients run in a Web Worker, as a
 * browser or Prometheus would run elsewhere: only the server's work (the
 * recording of every call included) lands on the scheduler's thread.
 *
 * Run: `deno run -A bench/monitor.ts [seconds per round] [rounds] [SSE clients] [workers|sequential] [--no-polls]`
 *
 * `--no-polls` leaves out the scrape and the dashboard (SSE clients only);
 * with 0 SSE clients too, what remains is the recording and an idle server.
 *
 * @module
 */

import { type MonitorServer, Scheduler, serveMonitor } from "../mod.ts";
import { targetLine } from "./stats.ts";

const polls = !Deno.args.includes("--no-polls");
const args = Deno.args.filter((a) => a !== "--no-polls");
const seconds = Number(args[0] ?? 2);
const rounds = Number(args[1] ?? 7);
const nClients = Number(args[2] ?? 10);
const only = args[3];

// The clients: SSE readers, a Prometheus scraper and one dashboard's polling, counting what they get.
const CLIENTS = `
let streams = [], scrapes = 0, polls = 0, bytes = 0, events = 0, drops = 0, timers = [], stopping = false;
async function read(url) {
  while (!stopping) {
    try {
      const res = await fetch(url + "api/events");
      const reader = res.body.getReader();
      streams.push(reader);
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        events += decoder.decode(value).split("\\nid: ").length - 1;
      }
    } catch (_) { /* dropped or closed */ }
    if (!stopping) drops++;
  }
}
function every(ms, fn) { timers.push(setInterval(fn, ms)); }
async function get(url) {
  const res = await fetch(url);
  bytes += (await res.arrayBuffer()).byteLength;
}
self.onmessage = async ({ data }) => {
  if (data.url) {
    const u = data.url;
    for (let i = 0; i < data.clients; i++) read(u);
    if (!data.polls) return self.postMessage({ ready: true });
    every(1000, async () => { await get(u + "metrics"); scrapes++; });
    every(1500, async () => { await get(u + "api/futures?offset=0&limit=40"); polls++; });
    every(2000, async () => {
      await Promise.all([get(u + "api/status"), get(u + "api/timeline?limit=800"), get(u + "api/history")]);
      polls += 3;
    });
    every(2500, async () => { await get(u + "api/failures?limit=50"); polls++; });
    every(5000, async () => { await get(u + "api/durations"); polls++; });
    self.postMessage({ ready: true });
  } else {
    stopping = true;
    for (const t of timers) clearInterval(t);
    for (const r of streams) r.cancel().catch(() => {});
    self.postMessage({ scrapes, polls, bytes, events, drops });
  }
};
`;

/** The main thread's CPU time so far, ns (the scheduler, the monitor and the HTTP server run there). */
function mainCpuNs(): number {
  return Number(
    Deno.readTextFileSync(`/proc/${Deno.pid}/task/${Deno.pid}/schedstat`).split(" ")[0],
  );
}

function trivial(n: number): number {
  return n + 1;
}

async function round(
  make: () => Scheduler,
  monitored: boolean,
): Promise<{ rate: number; mainUs: number; clients?: Record<string, number> }> {
  const scheduler = make();
  const task = scheduler.task(trivial);
  let done = 0;
  const inFlight = scheduler.executor.kind === "sequential" ? 1 : 4;
  scheduler.onStart(() => {
    for (let i = 0; i < inFlight; i++) task.submit(i);
  });
  task.onResult((_f, n) => {
    done++;
    if (scheduler.running()) task.submit(n);
  });
  let server: MonitorServer | undefined;
  let worker: Worker | undefined;
  if (monitored) {
    server = serveMonitor(scheduler);
    worker = new Worker(
      URL.createObjectURL(new Blob([CLIENTS], { type: "text/javascript" })),
      { type: "module" },
    );
    const ready = new Promise((r) => worker!.onmessage = r);
    worker.postMessage({ url: server.url, clients: nClients, polls });
    await ready;
    await new Promise((r) => setTimeout(r, 200)); // let the 10 streams connect
  }
  const c0 = mainCpuNs();
  const t0 = performance.now();
  await scheduler.run({ timeout: seconds * 1000 });
  const rate = done / ((performance.now() - t0) / 1000);
  const mainUs = (mainCpuNs() - c0) / 1000 / done;
  let clients: Record<string, number> | undefined;
  if (worker) {
    const report = new Promise<MessageEvent>((r) => worker!.onmessage = r);
    worker.postMessage({ stop: true });
    clients = (await report).data;
    worker.terminate();
  }
  await server?.shutdown();
  return { rate, mainUs, clients };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

console.log(
  `monitor overhead: trivial tasks for ${seconds} s per round, ${rounds} rounds each, ` +
    `${nClients} SSE clients` + (polls ? " + /metrics every second + one dashboard's polling" : ""),
);
for (
  const [name, make] of [
    ["sequential", () => Scheduler.sequential()],
    ["workers(2)", () => Scheduler.withWorkers(2)],
  ] as const
) {
  if (only && !name.startsWith(only)) continue;
  const plain: number[] = [];
  const monitored: number[] = [];
  const mainCost: number[] = [];
  let last: Record<string, number> | undefined;
  for (let i = 0; i < rounds; i++) {
    // The order flips every round, so neither kind always runs on a warmer machine.
    const first = await round(make, i % 2 === 1);
    const second = await round(make, i % 2 === 0);
    const [p, m] = i % 2 === 0 ? [first, second] : [second, first];
    plain.push(p.rate);
    monitored.push(m.rate);
    mainCost.push(m.mainUs - p.mainUs);
    last = m.clients;
  }
  const a = median(plain), b = median(monitored);
  const ratio = b / a;
  console.log(
    `  ${name.padEnd(11)} without ${a.toFixed(0).padStart(7)} tasks/s   with ${
      b.toFixed(0).padStart(7)
    } tasks/s   ratio ${ratio.toFixed(2)}x (slowdown ${((1 - ratio) * 100).toFixed(1)}%)` +
      (last
        ? `   (last round: ${last.scrapes} scrapes, ${last.polls} dashboard requests, ` +
          `${last.events} events to clients, ${(last.bytes / 1e6).toFixed(1)} MB, ` +
          `${last.drops} client drops)`
        : ""),
  );
  console.log(
    `  ${"".padEnd(11)} the monitor's direct cost on the main thread: ${
      median(mainCost).toFixed(2)
    } µs of CPU per call (median of the per-round differences, ${
      Math.min(...mainCost).toFixed(2)
    } to ${Math.max(...mainCost).toFixed(2)})`,
  );
  const sorted = plain.map((p, i) => monitored[i] / p).sort((x, y) => x - y);
  console.log(targetLine(
    `monitor overhead, ${name}, with/without`,
    `ratio ${ratio.toFixed(2)} (per round ${sorted[0].toFixed(2)}–${sorted.at(-1)!.toFixed(2)})`,
    "≥ 0.90",
    ratio >= 0.9,
  ));
}
