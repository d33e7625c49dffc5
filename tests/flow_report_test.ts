import assert from "node:assert/strict";
import { Flow, job } from "../mod.ts";
import { boom, sleep } from "./flow_helpers.ts";

Deno.test("list() shows every combination of state, outcome, critical and forever", async () => {
  const flow = new Flow({ label: "states", window: 2, critical: false });
  const long = function (this: { signal: AbortSignal }) {
    return sleep.call(this, 5000);
  };
  const add = (
    label: string,
    fn: (this: { signal: AbortSignal }) => Promise<unknown>,
    critical: boolean,
    forever = false,
  ) => flow.add(job(fn), { label, critical, forever });
  add("d1", () => Promise.resolve(1), true);
  add("d2", function (this: { signal: AbortSignal }) {
    return boom.call(this, 5, "d2 boom");
  }, false);
  const r1 = add("r1", long, true);
  const r2 = add("r2", long, false);
  add("s1", long, true);
  add("s2", long, false);
  add("f1", long, true, true);
  add("i1", long, true).requires(r1);
  add("i2", long, false, true).requires(r1);
  let during = "", duringAscii = "", stats = "";
  flow.onJobStarted((j) => {
    if (j !== r2) return;
    during = flow.list({ ascii: false });
    duringAscii = flow.list({ ascii: true });
    stats = flow.stats();
    queueMicrotask(() => flow.stop("snapshot taken"));
  });
  assert.equal(await flow.run(), false);
  assert.equal(
    during,
    [
      "01 ⚠ ☉ ☓   d1 => 1",
      "02   ★ ☓   d2 !! Error: d2 boom",
      "03 ⚠ ☉ ↺   r1",
      "04   ☉ ↺   r2",
      "05 ⚠   ⚑   s1",
      "06     ⚑   s2",
      "07 ⚠ ☉ ↺ ∞ f1",
      "08 ⚠   ⚐   i1 - requires {03}",
      "09     ⚐ ∞ i2 - requires {03}",
    ].join("\n"),
  );
  assert.equal(
    duringAscii,
    [
      "01 C o x   d1 => 1",
      "02   E x   d2 !! Error: d2 boom",
      "03 C o R   r1",
      "04   o R   r2",
      "05 C   s   s1",
      "06     s   s2",
      "07 C o R ~ f1",
      "08 C   .   i1 - requires {03}",
      "09     . ~ i2 - requires {03}",
    ].join("\n"),
  );
  assert.equal(stats, "2 done + 3 running + 2 scheduled + 2 idle = 9 jobs");
  const after = flow.list({ ascii: false }).split("\n");
  assert.equal(after[2], "03 ⚠ ☉ ↺   r1 [cancelled]");
  assert.equal(after[6], "07 ⚠ ☉ ↺ ∞ f1 [cancelled]");
  assert.equal(flow.stats(), "2 done + 3 cancelled + 0 running + 2 scheduled + 2 idle = 9 jobs");
});

Deno.test("list() shows a critical exception and indents nested flows", async () => {
  const inner = new Flow({ label: "inner", critical: false });
  inner.add(job(() => "x"), { label: "x" });
  inner.add(job(boom, 1, "inner boom"), { label: "crit", critical: true });
  const flow = new Flow({ label: "outer" });
  flow.add(inner);
  const after = flow.add(job(() => 2), { label: "after", critical: false });
  after.requires(inner);
  assert.equal(await flow.run(), true);
  assert.equal(
    flow.list({ ascii: false }),
    [
      "01   ☉ ☓   inner => false",
      '    01 ⚠ ☉ ☓   x => "x"',
      "    02 ⚠ ★ ☓   crit !! CRITICAL Error: inner boom",
      "02   ☉ ☓   after => 2 - requires {01}",
    ].join("\n"),
  );
});

