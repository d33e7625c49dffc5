/**
 * Orchestration overhead of a flow: µs per job for no-op jobs arranged as a
 * chain, a fan-out and a random DAG with ~3 requirements per job, at 1k,
 * 10k and 100k jobs. Building the graph is timed apart from running it.
 *
 * Run: `deno run -A bench/flow.ts` (or `deno run -A bench/flow.ts 1000 10000`)
 *
 * @module
 */

import { Flow, type Job, job } from "../mod.ts";

type Shape = "chain" | "fan-out" | "random DAG";

function noop(): Promise<void> {
  return Promise.resolve();
}

/** A small deterministic generator, so every run builds the same DAG. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

function build(shape: Shape, n: number): { flow: Flow; edges: number } {
  const jobs: Job[] = [];
  for (let i = 0; i < n; i++) jobs.push(job(noop));
  let edges = 0;
  if (shape === "chain") {
    for (let i = 1; i < n; i++, edges++) jobs[i].requires(jobs[i - 1]);
  } else if (shape === "fan-out") {
    for (let i = 1; i < n; i++, edges++) jobs[i].requires(jobs[0]);
  } else {
    const rand = random(42);
    for (let i = 1; i < n; i++) {
      const k = Math.min(i, 3);
      for (let e = 0; e < k; e++) {
        const before = Math.floor(rand() * i);
        const size = jobs[i].requirements.size;
        jobs[i].requires(jobs[before]);
        edges += jobs[i].requirements.size - size;
      }
    }
  }
  // add() one by one: spreading 100k jobs into the constructor would overflow the stack.
  const flow = new Flow({ label: shape });
  for (const j of jobs) flow.add(j);
  return { flow, edges };
}

async function measure(shape: Shape, n: number) {
  const t0 = performance.now();
  const { flow, edges } = build(shape, n);
  const t1 = performance.now();
  const ok = await flow.run();
  const t2 = performance.now();
  if (!ok) throw new Error(`${shape} of ${n} jobs did not succeed: ${flow.why()}`);
  const done = flow.jobs.filter((j) => j.isDone()).length;
  if (done !== n) throw new Error(`${shape}: only ${done} of ${n} jobs done`);
  return { shape, n, edges, buildMs: t1 - t0, runMs: t2 - t1 };
}

const sizes = Deno.args.length ? Deno.args.map(Number) : [1_000, 10_000, 100_000];
// Warm up the JIT so the first row is not an outlier.
for (const shape of ["chain", "fan-out", "random DAG"] as Shape[]) await measure(shape, 2_000);

const rows: string[][] = [[
  "shape",
  "jobs",
  "edges",
  "build ms",
  "run ms",
  "run µs/job",
  "total µs/job",
  "run ns/(job+edge)",
]];
for (const shape of ["chain", "fan-out", "random DAG"] as Shape[]) {
  for (const n of sizes) {
    const r = await measure(shape, n);
    rows.push([
      r.shape,
      String(r.n),
      String(r.edges),
      r.buildMs.toFixed(1),
      r.runMs.toFixed(1),
      (1000 * r.runMs / r.n).toFixed(2),
      (1000 * (r.buildMs + r.runMs) / r.n).toFixed(2),
      (1e6 * r.runMs / (r.n + r.edges)).toFixed(0),
    ]);
  }
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
for (const [i, row] of rows.entries()) {
  console.log(
    row.map((cell, c) => c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join("  "),
  );
  if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
}
console.log("\ntarget: < 20 µs/job of orchestration (run µs/job), linear in jobs + edges");
