import assert from "node:assert/strict";
import { Flow, job, Sequence, TimeoutError } from "../mod.ts";
import { boom, sleep, timed } from "./flow_helpers.ts";

/** A diamond of jobs taking about 2 × `ms`. */
function diamond(ms: number, label: string): Flow {
  const top = job(sleep, ms / 2), left = job(sleep, ms), right = job(sleep, ms);
  const bottom = job(sleep, ms / 2);
  left.requires(top);
  right.requires(top);
  bottom.requires(left, right);
  return new Flow(top, left, right, bottom, { label });
}

Deno.test("nesting: a nested flow runs as one job of a sequence", async () => {
  const inner = new Flow(job(sleep, 100), job(sleep, 200), { label: "inner" });
  const main = new Flow(Sequence(job(sleep, 100), inner, job(sleep, 100)));
  const [ok, ms] = await timed(() => main.run());
  assert.equal(ok, true);
  assert.equal(inner.result, true);
  assert.ok(ms >= 390 && ms < 1200, `took ${ms}ms`);
});

Deno.test("nesting: two diamonds in parallel between two jobs", async () => {
  const sub2 = diamond(100, "sub2"), sub3 = diamond(200, "sub3");
  const first = job(sleep, 100), last = job(sleep, 100);
  const main = new Flow(first, sub2, sub3, last);
  sub2.requires(first);
  sub3.requires(first);
  last.requires(sub2, sub3);
  // 100 + max(200, 400) + 100
  const [ok, ms] = await timed(() => main.run());
  assert.equal(ok, true);
  assert.ok(ms >= 580 && ms < 1500, `took ${ms}ms`);
  assert.ok(sub2.jobs.every((j) => j.isDone()));
});

Deno.test("nesting: the critical × non-critical truth table", async () => {
  for (const innerCritical of [true, false]) {
    for (const outerCritical of [true, false]) {
      const failing = job(boom, 5, "inner boom");
      const inner = new Flow(failing, { label: "inner", critical: innerCritical });
      const after = job(sleep, 5);
      after.requires(inner);
      const outer = new Flow(inner, after, { label: "outer", critical: outerCritical });
      const name = `inner ${innerCritical} / outer ${outerCritical}`;
      if (!innerCritical) {
        // The inner flow returns false: a result, not a failure.
        assert.equal(await outer.run(), true, name);
        assert.equal(inner.result, false, name);
        assert.equal(after.isDone(), true, name);
      } else if (outerCritical) {
        await assert.rejects(outer.run(), /inner boom/, name);
        assert.equal(after.state, "idle", name);
      } else {
        assert.equal(await outer.run(), false, name);
        assert.match((inner.error as Error).message, /inner boom/, name);
        assert.equal(outer.why(), "a CRITICAL job has raised an exception", name);
      }
    }
  }
});

Deno.test("nesting: an inner timeout rethrows a TimeoutError from a critical nested flow", async () => {
  const slow = job(sleep, 5000);
  const inner = new Flow(slow, { label: "inner", timeout: 50 });
  const outer = new Flow(inner, { critical: false });
  assert.equal(await outer.run(), false);
  assert.ok(inner.error instanceof TimeoutError);
  assert.equal(inner.why(), "TIMED OUT after 50ms");
  assert.equal(slow.cancelled, true);
});

Deno.test("nesting: the outer timeout cancels the inner flow's jobs", async () => {
  const slow = job(sleep, 5000);
  const inner = new Flow(slow, { label: "inner" });
  const outer = new Flow(inner, { timeout: 60, critical: false });
  const [ok, ms] = await timed(() => outer.run());
  assert.equal(ok, false);
  assert.ok(ms < 2000);
  assert.equal(inner.cancelled, true);
  assert.equal(slow.cancelled, true);
  assert.equal(inner.why(), "CANCELLED by its outer flow");
});

Deno.test("nesting: a nested flow cannot run alone, nor contain its outer flow", async () => {
  const inner = new Flow({ label: "inner" });
  const outer = new Flow(inner, { label: "outer" });
  await assert.rejects(inner.run(), /nested in flow "outer": run the outer flow/);
  assert.throws(() => inner.add(outer), /cannot be added to flow "inner", which it contains/);
});

Deno.test("nesting: requirements across flows are accepted, refused by run(), dropped by sanitize()", async () => {
  const a = job(sleep, 1), b = job(sleep, 1);
  const inner = new Flow(b, { label: "inner" });
  const outer = new Flow(a, inner, { label: "outer" });
  b.requires(a);
  await assert.rejects(
    outer.run(),
    /job "sleep\(1\)" of flow "inner" requires job "sleep\(1\)", which is in flow "outer": add it to this flow, or call flow.sanitize\(\)/,
  );
  // A requirement on a job of no flow too.
  const stray = job(sleep, 1, "stray");
  const c = inner.add(job(sleep, 1)).requires(stray);
  assert.equal(outer.sanitize(), false);
  assert.equal(b.requirements.size, 0);
  assert.equal(c.requirements.size, 0);
  assert.equal(await outer.run(), true);
});

Deno.test("nesting: Flow option forever makes a nested flow a forever job of its outer flow", async () => {
  const ticker = job(sleep, 5000);
  const background = new Flow(ticker, { label: "background", forever: true });
  assert.equal(background.forever, true);
  const work = job(sleep, 50);
  const outer = new Flow(work, background, { label: "outer" });
  const [ok, ms] = await timed(() => outer.run());
  assert.equal(ok, true);
  assert.ok(ms < 2000, `took ${ms}ms`);
  assert.equal(work.isDone(), true);
  assert.equal(background.cancelled, true);
  assert.equal(ticker.cancelled, true);
  assert.equal(background.why(), "CANCELLED by its outer flow");
  assert.throws(() => new Flow({ forever: "yes" } as never), /forever must be true or false/);
});
