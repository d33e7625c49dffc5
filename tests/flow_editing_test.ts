// Graph editing (remove, requires {remove}, bypassAndRemove, keepOnly, keepOnlyBetween),
// nested flows included; iterateJobs; sequences that grow; what may not change while running.
import assert from "node:assert/strict";
import { Flow, type Job, job, Sequence } from "../mod.ts";
import { sleep } from "./flow_helpers.ts";

const labels = (jobs: Iterable<Job>) => [...jobs].map((j) => j.label);
const named = (flow: Flow, ...names: string[]) =>
  names.map((label) => flow.add(job(sleep, 1), { label }));

Deno.test("remove(): the job leaves its flow; requirements on it wait for sanitize()", async () => {
  const flow = new Flow();
  const [a, b, c] = named(flow, "a", "b", "c");
  b.requires(a);
  c.requires(b);
  assert.equal(flow.remove(b), flow);
  assert.deepEqual(labels(flow), ["a", "c"]);
  assert.equal(b.flow, undefined);
  // As in asynciojobs, c still requires b, now outside: run() refuses, sanitize() drops it.
  assert.ok(c.requirements.has(b));
  await assert.rejects(flow.run(), /requires job "b", which is in no flow.*sanitize/);
  assert.equal(flow.sanitize(), false);
  assert.equal(c.requirements.size, 0);
  // b may go to another flow now (where its requirement on a is outside, in turn).
  const again = new Flow(b);
  assert.equal(again.sanitize(), false);
  assert.equal(await again.run(), true);
  assert.throws(() => new Flow().remove(job(sleep, 1)), /is not in flow "flow"/);
});

Deno.test("requires(..., { remove: true }) drops requirements, and says when one is not there", () => {
  const [a, b, c] = [1, 2, 3].map((n) => job(sleep, n));
  c.requires(a, b);
  c.requires([a], { remove: true });
  assert.deepEqual([...c.requirements], [b]);
  assert.throws(
    () => c.requires(a, { remove: true }),
    /job "sleep\(3\)" does not require job "sleep\(1\)", so it cannot be removed/,
  );
  assert.throws(() => c.requires(b, { remov: true } as never), /did you mean "remove"\?/);
  // A sequence stands for its last job there too.
  const seq = Sequence(job(sleep, 4), job(sleep, 5));
  c.requires(seq);
  c.requires(seq, { remove: true });
  assert.deepEqual([...c.requirements], [b]);
});

Deno.test("many requirements stay deduplicated (indexed past a few)", () => {
  const hub = job(sleep, 1);
  const others = Array.from({ length: 100 }, () => job(sleep, 1));
  hub.requires(others);
  hub.requires(others);
  assert.equal(hub.requirements.size, 100);
  hub.requires(others.slice(0, 90), { remove: true });
  assert.equal(hub.requirements.size, 10);
  hub.requires(others);
  assert.equal(hub.requirements.size, 100);
});

Deno.test("bypassAndRemove() and remove() reach jobs of nested flows", async () => {
  const inner = new Flow({ label: "inner" });
  const [x, y, z] = named(inner, "x", "y", "z");
  y.requires(x);
  z.requires(y);
  const before = job(sleep, 1);
  const outer = new Flow(Sequence(before, inner));
  outer.bypassAndRemove(y);
  assert.deepEqual(labels(inner), ["x", "z"]);
  assert.deepEqual([...z.requirements], [x]);
  assert.equal(outer.sanitize(), true);
  outer.remove(z);
  assert.deepEqual(labels(inner), ["x"]);
  assert.equal(await outer.run(), true);
  assert.throws(() => inner.bypassAndRemove(before), /is not in flow "inner"/);
});

Deno.test("bypassAndRemove() of a nested flow links its requirements to its successors", () => {
  const flow = new Flow();
  const [a] = named(flow, "a");
  const inner = flow.add(new Flow(job(sleep, 1), { label: "inner" }), { requires: a });
  const [b] = named(flow, "b");
  b.requires(inner);
  flow.bypassAndRemove(inner);
  assert.deepEqual([...b.requirements], [a]);
  assert.deepEqual(labels(flow), ["a", "b"]);
});

Deno.test("keepOnly(): a nested flow that holds a kept job is kept and pruned; listed flows stay whole", () => {
  const deep = new Flow({ label: "deep" });
  const [d1, d2] = named(deep, "d1", "d2");
  const inner = new Flow({ label: "inner" });
  const [i1] = named(inner, "i1");
  inner.add(deep);
  const whole = new Flow({ label: "whole" });
  named(whole, "w1", "w2");
  const flow = new Flow({ label: "top" });
  const [t1, t2] = named(flow, "t1", "t2");
  flow.add(inner);
  flow.add(whole);
  t2.requires(t1);
  d2.requires(d1);
  const stranger = job(sleep, 1);
  flow.keepOnly([t2, d2, whole, stranger, null]);
  assert.deepEqual(labels(flow), ["t2", "inner", "whole"]);
  assert.deepEqual(labels(inner), ["deep"]);
  assert.deepEqual(labels(deep), ["d2"]);
  assert.deepEqual(labels(whole), ["w1", "w2"]);
  // Requirements on what went are dropped (sanitize), nested ones included.
  assert.equal(t2.requirements.size, 0);
  assert.equal(d2.requirements.size, 0);
  assert.equal(i1.flow, undefined);
  assert.equal(stranger.flow, undefined);
  assert.throws(() => flow.keepOnly([42 as never]), /takes jobs and sequences, got 42/);
});