Deno.test("debrief() says why, counts, and shows each failure with its stack", async () => {
  const flow = new Flow({ label: "main", critical: false });
  flow.add(job(() => 1), { label: "ok" });
  flow.add(job(boom, 1, "first"), { label: "soft", critical: false });
  const inner = flow.add(new Flow({ label: "inner", critical: false }));
  inner.add(job(boom, 1, "deep"), { label: "deep" });
  assert.equal(await flow.run(), true);
  const text = flow.debrief({ ascii: true });
  const lines = text.split("\n");
  assert.equal(lines[0], 'flow "main": FINE');
  assert.equal(lines[1], "3 done + 0 running + 0 idle = 3 jobs");
  assert.match(text, /--- 2 jobs raised an exception/);
  assert.match(text, /\* soft:\n {4}Error: first\n {8}at /);
  assert.match(text, /\* inner \/ deep \(critical\):\n {4}Error: deep/);
});

Deno.test("why() before, during and after a run", async () => {
  const flow = new Flow(job(sleep, 20));
  assert.equal(flow.why(), "NOT RUN yet");
  let during = "";
  flow.onJobStarted(() => during = flow.why());
  await flow.run();
  assert.equal(during, "RUNNING");
  assert.equal(flow.why(), "FINE");
});

Deno.test("toDot(): asynciojobs' legend, readable by default; nested flows as clusters", () => {
  const flow = new Flow({ label: 'main "quoted"' });
  const a = flow.add(job(sleep, 1), { label: "a", critical: true });
  const b = flow.add(job(sleep, 1), { label: "b", critical: false, forever: true });
  const inner = flow.add(new Flow({ label: "inner", critical: false }));
  const x = inner.add(job(sleep, 1), { label: "x", critical: false });
  const y = inner.add(job(sleep, 1), { label: "y\nline 2" });
  y.requires(x);
  inner.requires(a);
  b.requires(inner);
  const dot = flow.toDot();
  const lines = dot.split("\n").map((l) => l.trim());
  assert.equal(lines[0], 'digraph "main \\"quoted\\"" {');
  assert.ok(lines.includes("compound=true;"));
  // Critical: red, a little thicker; non-critical: thin black; forever: dashed; jobs rounded.
  assert.ok(lines.includes('j1 [label="a", style="rounded", color="#cc0000", penwidth=1.5];'));
  assert.ok(lines.includes('j2 [label="b", style="rounded,dashed", color=black, penwidth=0.5];'));
  assert.ok(lines.includes("subgraph cluster_j3 {"));
  assert.ok(lines.includes('label="inner";'));
  // A nested flow keeps square corners: no "rounded" style for the cluster.
  const cluster = lines.slice(
    lines.indexOf("subgraph cluster_j3 {"),
    lines.indexOf("subgraph cluster_j3 {") + 5,
  );
  assert.ok(cluster.includes("color=black;") && !cluster.some((l) => l.startsWith("style=")));
  assert.ok(lines.includes('j3_1 [label="x", style="rounded", color=black, penwidth=0.5];'));
  assert.ok(
    lines.includes('j3_2 [label="y\\nline 2", style="rounded", color="#cc0000", penwidth=1.5];'),
  );
  assert.ok(!dot.includes("penwidth=3"), "no job is drawn thick by default");
  assert.ok(lines.includes("j3_1 -> j3_2;"));
  assert.ok(lines.includes("j1 -> j3 [lhead=cluster_j3];"));
  assert.ok(lines.includes("j3 -> j2 [ltail=cluster_j3];"));
  assert.equal(lines.filter((l) => l.includes("->")).length, 3);
  assert.equal(dot.split("{").length, dot.split("}").length);
  assert.equal(lines.at(-2), "}");
});

Deno.test("Deno.inspect of a flow shows its stats and listing", () => {
  const flow = new Flow(job(sleep, 1), { label: "shown" });
  assert.match(Deno.inspect(flow), /^Flow "shown" \(0 done \+ 0 running \+ 1 idle = 1 job\)\n01/);
});
