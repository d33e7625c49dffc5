/**
 * Cost of the monitor: a scheduler runs trivial tasks at full speed for a
 * fixed time, without a monitor and with `serveMonitor`, 10 SSE clients
 * connected and `/metrics` scraped every 100 ms. Rounds alternate (plain,
 * monitored, plain, …) in the same run; the medians are compared. The
 * clients and the scraper run in a Web Worker, as a browser or Prometheus
 * would run elsewhere: only the server's work lands on the scheduler's thread.
 *
 * Run: `deno run -A bench/monitor.ts [seconds per round] [rounds]`
 *
 * @module
 */

import { type MonitorServer, Scheduler, serveMonitor } from "../mod.ts";

const seconds = Number(Deno.args[0] ?? 2);
const rounds = Number(Deno.args[1] ?? 3);
const nClients = Number(Deno.args[2] ?? 10);

// The clients: 10 SSE readers and a scraper, counting what they receive.
const CLIENTS = `
let streams = [], scrapes = 0, bytes = 0, events = 0, drops = 0, timer, stopping = false;
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
self.onmessage = async ({ data }) => {
  if (data.url) {
    for (let i = 0; i < data.clients; i++) read(data.url);
    timer = setInterval(async () => {
      const res = await fetch(data.url + "metrics");
      await res.text();
      scrapes++;
    }, 100);
    self.postMessage({ ready: true });
  } else {
    stopping = true;
    clearInterval(timer);
    for (const r of streams) r.cancel().catch(() => {});
    self.postMessage({ scrapes, bytes, events, drops });
  }
};
`;

function trivial(n: number): number {
  return n + 1;
}

async function round(
  make: () => Scheduler,
  monitored: boolean,
): Promise<{ rate: number; clients?: Record<string, number> }> {
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
    worker.postMessage({ url: server.url, clients: nClients });
    await ready;
    await new Promise((r) => setTimeout(r, 200)); // let the 10 streams connect
  }
  const t0 = performance.now();
  await scheduler.run({ timeout: seconds * 1000 });
  const rate = done / ((performance.now() - t0) / 1000);
  let clients: Record<string, number> | undefined;
  if (worker) {
    const report = new Promise<MessageEvent>((r) => worker!.onmessage = r);
    worker.postMessage({ stop: true });
    clients = (await report).data;
    worker.terminate();
  }
  await server?.shutdown();
  return { rate, clients };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

console.log(
  `monitor overhead: trivial tasks for ${seconds} s per round, ${rounds} rounds each, ` +
    `10 SSE clients + /metrics every 100 ms`,
);
for (
  const [name, make] of [
    ["sequential", () => Scheduler.sequential()],
    ["workers(2)", () => Scheduler.withWorkers(2)],
  ] as const
) {
  const plain: number[] = [];
  const monitored: number[] = [];
  let last: Record<string, number> | undefined;
  for (let i = 0; i < rounds; i++) {
    plain.push((await round(make, false)).rate);
    const r = await round(make, true);
    monitored.push(r.rate);
    last = r.clients;
  }
  const a = median(plain), b = median(monitored);
  const slowdown = (1 - b / a) * 100;
  console.log(
    `  ${name.padEnd(11)} without ${a.toFixed(0).padStart(7)} tasks/s   with ${
      b.toFixed(0).padStart(7)
    } tasks/s   slowdown ${slowdown.toFixed(1)}%` +
      (last
        ? `   (last round: ${last.scrapes} scrapes, ${last.events} events to clients, ` +
          `${(last.bytes / 1e6).toFixed(1)} MB, ${last.drops} client drops)`
        : ""),
  );
}
