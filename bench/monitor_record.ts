/**
 * What the monitor's recording costs per call, apart from HTTP: a
 * `Scheduler.sequential()` runs N trivial calls (a result callback
 * resubmits, one call in flight) without and with `monitor()` attached (no
 * server, no clients), in alternating rounds. CPU time (`process.cpuUsage`)
 * and wall time per call; the difference within a round is the monitor's work.
 * Given another checkout (e.g. `/work/main`), it measures that one's monitor
 * too, in the same rounds (the order flips every round).
 *
 * Run: `deno run -A bench/monitor_record.ts [calls per round] [rounds] [maxFutures|default] [other checkout]`
 *
 * @module
 */

import { cpuUsage } from "node:process";
import * as here from "../mod.ts";

const calls = Number(Deno.args[0] ?? 200_000);
const rounds = Number(Deno.args[1] ?? 7);
const maxFutures = Deno.args[2] === undefined || Deno.args[2] === "default"
  ? undefined
  : Number(Deno.args[2]);
const other = Deno.args[3];

type Lib = Pick<typeof here, "monitor" | "Scheduler">;
const libs: [string, Lib][] = [["this checkout", here]];
if (other) {
  libs.push([other, await import(new URL(`${other.replace(/\/$/, "")}/mod.ts`, "file:///").href)]);
}

function trivial(n: number): number {
  return n + 1;
}

/** CPU and wall microseconds per call of one round. */
async function round(lib: Lib, monitored: boolean): Promise<{ cpu: number; wall: number }> {
  const scheduler = lib.Scheduler.sequential();
  const task = scheduler.task(trivial);
  let left = calls;
  scheduler.onStart(() => task.submit(0));
  task.onResult((_f, n) => {
    if (--left > 0) task.submit(n);
  });
  const stop = new AbortController();
  if (monitored) lib.monitor(scheduler, { signal: stop.signal, maxFutures });
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
const load = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");

console.log(
  `monitor recording: ${calls} trivial calls per round on Scheduler.sequential(), ${rounds} ` +
    `rounds each, maxFutures ${maxFutures ?? "default"}, load ${load()}`,
);
const results = libs.map(() => ({
  plain: [] as { cpu: number; wall: number }[],
  monitored: [] as { cpu: number; wall: number }[],
}));
// A warm-up round of each, not counted: the first rounds compile.
for (const [, lib] of libs) {
  await round(lib, false);
  await round(lib, true);
}
for (let i = 0; i < rounds; i++) {
  const order = i % 2 === 0 ? libs.map((_, j) => j) : libs.map((_, j) => j).reverse();
  for (const j of order) {
    const lib = libs[j][1];
    // Plain and monitored swap places every round too.
    if (i % 2 === 0) {
      results[j].plain.push(await round(lib, false));
      results[j].monitored.push(await round(lib, true));
    } else {
      results[j].monitored.push(await round(lib, true));
      results[j].plain.push(await round(lib, false));
    }
  }
}
libs.forEach(([name], j) => {
  const { plain, monitored } = results[j];
  console.log(`${name}:`);
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
    `  monitor: CPU ${range(plain.map((p, i) => monitored[i].cpu - p.cpu))} µs/call, wall ${
      range(plain.map((p, i) => monitored[i].wall - p.wall))
    } µs/call (median, min–max of the per-round differences)`,
  );
});
console.log(`load after: ${load()}`);
