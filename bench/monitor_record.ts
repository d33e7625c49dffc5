/**
 * What the monitor's recording costs per call, apart from HTTP: a
 * `Scheduler.sequential()` runs N trivial calls (a result callback
 * resubmits, one call in flight) without and with `monitor()` attached (no
 * server, no clients), in alternating rounds. CPU time (`process.cpuUsage`)
 * and wall time per call; the difference per round is the monitor's work.
 *
 * Run: `deno run -A bench/monitor_record.ts [calls per round] [rounds] [maxFutures]`
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { monitor, Scheduler } from "../mod.ts";

const calls = Number(Deno.args[0] ?? 200_000);
const rounds = Number(Deno.args[1] ?? 7);
const maxFutures = Deno.args[2] === undefined ? undefined : Number(Deno.args[2]);

function trivial(n: number): number {
  return n + 1;
}

/** CPU and wall microseconds per call of one round. */
async function round(monitored: boolean): Promise<{ cpu: number; wall: number }> {
  const scheduler = Scheduler.sequential();
  const task = scheduler.task(trivial);
  let left = calls;
  scheduler.onStart(() => task.submit(0));
  task.onResult((_f, n) => {
    if (--left > 0) task.submit(n);
  });
  const stop = new AbortController();
  if (monitored) monitor(scheduler, { signal: stop.signal, maxFutures });
  const c0 = cpuUsage();
  const t0 = performance.now();
  await scheduler.run();
  const wall = performance.now() - t0;
  const c = cpuUsage(c0);
  stop.abort();
  return { cpu: (c.user + c.system) / calls, wall: (wall * 1000) / calls };
}

const range = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[Math.floor(s.length / 2)].toFixed(2)} (${s[0].toFixed(2)}–${s.at(-1)!.toFixed(2)})`;
};

console.log(
  `monitor recording: ${calls} trivial calls per round on Scheduler.sequential(), ${rounds} ` +
    `rounds each, maxFutures ${maxFutures ?? "default"}, load ${
      Deno.loadavg().map((x) => x.toFixed(2)).join(" ")
    }`,
);
// A warm-up round of each, not counted: the first rounds compile.
await round(false);
await round(true);
const plain: { cpu: number; wall: number }[] = [];
const monitored: { cpu: number; wall: number }[] = [];
for (let i = 0; i < rounds; i++) {
  // The order flips every round.
  if (i % 2 === 0) {
    plain.push(await round(false));
    monitored.push(await round(true));
  } else {
    monitored.push(await round(true));
    plain.push(await round(false));
  }
}
const cpuCost = plain.map((p, i) => monitored[i].cpu - p.cpu);
const wallCost = plain.map((p, i) => monitored[i].wall - p.wall);
console.log(
  `  without: CPU ${range(plain.map((r) => r.cpu))} µs/call, wall ${
    range(plain.map((r) => r.wall))
  } µs/call`,
);
console.log(
  `  with:    CPU ${range(monitored.map((r) => r.cpu))} µs/call, wall ${
    range(monitored.map((r) => r.wall))
  } µs/call`,
);
console.log(
  `  monitor: CPU ${range(cpuCost)} µs/call, wall ${range(wallCost)} µs/call ` +
    `(median, min–max of the per-round differences)`,
);
console.log(`  load after: ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
