/**
 * Main-thread cost per call of the worker pool, against raw Web Workers:
 * CPU time of the main thread (from `/proc/<pid>/task/<pid>/schedstat`, in
 * ns) and what each minor GC (scavenge) of the main isolate keeps alive
 * (`new_space_survived` from V8's `--trace-gc-nvp`). Throughput on a shared
 * machine is noisy; CPU per call and bytes kept per scavenge are not.
 *
 * Each measurement runs in a fresh child process (so the GC trace is its
 * own), 64 calls in flight as in `workers.ts`; the subjects run in rotating
 * order, round after round. `--base <dir>` adds the scheduler of another
 * checkout (e.g. `main`) as a third subject, for an A/B in the same minutes.
 *
 * Run: `deno run -A bench/workers_gc.ts [calls per round] [rounds] [--base /path/to/checkout]`
 *
 * @module
 */

import process from "node:process";

const here = new URL("..", import.meta.url).pathname;

/** One child's figures. */
interface Sample {
  /** Main-thread CPU per call, µs. */
  cpuPerCall: number;
  /** Scavenges of the workers' isolates during the measured calls. */
  workerScavenges: number;
  /** The workers' GC pauses per call, µs (on their threads). */
  workerGcPerCall: number;
  /** Bytes the workers' isolates allocated per call (a little low: up to each one's last GC). */
  workerAllocatedPerCall: number;
  /** CPU per call of every thread of the process (workers, GC helpers, Deno's own), µs. */
  processCpuPerCall: number;
  /** Scavenges of the main isolate during the measured calls. */
  scavenges: number;
  /** Mean bytes surviving a scavenge. */
  survivedPerScavenge: number;
  /** Median bytes surviving a scavenge (a few large arrays of the harness skew the mean). */
  survivedMedian: number;
  /** Bytes the main isolate allocated per call (V8's `allocated`, summed over the GCs). */
  allocatedPerCall: number;
  /** Main-thread GC pause per call, µs (scavenges and the rest). */
  gcPerCall: number;
  /** GC helper threads' time per call, µs: CPU the workers' threads then lack on a small machine. */
  gcHelpersPerCall: number;
  /** Calls per second. */
  perSecond: number;
}

/** Main-thread CPU time so far, ns: the first field of the thread's schedstat. */
function threadCpuNs(): number {
  const text = Deno.readTextFileSync(`/proc/${Deno.pid}/task/${Deno.pid}/schedstat`);
  return Number(text.split(" ")[0]);
}

/**
 * In the child: warm up, then time a short run and a long one. The CPU per
 * call is their difference over the difference in calls, so what every run
 * pays once (starting its two workers) cancels out. The long run lies between
 * two forced GCs that mark its window in the trace.
 */
async function child(root: string, subject: "raw" | "baton", calls: number): Promise<void> {
  const { rawPingPong, schedulerPingPong } = await import(`${root}/bench/workers.ts`);
  const run = subject === "raw" ? rawPingPong : schedulerPingPong;
  await run(64, 4_000);
  const short = Math.round(calls / 5);
  let cpu = threadCpuNs();
  let all = process.cpuUsage();
  await run(64, short);
  const shortNs = threadCpuNs() - cpu;
  const shortAll = process.cpuUsage(all);
  const gc = (globalThis as unknown as { gc: () => void }).gc;
  gc();
  cpu = threadCpuNs();
  all = process.cpuUsage();
  const { perSecond } = await run(64, calls);
  const longNs = threadCpuNs() - cpu;
  const longAll = process.cpuUsage(all);
  gc();
  // stdout carries V8's trace; the result goes to stderr.
  const allUs = (u: { user: number; system: number }) => u.user + u.system;
  console.error(JSON.stringify({
    cpuNsPerCall: (longNs - shortNs) / (calls - short),
    processUsPerCall: (allUs(longAll) - allUs(shortAll)) / (calls - short),
    perSecond,
  }));
}

