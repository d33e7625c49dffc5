// shutdown(): explicit, once per job however often it is called, bounded by shutdownTimeout.
import assert from "node:assert/strict";
import { Flow, Job, job } from "../mod.ts";
import { sleep, timed } from "./flow_helpers.ts";

/** A job that counts its shutdowns, which take `ms` (cut short by the signal). */
class Holder extends Job<string> {
  shutdowns = 0;
  signals: AbortSignal[] = [];
  constructor(label: string, readonly ms = 0, readonly fails = false) {
    super(label);
  }
  protected execute(): Promise<string> {
    return Promise.resolve(this.label);
  }
  override async shutdown(signal: AbortSignal): Promise<void> {
    this.shutdowns++;
    this.signals.push(signal);
    if (this.ms) await sleep.call({ signal }, this.ms);
    if (this.fails) throw new Error(`${this.label} cannot let go`);
  }
}

Deno.test("shutdown() is not called by run(); when called, each job's runs once", async () => {
  const a = new Holder("a"), b = new Holder("b");
  const inner = new Flow(b, { label: "inner" });
  const flow = new Flow(a, inner);
  assert.equal(await flow.run(), true);
  assert.equal(a.shutdowns + b.shutdowns, 0, "run() does not shut down");
  const [first, second] = [flow.shutdown(), flow.shutdown()];
  assert.equal(first, second, "the same promise");
  assert.equal(await first, true);
  assert.equal(await flow.shutdown(), true);
  assert.equal(await inner.shutdown(), true);
  assert.deepEqual([a.shutdowns, b.shutdowns], [1, 1]);
  // Jobs that never ran are shut down too (their shutdown may look at their state).
  const idle = new Holder("idle");
  assert.equal(await new Flow(idle).shutdown(), true);
  assert.equal(idle.shutdowns, 1);
});

Deno.test("shutdown() is bounded by shutdownTimeout (default 1s) and aborts what is late", async () => {
  assert.equal(new Flow().shutdownTimeout, 1000);
  const quick = new Holder("quick", 10), slow = new Holder("slow", 5000);
  const flow = new Flow(quick, slow, { shutdownTimeout: "100ms" });
  await flow.run();
  const [inTime, ms] = await timed(() => flow.shutdown());
  assert.equal(inTime, false);
  assert.ok(ms >= 90 && ms < 2000, `took ${ms}ms`);
  assert.equal(slow.signals[0].aborted, true);
  assert.match(String(slow.signals[0].reason), /took longer than 100ms/);
  assert.equal(quick.signals[0].aborted, true, "the one signal of the shutdown aborts");
  // A nested flow that was late makes the outer one late too.
  const late = new Flow(new Holder("late", 5000), { shutdownTimeout: 50 });
  const outer = new Flow(late, { shutdownTimeout: "2s" });
  await outer.run();
  assert.equal(await outer.shutdown(), false);
});

Deno.test("shutdown() rejects with what the jobs' shutdowns threw, once all are done", async () => {
  const good = new Holder("good", 20), bad = new Holder("bad", 0, true);
  const flow = new Flow(good, bad, { label: "main" });
  await flow.run();
  await assert.rejects(flow.shutdown(), (error: unknown) => {
    assert.ok(error instanceof AggregateError);
    assert.match(error.message, /flow "main": 1 job shutdown threw/);
    assert.deepEqual(error.errors.map((e: Error) => e.message), ["bad cannot let go"]);
    return true;
  });
  assert.equal(good.shutdowns, 1);
});

Deno.test("shutdown() is refused while the flow runs", async () => {
  const flow = new Flow(job(sleep, 30));
  let refused: unknown;
  flow.onJobStarted(() => {
    flow.shutdown().catch((error) => refused = error);
  });
  assert.equal(await flow.run(), true);
  assert.match(String(refused), /is running: call shutdown\(\) once run\(\) has settled/);
  assert.equal(await flow.shutdown(), true);
});

Deno.test("Flow option shutdownTimeout is checked", () => {
  assert.throws(() => new Flow({ shutdownTimeout: "soon" }), /Invalid duration: "soon"/);
  assert.throws(
    () => new Flow({ shutdown_timeout: 1 } as never),
    /Unknown option "shutdown_timeout" in new Flow\(\) options \(did you mean "shutdownTimeout"\?\)/,
  );
});
