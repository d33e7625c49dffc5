/**
 * What the monitor's recording costs per call, apart from HTTP: a
 * `Scheduler.sequential()` runs N trivial calls (a result callback
 * resubmits, one call in flight) without and with `monitor()` attached (no
 * server, no clients), in alternating rounds. CPU time (`process.cpuUsage`)
 * and wall time per call; the difference within a round is the monitor's work.
 * Given another checkout (e.g. `/work/main`), it measures that one's monitor
 * too, in the same rounds (the order flips every round). With `--fed`, no
 * executor runs: each call's six events are emitted by hand, one call per
 * turn, which leaves out the executor's noise (and its allocation, so the
 * garbage collector's share is smaller than in a real run).
 *
 * Run: `deno run -A bench/monitor_record.ts [--fed] [calls per round] [rounds] [maxFutures|default] [other checkout]`
 *
 * @module
 */

import { cpuUsage } from "node:process";
import type * as here from "../mod.ts";
import type { emitFew } from "../src/events/emitter.ts";
import type { Future, settleFuture } from "../src/scheduler/future.ts";
import type { SchedulerEvents, TaskEvents } from "../src/scheduler/events.ts";

const fed = Deno.args.includes("--fed");
const args = Deno.args.filter((a) => a !== "--fed");
const calls = Number(args[0] ?? 200_000);
const rounds = Number(args[1] ?? 7);
const maxFutures = args[2] === undefined || args[2] === "default" ? undefined : Number(args[2]);
const other = args[3];

/** What a round needs of a checkout: its API, and for `--fed` the internals that emit. */
interface Lib {
  monitor: typeof here.monitor;
  Scheduler: typeof here.Scheduler;
  emitFew: typeof emitFew;
  Future: typeof Future;
  settleFuture: typeof settleFuture;
  events: { SchedulerEvents: typeof SchedulerEvents; TaskEvents: typeof TaskEvents };
}
async function checkout(root: string): Promise<Lib> {
  const at = (path: string) => import(new URL(path, root).href);
  const [api, emitter, future, events] = await Promise.all([
    at("mod.ts"),
    at("src/events/emitter.ts"),
    at("src/scheduler/future.ts"),
    at("src/scheduler/events.ts"),
  ]);
  return {
    monitor: api.monitor,
    Scheduler: api.Scheduler,
    emitFew: emitter.emitFew,
    Future: future.Future,
    settleFuture: future.settleFuture,
    events,
  };
}
const libs: [string, Lib][] = [[
  "this checkout",
  await checkout(new URL("../", import.meta.url).href),
]];
if (other) {
  libs.push([other, await checkout(new URL(`${other.replace(/\/$/, "")}/`, "file:///").href)]);
}

function trivial(n: number): number {
  return n + 1;
}

/** CPU and wall microseconds per call of one round. */
async function round(lib: Lib, monitored: boolean): Promise<{ cpu: number; wall: number }> {
  const scheduler = lib.Scheduler.sequential();
  const task = scheduler.task(trivial);
  let left = calls;
  if (!fed) {
    scheduler.onStart(() => task.submit(0));
    task.onResult((_f, n) => {
      if (--left > 0) task.submit(n);
    });
  }
  const stop = new AbortController();
  if (monitored) lib.monitor(scheduler, { signal: stop.signal, maxFutures });
  const c0 = cpuUsage();
  const t0 = performance.now();
  if (fed) await feed(lib, scheduler, task);
  else await scheduler.run();
  const wall = performance.now() - t0;
  const c = cpuUsage(c0);
  stop.abort();
  return { cpu: (c.user + c.system) / calls, wall: (wall * 1000) / calls };
}

/** The events of `calls` calls, as the scheduler emits them, one call per turn. */
async function feed(
  lib: Lib,
  scheduler: here.Scheduler,
  task: here.AnyTask,
): Promise<void> {
  const { emitFew, Future, settleFuture } = lib;
  const { SchedulerEvents: S, TaskEvents: T } = lib.events;
  const cancel = () => false;
  for (let i = 0; i < calls; i++) {
    const future = new Future(trivial, [i], task, cancel);
    emitFew(scheduler, S.FUTURE_SUBMITTED, 1, future);
    emitFew(task, T.SUBMITTED, 2, future, i);
    settleFuture(future, "fulfilled", i + 1);
    emitFew(scheduler, S.FUTURE_DONE, 1, future);
    emitFew(scheduler, S.FUTURE_RESULT, 2, future, i + 1);
    emitFew(task, T.DONE, 1, future);
    emitFew(task, T.RESULT, 2, future, i + 1);
    await null;
  }
}

const range = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[Math.floor(s.length / 2)].toFixed(2)} (${s[0].toFixed(2)}–${s.at(-1)!.toFixed(2)})`;
};
const load = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");

console.log(
  `monitor recording: ${calls} trivial calls per round on Scheduler.sequential()${
    fed ? " (events fed by hand)" : ""
  }, ${rounds} ` +
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