/** Runs one child and reads its trace: the main isolate is the one whose GCs were forced. */
async function sample(root: string, subject: "raw" | "baton", calls: number): Promise<Sample> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc,--trace-gc-nvp",
      new URL(import.meta.url).pathname,
      "--child",
      root,
      subject,
      String(calls),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`child failed: ${stderr}`);
  const { cpuNsPerCall, processUsPerCall, perSecond } = JSON.parse(
    stderr.trim().split("\n").at(-1)!,
  );
  const gcs: { isolate: string; json: Record<string, number | string> }[] = [];
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    const match = /^\[\d+:(0x[0-9a-f]+):\d+\]\s+[\d.]+ ms: GC: (\{.*\})\s*$/.exec(line);
    if (match) gcs.push({ isolate: match[1], json: JSON.parse(match[2]) });
  }
  // The forced collections (reason "testing") mark the window and name the main isolate.
  const start = gcs.findIndex((g) => g.json.reason === "testing");
  const end = gcs.findLastIndex((g) => g.json.reason === "testing");
  const isolate = gcs[end].isolate;
  const window = gcs.slice(start, end).filter((g) =>
    g.isolate === isolate && g.json.reason !== "testing"
  );
  const scavenges = window.filter((g) => g.json.gc === "s");
  const survived = scavenges.reduce((sum, g) => sum + Number(g.json.new_space_survived), 0);
  // Each GC's `allocated` counts since the GC before it: up to the closing forced one.
  const allocated = [...window, gcs[end]].reduce((sum, g) => sum + Number(g.json.allocated), 0);
  const pause = window.reduce((sum, g) => sum + Number(g.json.pause), 0);
  const helpers = window.reduce(
    (sum, g) =>
      sum +
      Object.entries(g.json).reduce(
        (s, [k, v]) => (k.startsWith("background.") ? s + Number(v) : s),
        0,
      ),
    0,
  );
  // The workers' isolates: every other isolate collecting during the window.
  const workerGcs = gcs.slice(start, end).filter((g) => g.isolate !== isolate);
  const workerPause = workerGcs.reduce((sum, g) => sum + Number(g.json.pause), 0);
  // Counted from each worker's second GC on: its first counts from its start-up.
  const seen = new Set<string>();
  const workerAllocated = workerGcs.reduce((sum, g) => {
    if (!seen.has(g.isolate)) return seen.add(g.isolate), sum;
    return sum + Number(g.json.allocated);
  }, 0);
  return {
    workerScavenges: workerGcs.filter((g) => g.json.gc === "s").length,
    workerGcPerCall: (workerPause * 1000) / calls,
    workerAllocatedPerCall: workerAllocated / calls,
    cpuPerCall: cpuNsPerCall / 1000,
    processCpuPerCall: processUsPerCall,
    scavenges: scavenges.length,
    survivedPerScavenge: scavenges.length ? survived / scavenges.length : 0,
    survivedMedian: median(scavenges.map((g) => Number(g.json.new_space_survived))),
    allocatedPerCall: allocated / calls,
    gcPerCall: (pause * 1000) / calls,
    gcHelpersPerCall: (helpers * 1000) / calls,
    perSecond,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[sorted.length >> 1];
}

function range(values: number[], digits: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(digits);
  return `${f(sorted[0])}–${f(sorted.at(-1)!)} (median ${f(sorted[sorted.length >> 1])})`;
}

if (import.meta.main) {
  if (Deno.args[0] === "--child") {
    await child(Deno.args[1], Deno.args[2] as "raw" | "baton", Number(Deno.args[3]));
  } else {
    const baseAt = Deno.args.indexOf("--base");
    const base = baseAt >= 0 ? Deno.args[baseAt + 1] : undefined;
    const rest = baseAt >= 0 ? Deno.args.toSpliced(baseAt, 2) : Deno.args;
    const calls = Number(rest[0] ?? 100_000);
    const rounds = Number(rest[1] ?? 4);
    const subjects: { name: string; root: string; subject: "raw" | "baton" }[] = [
      { name: "raw", root: here, subject: "raw" },
      ...(base ? [{ name: "baton (base)", root: base, subject: "baton" as const }] : []),
      { name: base ? "baton (this)" : "baton", root: here, subject: "baton" },
    ];
    const samples = new Map<string, Sample[]>(subjects.map((s) => [s.name, []]));
    console.log(`${calls.toLocaleString("en-US")} calls per child, 64 in flight, ${rounds} rounds`);
    for (let round = 0; round < rounds; round++) {
      // Rotate the order so no subject always runs first.
      for (let k = 0; k < subjects.length; k++) {
        const { name, root, subject } = subjects[(round + k) % subjects.length];
        const s = await sample(root, subject, calls);
        samples.get(name)!.push(s);
        console.log(
          `round ${round + 1} ${name.padEnd(13)} cpu ${s.cpuPerCall.toFixed(2)} µs/call ` +
            `(process ${s.processCpuPerCall.toFixed(2)}), ` +
            `${s.scavenges} scavenges keeping ${(s.survivedPerScavenge / 1000).toFixed(0)} kB ` +
            `(median ${(s.survivedMedian / 1000).toFixed(0)} kB), ` +
            `${Math.round(s.allocatedPerCall)} B allocated/call, ` +
            `gc ${s.gcPerCall.toFixed(2)} µs/call (+${s.gcHelpersPerCall.toFixed(2)} helpers); ` +
            `workers: ${s.workerScavenges} scavenges, ${Math.round(s.workerAllocatedPerCall)} B ` +
            `allocated/call, gc ${s.workerGcPerCall.toFixed(2)} µs/call; ${
              Math.round(s.perSecond)
            } calls/s`,
        );
      }
    }
    for (const [name, list] of samples) {
      console.log(
        `${name.padEnd(13)} cpu µs/call ${range(list.map((s) => s.cpuPerCall), 2)}; ` +
          `process ${range(list.map((s) => s.processCpuPerCall), 2)}; ` +
          `kB kept/scavenge ${range(list.map((s) => s.survivedPerScavenge / 1000), 0)}, ` +
          `median ${range(list.map((s) => s.survivedMedian / 1000), 0)}; ` +
          `B allocated/call ${range(list.map((s) => s.allocatedPerCall), 0)}; ` +
          `gc µs/call ${range(list.map((s) => s.gcPerCall), 2)}, ` +
          `helpers ${range(list.map((s) => s.gcHelpersPerCall), 2)}; ` +
          `workers' B allocated/call ${range(list.map((s) => s.workerAllocatedPerCall), 0)}, ` +
          `gc µs/call ${range(list.map((s) => s.workerGcPerCall), 2)}`,
      );
    }
  }
}
