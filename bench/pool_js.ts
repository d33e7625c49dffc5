/**
 * baton's own main-thread JavaScript per call, without threads or Deno's
 * message machinery: `Scheduler` + `Pool` (the worker executor's dispatch
 * loop) on two fake workers that answer each call in a microtask, 64 calls in
 * flight, a result callback resubmitting as in `workers.ts`. The reference is
 * the same microtask ping-pong without baton. Single-threaded, so far less
 * noisy than `workers_gc.ts`; but the code runs hot here, while behind real
 * workers each call runs between event-loop turns.
 *
 * Run: `deno run -A bench/pool_js.ts [calls per round] [rounds] [--base /path/to/checkout]`
 *
 * @module
 */

import type { Call, Executor, ExecutorHost } from "../src/executors/executor.ts";
import type { Pool as PoolClass, TransportEvents } from "../src/executors/pool.ts";
import type { Scheduler as SchedulerClass } from "../mod.ts";

const here = new URL("..", import.meta.url).pathname;

/** Main-thread CPU time so far, ns. */
function threadCpuNs(): number {
  const text = Deno.readTextFileSync(`/proc/${Deno.pid}/task/${Deno.pid}/schedstat`);
  return Number(text.split(" ")[0]);
}

/** Loads the scheduler and pool of the checkout at `root`. */
async function load(root: string) {
  const { Scheduler } = await import(`${root}/mod.ts`) as { Scheduler: typeof SchedulerClass };
  const { Pool } = await import(`${root}/src/executors/pool.ts`) as { Pool: typeof PoolClass };
  return { Scheduler, Pool };
}

/** An executor on a `Pool` whose two workers answer `x + 1` in a microtask. */
function fakeWorkers(Pool: typeof PoolClass): Executor {
  const pool = new Pool({
    size: 2,
    prefetch: 4,
    maxPrefetch: 64,
    label: "worker",
    onWallTime: "signal",
    keyOf: () => "",
    spawn: (_key: string, events: TransportEvents) => {
      queueMicrotask(() => events.ready());
      return {
        post: () => {},
        postCall: ([id, , args]) =>
          queueMicrotask(() => events.result(id, (args[0] as number) + 1)),
        kill: () => {},
      };
    },
  });
  return {
    kind: "workers",
    validate: () => {},
    start: (host: ExecutorHost) => pool.start(host),
    execute: (call: Call) => pool.execute(call),
    sendComm: (call, frame) => pool.sendComm(call.id, frame),
    cancel: (call, reason) => pool.cancel(call.id, reason),
    shutdown: (wait) => pool.shutdown(wait),
    info: () => pool.info("workers", {}),
  };
}

/** `total` calls through baton, 64 in flight. */
async function throughBaton(modules: Awaited<ReturnType<typeof load>>, total: number) {
  const scheduler = new modules.Scheduler({ executor: fakeWorkers(modules.Pool) });
  const task = scheduler.task((x: number) => x + 1);
  let submitted = 0;
  scheduler.onStart(() => {
    for (; submitted < 64; submitted++) task.submit(1);
  });
  task.onResult(() => {
    if (submitted < total) submitted++, task.submit(1);
  });
  await scheduler.run();
}

/** The same ping-pong without baton: a microtask per call. */
function bare(total: number): Promise<void> {
  let submitted = 0;
  let answered = 0;
  return new Promise<void>((resolve) => {
    const send = () => {
      submitted++;
      queueMicrotask(() => {
        if (++answered === total) resolve();
        else if (submitted < total) send();
      });
    };
    for (let i = 0; i < 64; i++) send();
  });
}

async function cpuPerCall(run: () => Promise<void>, calls: number): Promise<number> {
  const cpu = threadCpuNs();
  await run();
  return (threadCpuNs() - cpu) / 1000 / calls;
}

if (import.meta.main) {
  const baseAt = Deno.args.indexOf("--base");
  const base = baseAt >= 0 ? Deno.args[baseAt + 1] : undefined;
  const rest = baseAt >= 0 ? Deno.args.toSpliced(baseAt, 2) : Deno.args;
  const calls = Number(rest[0] ?? 200_000);
  const rounds = Number(rest[1] ?? 5);
  const subjects = [
    ...(base ? [{ name: "baton (base)", modules: await load(base) }] : []),
    { name: base ? "baton (this)" : "baton", modules: await load(here) },
  ];
  const results = new Map<string, number[]>([["bare", []]]);
  for (const { name } of subjects) results.set(name, []);
  // Warm-up, so JIT is not measured.
  for (const { modules } of subjects) await throughBaton(modules, 20_000);
  await bare(20_000);
  console.log(`${calls.toLocaleString("en-US")} calls per run, 64 in flight, ${rounds} rounds`);
  for (let round = 0; round < rounds; round++) {
    const line = [`round ${round + 1}`];
    for (let k = 0; k <= subjects.length; k++) {
      // Rotate the order so no subject always runs first.
      const index = (round + k) % (subjects.length + 1);
      const subject = subjects[index];
      const name = subject?.name ?? "bare";
      const value = await cpuPerCall(
        () => subject ? throughBaton(subject.modules, calls) : bare(calls),
        calls,
      );
      results.get(name)!.push(value);
      line.push(`${name} ${value.toFixed(2)} µs/call`);
    }
    console.log(line.join("  "));
  }
  for (const [name, values] of results) {
    const sorted = [...values].sort((a, b) => a - b);
    console.log(
      `${name.padEnd(13)} main-thread CPU ${sorted[0].toFixed(2)}–${sorted.at(-1)!.toFixed(2)} ` +
        `µs/call (median ${sorted[sorted.length >> 1].toFixed(2)})`,
    );
  }
}
