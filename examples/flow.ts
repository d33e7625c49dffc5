/**
 * asynciojobs' README examples A–F, the window and nesting, with baton's
 * Flow; then what baton adds: results between jobs, command output as it
 * comes, graph editing and a Graphviz file (and SVG when Graphviz is there).
 *
 * Run: `deno task example:flow` (writes the files into a temp dir, or next
 * to the path given as the first argument, e.g. `./flow.dot`)
 *
 * @module
 */

import { command, Flow, job, type JobContext, resultOf, Sequence } from "../mod.ts";

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(2)}s`;

/** Sleeps `ms` (cancellable), printing on the way in and out; returns `ms`. */
function inOut(this: JobContext, ms: number): Promise<number> {
  console.log(`${elapsed()} -> in_out(${ms})`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      console.log(`${elapsed()} <- in_out(${ms})`);
      resolve(ms);
    }, ms);
    this.signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(this.signal.reason);
    }, { once: true });
  });
}

/** Fails after `ms`. */
async function boom(this: JobContext, ms: number): Promise<never> {
  await inOut.call(this, ms);
  throw new Error(`boom after ${ms}ms`);
}

function title(text: string): void {
  console.log(`\n=== ${text}`);
}

title("A: three jobs in parallel");
const a = new Flow(job(inOut, 100), job(inOut, 200), job(inOut, 250), { label: "A" });
console.log("run() →", await a.run());
console.log(a.list());

title("B: requirements (b2 after b1, b3 alongside)");
const b1 = job(inOut, 100), b2 = job(inOut, 200), b3 = job(inOut, 250);
const b = new Flow({ label: "B" });
b.add(b1, { label: "b1" });
b.add(b2, { label: "b2", requires: b1 });
b.add(b3);
console.log("run() →", await b.run());
console.log(b.list());

title("B': the same with a Sequence");
const bp = new Flow(Sequence(job(inOut, 100), job(inOut, 200)), job(inOut, 250), { label: "B'" });
console.log("run() →", await bp.run());

title("C: a forever monitor loop, cancelled once the others are done");
const bus: string[] = [];
async function monitor(this: JobContext): Promise<never> {
  for (;;) {
    while (bus.length) console.log(`BUS: ${bus.shift()}`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, 50);
      this.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(this.signal.reason);
      }, { once: true });
    });
  }
}
async function inOutBus(this: JobContext, ms: number): Promise<number> {
  bus.push(`${elapsed()} -> ${ms}`);
  await new Promise((r) => setTimeout(r, ms));
  bus.push(`${elapsed()} <- ${ms}`);
  return ms;
}
const c = new Flow({ label: "C" });
const c1 = c.add(job(inOutBus, 200), { label: "c1" });
c.add(job(inOutBus, 400), { label: "c2" });
c.add(job(inOutBus, 300), { label: "c3", requires: c1 });
c.add(job(monitor), { label: "monitor", forever: true });
console.log("run() →", await c.run());
console.log(c.list());

title("D: a timeout; the only job runs forever, so the flow runs until the timeout: false");
async function forever(this: JobContext): Promise<never> {
  for (let i = 0;; i++) {
    console.log(`${elapsed()}: forever ${i}`);
    await inOut.call(this, 100);
  }
}
const d = new Flow({ label: "D", timeout: "250ms", critical: false });
d.add(job(forever), { forever: true });
console.log("run() →", await d.run(), "—", d.why());
console.log(d.list());

title("E: a non-critical failure does not stop its successors");
const e = new Flow({ label: "E", critical: false });
const eBoom = job(boom, 200);
e.add(Sequence(job(inOut, 200), eBoom, job(inOut, 300)));
eBoom.configure({ label: "boom", critical: false });
console.log("run() →", await e.run());
console.log(e.list());

title("F: a critical failure ends the flow; the last job never runs");
const f = new Flow({ label: "F", critical: false });
f.add(Sequence(job(inOut, 200), job(boom, 200), job(inOut, 300)));
console.log("run() →", await f.run(), "—", f.why());
console.log(f.debrief());

title("window: 8 jobs of 500ms, at most 4 at once ≈ 1s");
const w = new Flow({ label: "window", window: 4 });
for (let i = 0; i < 8; i++) w.add(job(inOut, 500));
const tw = performance.now();
await w.run();
console.log(`took ${((performance.now() - tw) / 1000).toFixed(2)}s`);

title("nesting: a diamond inside a sequence");
const sub = new Flow({ label: "critical nested" });
const s1 = sub.add(job(inOut, 100), { label: "subj1" });
const s2 = sub.add(job(inOut, 100), { label: "subj2", requires: s1 });
const s3 = sub.add(job(inOut, 100), { label: "subj3", requires: s1 });
sub.add(job(inOut, 100), { label: "subj4", requires: [s2, s3] });
const main = new Flow({ label: "main" });
main.add(Sequence(job(inOut, 100), sub, job(inOut, 100)));
console.log(main.list());
console.log("run() →", await main.run());
console.log(main.list());

title("results between jobs: resultOf(job) in the arguments, command output as it comes");
const results = new Flow({ label: "results" });
const listing = results.add(command(["sh", "-c", "echo alpha; sleep 0.2; echo beta"]));
results.add(
  job((lines: string[]) => lines.length, resultOf(listing, (r) => r.stdout.trim().split("\n"))),
  {
    label: "count lines",
  },
);
results.onJobOutput((from, text, stream) =>
  console.log(`[${from.label} ${stream}] ${text.trim()}`)
);
console.log("run() →", await results.run());
console.log(results.list());

title("graph editing: bypass a step, keep only a part");
const edit = new Flow({ label: "edit" });
const [e1, e2, e3, e4] = ["fetch", "clean", "train", "report"].map((label) =>
  edit.add(job(inOut, 10), { label })
);
edit.add(Sequence(e1, e2, e3, e4));
edit.bypassAndRemove(e2); // train now requires fetch
edit.keepOnlyBetween({ starts: [e1], ends: [e3] }); // report goes
console.log(edit.list({ ascii: true }));

const dotPath = Deno.args[0] ?? `${await Deno.makeTempDir({ prefix: "baton-flow-" })}/flow.dot`;
main.exportAsDotfile(dotPath);
console.log(`\nwrote ${dotPath}`);
try {
  console.log(`wrote ${await main.exportAsSvgfile(dotPath.replace(/\.dot$/, ""))}`);
} catch (error) {
  console.log(`(no SVG: ${(error as Error).message})`);
}
