import assert from "node:assert/strict";
import { CycleError, Flow, job } from "../mod.ts";
import { sleep } from "./flow_helpers.ts";

function chain(...labels: string[]) {
  return labels.map((label) => new Flow().add(job(sleep, 1), { label }));
}

Deno.test("cycles: checkCycles() and run() refusing a cyclic flow", async () => {
  const a = job(sleep, 1), b = job(sleep, 1), c = job(sleep, 1);
  const flow = new Flow({ label: "loop" });
  flow.add(a, { label: "a" });
  flow.add(b, { label: "b", requires: a });
  flow.add(c, { label: "c", requires: b });
  assert.equal(flow.checkCycles(), true);
  a.requires(c);
  assert.equal(flow.checkCycles(), false);
  assert.deepEqual(flow.findCycle()?.map((j) => j.label), ["a", "b", "c", "a"]);
  await assert.rejects(flow.run(), (error: unknown) => {
    assert.ok(error instanceof CycleError);
    assert.deepEqual(error.cycle, ["a", "b", "c", "a"]);
    assert.match(error.message, /flow "loop" has a cycle in its requirements: a → b → c → a/);
    return true;
  });
  assert.equal(b.state, "idle");
  assert.throws(() => flow.topologicalOrder(), CycleError);
  // The listing still works, marking the jobs on the cycle.
  assert.match(flow.list({ ascii: true }), /\(on a cycle\)/);
});

Deno.test("cycles: found in nested flows, before anything runs", async () => {
  const x = job(sleep, 1), y = job(sleep, 1);
  const inner = new Flow({ label: "inner" });
  inner.add(x, { label: "x" });
  inner.add(y, { label: "y", requires: x });
  x.requires(y);
  const first = job(sleep, 1);
  const outer = new Flow(first, inner);
  assert.equal(outer.checkCycles(), false);
  await assert.rejects(outer.run(), /flow "inner" has a cycle in its requirements: x → y → x/);
  assert.equal(first.state, "idle");
});

Deno.test("sanitize() drops requirements outside the flow, flat and nested; true when fine", async () => {
  const [outside] = chain("outside");
  const a = job(sleep, 1), b = job(sleep, 1);
  const flow = new Flow(a, b);
  b.requires(a);
  assert.equal(flow.sanitize(), true);
  const loose = job(sleep, 1);
  a.requires(loose);
  assert.equal(flow.sanitize(), false);
  assert.equal(flow.sanitize(), true);
  assert.equal(a.requirements.size, 0);
  assert.equal(b.requirements.size, 1);

  const x = job(sleep, 1);
  const inner = new Flow(x);
  const outer = new Flow(inner);
  x.requires(job(sleep, 1));
  assert.equal(outer.sanitize(), false);
  assert.equal(x.requirements.size, 0);
  assert.equal(await outer.run(), true);
  assert.equal(outside.requirements.size, 0);
});

Deno.test("graph queries: order, entries, exits, predecessors and successors", () => {
  const flow = new Flow();
  const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map((label) =>
    flow.add(job(sleep, 1), { label })
  );
  d.requires(b, c);
  b.requires(a);
  c.requires(a);
  e.requires(d);
  const labels = (jobs: { label: string }[]) => jobs.map((j) => j.label);
  assert.deepEqual(labels(flow.topologicalOrder()), ["a", "b", "c", "d", "e"]);
  assert.deepEqual(labels(flow.entryJobs()), ["a"]);
  assert.deepEqual(labels(flow.exitJobs()), ["e"]);
  assert.deepEqual(labels(flow.predecessors(d)), ["b", "c"]);
  assert.deepEqual(labels(flow.successors(a)), ["b", "c"]);
  assert.deepEqual(labels(flow.allPredecessors(e)).sort(), ["a", "b", "c", "d"]);
  assert.deepEqual(labels(flow.allSuccessors(b)), ["d", "e"]);
  assert.deepEqual(flow.allSuccessors(e), []);
  assert.throws(() => flow.predecessors(job(sleep, 1)), /is not in flow "flow"/);
});

Deno.test("topological order keeps insertion order among independent jobs", () => {
  const flow = new Flow();
  const jobs = ["z", "y", "x", "w"].map((label) => flow.add(job(sleep, 1), { label }));
  jobs[0].requires(jobs[3]);
  assert.deepEqual(flow.topologicalOrder().map((j) => j.label), ["y", "x", "w", "z"]);
});

Deno.test("a 2000-deep chain neither overflows the stack nor the cycle check", async () => {
  const flow = new Flow();
  let previous = flow.add(job(() => 0));
  for (let i = 1; i < 2000; i++) {
    previous = flow.add(job((n: number) => n, i), { requires: previous });
  }
  assert.equal(flow.checkCycles(), true);
  assert.equal(await flow.run(), true);
  assert.equal(previous.result, 1999);
});