Deno.test("keepOnlyBetween() applies to the nested flow that holds the starts and ends", () => {
  const inner = new Flow({ label: "inner" });
  const [a, b, c, d] = named(inner, "a", "b", "c", "d");
  b.requires(a);
  c.requires(b);
  d.requires(c);
  const head = job(sleep, 1);
  const outer = new Flow(Sequence(head, inner));
  outer.keepOnlyBetween({ starts: b, ends: [c] });
  assert.deepEqual(labels(inner), ["b", "c"]);
  assert.deepEqual(labels(outer), ["sleep(1)", "inner"]);
  assert.equal(b.requirements.size, 0);
  inner.keepOnlyBetween({ starts: [b], ends: [c], keepStarts: false, keepEnds: false });
  assert.deepEqual(labels(inner), []);
  // No starts and no ends: no constraint, everything stays.
  const all = new Flow();
  named(all, "p", "q");
  all.keepOnlyBetween({});
  assert.equal(all.size, 2);
});

Deno.test("keepOnlyBetween(): starts and ends in different flows, or outside, are refused", () => {
  const inner = new Flow({ label: "inner" });
  const [x] = named(inner, "x");
  const outer = new Flow({ label: "outer" });
  const [a] = named(outer, "a");
  outer.add(inner);
  assert.throws(
    () => outer.keepOnlyBetween({ starts: [a], ends: [x] }),
    /starts and ends must be in one flow, got jobs of flows "outer", "inner"/,
  );
  assert.throws(
    () => outer.keepOnlyBetween({ starts: [job(sleep, 1)] }),
    /is not in flow "outer" nor in a flow nested in it/,
  );
  assert.throws(
    () => outer.keepOnlyBetween({ starts: [a], keep_starts: false } as never),
    /Unknown option "keep_starts" in flow.keepOnlyBetween\(\) options: use "keepStarts"/,
  );
});

Deno.test("iterateJobs(): every depth, flows first, or leaf jobs only", () => {
  const inner = new Flow({ label: "inner" });
  named(inner, "i1", "i2");
  const flow = new Flow({ label: "top" });
  named(flow, "a");
  flow.add(inner);
  named(flow, "b");
  assert.deepEqual(labels(flow.iterateJobs()), ["top", "a", "inner", "i1", "i2", "b"]);
  assert.deepEqual(labels(flow.iterateJobs({ nested: false })), ["a", "i1", "i2", "b"]);
  assert.throws(
    () => flow.iterateJobs({ scan_schedulers: true } as never),
    /Unknown option "scan_schedulers" in flow.iterateJobs\(\) options: use "nested"/,
  );
  // A flow is iterable over its own jobs, and has a size.
  assert.deepEqual(labels(flow), ["a", "inner", "b"]);
  assert.equal(flow.size, 3);
});

Deno.test("a sequence added to a flow keeps it in step as it grows; not once the flow ran", async () => {
  const flow = new Flow();
  const seq = flow.add(Sequence(job(sleep, 1)));
  seq.append(job(sleep, 2), Sequence(job(sleep, 3), job(sleep, 4)), null);
  assert.equal(flow.size, 4);
  assert.deepEqual(flow.topologicalOrder(), seq.jobs);
  assert.equal(await flow.run(), true);
  assert.throws(
    () => seq.append(job(sleep, 5)),
    /flow "flow" has already run: cannot append jobs to one of its sequences/,
  );
  assert.equal(seq.jobs.length, 4);
});

Deno.test("the graph may not change while the flow runs", async () => {
  const flow = new Flow();
  const [a] = named(flow, "a");
  const seq = flow.add(Sequence(job(sleep, 20)));
  const errors: string[] = [];
  flow.onJobStarted(() => {
    for (
      const edit of [
        () => flow.add(job(sleep, 1)),
        () => flow.remove(a),
        () => flow.bypassAndRemove(a),
        () => flow.keepOnly([a]),
        () => flow.keepOnlyBetween({ starts: [a] }),
        () => seq.append(job(sleep, 1)),
      ]
    ) {
      try {
        edit();
        errors.push("accepted");
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
  }, { maxCalls: 1 });
  assert.equal(await flow.run(), true);
  assert.equal(errors.length, 6);
  for (const message of errors) assert.match(message, /flow "flow" is running: cannot/);
  assert.equal(flow.size, 2);
});

Deno.test("new Flow() and update() skip null and undefined and flatten lists", () => {
  const [a, b, c] = [1, 2, 3].map((n) => job(sleep, n));
  const flow = new Flow(null, [a, [b, undefined]], undefined, { label: "lists" });
  flow.update([c, null, []]);
  assert.deepEqual(flow.jobs, [a, b, c]);
  assert.equal(flow.label, "lists");
  assert.throws(
    () => flow.update([42 as never]),
    /flow.add\(\) takes a job, a flow or a sequence, got 42/,
  );
});

Deno.test("graph queries take several jobs, exitJobs() leaves out forever jobs", () => {
  const flow = new Flow();
  const [a, b, c, d] = named(flow, "a", "b", "c", "d");
  const ticker = flow.add(job(sleep, 1), { label: "ticker", forever: true });
  c.requires(a);
  d.requires(b);
  assert.deepEqual(labels(flow.successors(a, b)), ["c", "d"]);
  assert.deepEqual(labels(flow.predecessors(c, d)), ["a", "b"]);
  assert.deepEqual(labels(flow.allSuccessors(a, b)), ["c", "d"]);
  assert.deepEqual(labels(flow.exitJobs()), ["c", "d"]);
  assert.deepEqual(labels(flow.exitJobs({ discardForever: false })), ["c", "d", "ticker"]);
  assert.deepEqual(labels(flow.entryJobs()), ["a", "b", "ticker"]);
  assert.ok(ticker.forever);
  assert.throws(() => flow.exitJobs({ forever: true } as never), /Unknown option "forever"/);
});
