/**
 * The hop from a process to its pool children and back, without Redis: a
 * `ProcessExecutor(n)` gets trivial calls the way a queue worker feeds it,
 * `slots` loops that each send a call, wait for its answer, pause `gap` ms
 * (a timer: the child falls asleep, as between jobs fetched from Redis) and
 * send the next. Measured: CPU ms per call of this process and of its
 * children (the run time of all their threads, from schedstat), and the same
 * loops with no call at all (what the timers cost here), in alternating
 * rounds.
 *
 * `--against <dir>` runs the same executor from another checkout (e.g. the
 * main branch) in alternating rounds too, for an A/B of the hop itself;
 * `--v8-flags a,b` adds this branch's executor with those V8 flags;
 * `--sandbox` runs every child with no permissions.
 *
 * ```sh
 * deno run -A bench/process_hop.ts [--children 4] [--slots 4] [--gap 1] [--calls 4000]
 *   [--rounds 6] [--against /work/main] [--v8-flags a,b] [--sandbox]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { Call, Executor, ExecutorHost } from "../mod.ts";
import { inc } from "./fixtures/process_tasks.ts";

const { values: options } = parseArgs({
  args: Deno.args,
  options: {
    children: { type: "string", default: "4" },
    slots: { type: "string", default: "4" },
    gap: { type: "string", default: "1" },
    calls: { type: "string", default: "4000" },
    rounds: { type: "string", default: "6" },
    against: { type: "string" },
    "v8-flags": { type: "string" },
    sandbox: { type: "boolean", default: false },
  },
});
const children = Number(options.children);
const slots = Number(options.slots);
const gap = Number(options.gap);
const calls = Number(options.calls);
const rounds = Number(options.rounds);
/** `--sandbox`: every child runs with no permissions. */
const permissions = options.sandbox ? "none" as const : undefined;

type Make = (n: number) => Executor;
const here = (await import("../mod.ts")).ProcessExecutor;
const subjects: Array<[string, Make | undefined]> = [
  ["timers only", undefined],
  ["this branch", (n) => new here(n, { forwardStderr: false, permissions })],
];
if (options["v8-flags"]) {
  const v8Flags = options["v8-flags"].split(",");
  subjects.push([
    `+ ${v8Flags.join(" ")}`,
    (n) => new here(n, { forwardStderr: false, permissions, v8Flags }),
  ]);
}
if (options.against) {
  const url = new URL(`file://${options.against.replace(/\/?$/, "/")}mod.ts`);
  const there = (await import(url.href)).ProcessExecutor as typeof here;
  subjects.push([options.against, (n) => new there(n, { forwardStderr: false, permissions })]);
}

/**
 * CPU ms a process used so far: the sum over its threads of the time they
 * ran (`/proc/<pid>/task/<tid>/schedstat`, in ns). utime+stime come in 10 ms
 * ticks, which is ±0.0025 ms per call on a round of 4000 calls for each
 * child; this is exact. A thread that ends between two readings takes its
 * time with it: the pool's processes keep theirs (checked: the same threads
 * before and after a round).
 */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/schedstat`).split(" ")[0]);
    } catch { /* the thread ended */ }
  }
  return ns / 1e6;
}

/** The processes whose parent is this one. */
function childPids(): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === Deno.pid) pids.push(Number(entry.name));
    } catch { /* gone */ }
  }
  return pids;
}

interface Sample {
  parent: number;
  children: number;
  wall: number;
}

/** One round: `calls` calls through `slots` loops; CPU per call. */
async function round(make: Make | undefined): Promise<Sample> {
  let id = 0;
  let answered = 0;
  const done = Promise.withResolvers<void>();
  const next = new Map<number, () => void>();
  let warm = 0;
  const warmed = Promise.withResolvers<void>();
  let send: (slot: () => void) => void;
  let executor: Executor | undefined;
  if (make) {
    executor = make(children);
    const host: ExecutorHost = {
      started() {},
      comm() {},
      rejected(_call, error) {
        done.reject(error);
      },
      fulfilled(call) {
        if (call.id <= children) {
          if (++warm === children) warmed.resolve();
          return;
        }
        const slot = next.get(call.id)!;
        next.delete(call.id);
        slot();
      },
    };
    await executor.start(host);
    send = (slot) => {
      const call: Call = { id: ++id, fn: inc as Call["fn"], args: [id], limits: {} };
      next.set(call.id, slot);
      executor!.execute(call);
    };
    // Every child up and its function known before the clock starts.
    for (let i = 0; i < children; i++) send(() => {});
    await warmed.promise;
  } else {
    send = (slot) => queueMicrotask(slot);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  const pids = childPids();
  const parent0 = cpuMs(Deno.pid);
  const children0 = pids.map(cpuMs);
  const started = performance.now();
  let sent = 0;
  const loop = () => {
    if (++answered === calls) return done.resolve();
    if (sent < calls) {
      sent++;
      setTimeout(() => send(loop), gap);
    }
  };
  answered = -slots; // each slot's first call
  for (let i = 0; i < slots; i++) loop();
  await done.promise;
  const wall = performance.now() - started;
  const parent = cpuMs(Deno.pid) - parent0;
  const used = pids.reduce((sum, pid, i) => sum + cpuMs(pid) - children0[i], 0);
  await executor?.shutdown(false);
  return { parent: parent / calls, children: used / calls, wall: wall / calls };
}

const results = new Map<string, Sample[]>(subjects.map(([name]) => [name, []]));
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? subjects : [...subjects].reverse();
  for (const [name, make] of order) results.get(name)!.push(await round(make));
}

const span = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(3);
  return `${f(sorted[sorted.length >> 1])} (${f(sorted[0])}–${f(sorted.at(-1)!)})`;
};
console.log(
  `process hop: ${children} children, ${slots} loops, ${gap} ms pause, ${calls} calls × ${rounds} ` +
    `rounds; load ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")}`,
);
console.log("CPU ms per call, median (min–max)");
for (const [name, samples] of results) {
  console.log(
    `  ${name.padEnd(16)} parent ${span(samples.map((s) => s.parent))}  children ${
      span(samples.map((s) => s.children))
    }  wall ms/call ${span(samples.map((s) => s.wall))}`,
  );
}
