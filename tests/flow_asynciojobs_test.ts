// asynciojobs' own test suite (tests/ of parmentelat/asynciojobs 0.19.1), ported to baton.
// Each test keeps its asynciojobs name; durations are scaled down, timing bounds loosened
// (this machine is shared), and asynciojobs' synchronous `run()` becomes `await flow.run()`.
// Mapping: Scheduler/PureScheduler → Flow (a PureScheduler is a non-critical flow: it
// returns False instead of raising), Job(coro) → job(fn, ...args), AbstractJob subclass →
// Job subclass with execute(signal), required= → requires, jobs_window → window,
// len(s) → flow.size, job.required → job.requirements, raised_exception() → job.error.
import assert from "node:assert/strict";
import { Flow, Job, job, type JobContext, Sequence } from "../mod.ts";
import { sleep, timed } from "./flow_helpers.ts";

// ---------------------------------------------------------------- util.py

/** co_print_sleep(watch, duration, message): sleeps, returns "duration=…". */
function cps(seconds: number, label?: string): Job {
  const j = job(function (this: JobContext) {
    return sleep.call(this, seconds * 1000, `duration=${seconds}`);
  });
  if (label !== undefined) j.label = label;
  return j;
}

function diamondFromJobs(j1: Job, j2: Job, j3: Job, j4: Job): Flow {
  const diamond = new Flow();
  diamond.add(j1);
  diamond.add(j2);
  diamond.add(j3);
  diamond.add(j4);
  j2.requires(j1);
  j3.requires(j1);
  j4.requires(j2);
  j4.requires(j3);
  return diamond;
}

/** A diamond taking about `duration` seconds. */
function diamondScheduler(duration: number, msg: string): Flow {
  const diamond = new Flow();
  const top = diamond.add(cps(duration / 4), { label: `top ${msg}1` });
  const left = diamond.add(cps(duration / 2), { label: `left ${msg}`, requires: top });
  const right = diamond.add(cps(duration / 2), { label: `right ${msg}`, requires: top });
  diamond.add(cps(duration / 4), { label: `bottom ${msg}`, requires: [left, right] });
  return diamond;
}

/** `nbPipes` pipes of 2 jobs, about `duration` seconds. */
function pipes(duration: number, msg: string, nbPipes = 2): Flow {
  const sched = new Flow();
  for (let i = 1; i <= nbPipes; i++) {
    const top = cps(duration / 2, `top${i} ${msg}`);
    const bottom = cps(duration / 2, `bot${i} ${msg}`).requires(top);
    sched.update([top, bottom]);
  }
  return sched;
}

let hasDot: boolean | undefined;
function dotInstalled(): boolean {
  if (hasDot === undefined) {
    try {
      hasDot = new Deno.Command("dot", { args: ["-V"], stderr: "null", stdout: "null" })
        .outputSync().success;
    } catch {
      hasDot = false;
    }
  }
  return hasDot;
}

/** produce_svg(scheduler, name): the .dot always, the .svg when Graphviz is installed. */
async function produceSvg(flow: Flow, name: string): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "baton-aj-" });
  try {
    const dot = flow.exportAsDotfile(`${dir}/${name}.dot`);
    assert.match(await Deno.readTextFile(dot), /^digraph /);
    if (dotInstalled()) {
      const svg = await flow.exportAsSvgfile(`${dir}/${name}`);
      assert.equal(svg, `${dir}/${name}.svg`);
      assert.match(await Deno.readTextFile(svg), /<svg/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// ---------------------------------------------------------------- test_basics.py

/** SleepJob: an AbstractJob subclass. */
class SleepJob extends Job<number> {
  constructor(readonly timeout: number) {
    super(`Sleep for ${timeout}s`);
  }
  protected execute(signal: AbortSignal): Promise<number> {
    return sleep.call({ signal }, this.timeout * 1000, this.timeout) as Promise<number>;
  }
}

/** TickJob: a forever AbstractJob subclass. */
class TickJob extends Job<never> {
  ticks = 0;
  constructor(readonly cycle: number) {
    super(`Cyclic tick every ${cycle}s`);
    this.forever = true;
  }
  protected async execute(signal: AbortSignal): Promise<never> {
    for (;;) {
      this.ticks++;
      await sleep.call({ signal }, this.cycle * 1000);
    }
  }
}

function coException(this: JobContext, seconds: number): Promise<never> {
  return sleep.call(this, seconds * 1000).then(() => {
    throw new RangeError(String(1e6 * seconds));
  });
}

const SLJ = (s: number) => new SleepJob(s);

Deno.test("asynciojobs test_basics: test_empty", async () => {
  const s = new Flow({ critical: false });
  s.list();
  s.list({ details: true });
  assert.equal(await s.run(), true);
});

Deno.test("asynciojobs test_basics: test_cycle", () => {
  const [a1, a2, a3] = [cps(0.011), cps(0.012), cps(0.013)];
  a1.requires(a2);
  a2.requires(a3);
  a3.requires(a1);
  const sched = new Flow(a1, a2, a3, { critical: false });
  assert.equal(sched.checkCycles(), false);
});

Deno.test("asynciojobs test_basics: test_simple", async () => {
  const jobs = [SLJ(0.01), SLJ(0.02), SLJ(0.03), SLJ(0.04), SLJ(0.05), cps(0.06), cps(0.07)];
  const [a1, a2, a3, a4, a5, a6, a7] = jobs;
  a4.requires(a1, a2, a3);
  a5.requires(a4);
  a6.requires(a4);
  a7.requires(a5);
  a7.requires(a6);
  const sched = new Flow(...jobs, { critical: false });
  sched.list();
  assert.equal(sched.checkCycles(), true);
  assert.equal(await sched.run(), true);
  for (const j of jobs) assert.equal(j.error, undefined);
  sched.list();
  sched.debrief();
});

Deno.test("asynciojobs test_basics: test_forever1", async () => {
  const [a1, a2, t1] = [SLJ(0.1), SLJ(0.15), new TickJob(0.06)];
  a2.requires(a1);
  const sched = new Flow(a1, a2, t1, { critical: false });
  sched.list();
  assert.equal(await sched.run(), true);
  assert.ok(t1.ticks >= 2);
  sched.list();
});

Deno.test("asynciojobs test_basics: test_timeout1", async () => {
  const [a1, a2, a3] = [0.05, 0.06, 0.07].map(SLJ);
  a2.requires(a1);
  a3.requires(a2);
  const sched = new Flow(a1, a2, a3, { timeout: 100, critical: false });
  // Times out in the middle of stage 2.
  assert.equal(await sched.run(), false);
  assert.equal(sched.failedTimeOut(), true);
  assert.equal(a1.isDone(), true);
  assert.equal(a2.isDone(), false);
  sched.list();
});

Deno.test("asynciojobs test_basics: test_exc_non_critical", async () => {
  const a1 = SLJ(0.1);
  const a2 = job(coException, 0.05);
  const sched = new Flow({ critical: false });
  sched.add(a1);
  sched.add(a2, { label: "non critical boom", critical: false });
  assert.equal(await sched.run(), true);
  assert.ok(a2.error instanceof RangeError);
  sched.debrief();
});

Deno.test("asynciojobs test_basics: test_exc_critical", async () => {
  const a1 = SLJ(0.1);
  const a2 = job(coException, 0.05);
  const sched = new Flow({ critical: false });
  sched.add(a1);
  sched.add(a2, { label: "critical boom", critical: true });
  assert.equal(await sched.run(), false);
  assert.equal(sched.failedCritical(), true);
  assert.equal(sched.why(), "a CRITICAL job has raised an exception");
  sched.debrief();
});

Deno.test("asynciojobs test_basics: test_sequence1", async () => {
  const [a1, a2, a3] = ["1", "2", "3"].map((l) => cps(0.01, l));
  const sched = new Flow(Sequence(a1, a2, a3), { critical: false });
  sched.list();
  assert.equal(a1.requirements.size, 0);
  assert.equal(a2.requirements.size, 1);
  assert.equal(a3.requirements.size, 1);
  assert.equal(await sched.run(), true);
});

Deno.test("asynciojobs test_basics: test_sequence2", async () => {
  const [a1, a2, a3] = ["1", "2", "3"].map((l) => cps(0.01, l));
  const s = Sequence(a2, a3).requires(a1);
  const sched = new Flow(a1, s, { critical: false });
  assert.equal(a1.requirements.size, 0);
  assert.equal(a2.requirements.size, 1);
  assert.equal(a3.requirements.size, 1);
  assert.equal(await sched.run(), true);
});

Deno.test("asynciojobs test_basics: test_sequence3", async () => {
  const [a1, a2] = ["1", "2"].map((l) => cps(0.01, l));
  const s = Sequence(a1, a2);
  const a3 = cps(0.01, "3").requires(s);
  const sched = new Flow({ critical: false });
  sched.update([s, a3]);
  assert.equal(a1.requirements.size, 0);
  assert.equal(a2.requirements.size, 1);
  assert.equal(a3.requirements.size, 1);
  assert.equal(await sched.run(), true);
});

Deno.test("asynciojobs test_basics: test_sequence4", async () => {
  const [a1, a2, a3, a4] = ["1", "2", "3", "4"].map((l) => cps(0.01, l));
  const sched = new Flow(Sequence(Sequence(a1, a2), Sequence(a3, a4)), { critical: false });
  assert.equal(a1.requirements.size, 0);
  for (const j of [a2, a3, a4]) assert.equal(j.requirements.size, 1);
  assert.equal(await sched.run(), true);
});

Deno.test("asynciojobs test_basics: test_sequence5", async () => {
  const [a1, a2, a3, a4, a5, a6] = ["1", "2", "3", "4", "5", "6"].map((l) => cps(0.01, l));
  const s1 = Sequence(a1, a2);
  const s2 = Sequence(a3, a4).requires(s1);
  const s3 = Sequence(a5, a6).requires(s2);
  const sched = new Flow(s1, s2, s3, { critical: false });
  assert.equal(a1.requirements.size, 0);
  for (const j of [a2, a3, a4, a5, a6]) assert.equal(j.requirements.size, 1);
  assert.equal(await sched.run(), true);
});

Deno.test("asynciojobs test_basics: test_sequence6", async () => {
  const sched = new Flow({ critical: false });
  sched.add(Sequence(cps(0.01, "1"), cps(0.01, "2"), cps(0.01, "3")));
  assert.equal(await sched.run(), true);
});

Deno.test("asynciojobs test_basics: test_requires_job", () => {
  const [a1, a2, a3, a4, a5] = ["a1", "a2", "a3", "a4", "a5"].map((l) => cps(0.01, l));
  const b = () => cps(0.02);
  assert.equal(b().requires(null).requirements.size, 0);
  assert.equal(b().requires([null]).requirements.size, 0);
  assert.equal(b().requires(undefined).requirements.size, 0);
  assert.equal(b().requires(a1).requirements.size, 1);
  assert.equal(b().requires([a1]).requirements.size, 1);
  assert.equal(b().requires(a1, a2).requirements.size, 2);
  assert.equal(b().requires([a1, a2]).requirements.size, 2);
  assert.equal(
    b().requires([a1, [a2], new Set([a3, a4]), [[[[[[a5]]]]]]]).requirements.size,
    5,
  );
  // The option form, as asynciojobs' required= at creation.
  assert.equal(new Flow().add(b(), { requires: null }).requirements.size, 0);
  assert.equal(new Flow().add(b(), { requires: [null, a1] }).requirements.size, 1);
});

Deno.test("asynciojobs test_basics: test_requires_sequence", () => {
  const [a1, a2] = ["a1", "a2"].map((l) => cps(0.01, l));
  const bs = () => ["b1", "b2", "b3"].map((l) => cps(0.01, l));
  let [b1, b2, b3] = bs();
  Sequence(b1, b2, b3).requires([a1, a2]);
  assert.equal(b1.requirements.size, 2);
  assert.equal(b2.requirements.size, 1);
  [b1, b2, b3] = bs();
  const s1 = Sequence(b1, b2, b3);
  s1.requires([a1, a2]);
  assert.equal(b1.requirements.size, 2);
  assert.equal(b2.requirements.size, 1);
});

Deno.test("asynciojobs test_basics: test_timeout2", async () => {
  const a1 = job(sleep, 50, 1), a2 = job(sleep, 100, 2), a3 = job(sleep, 5000, 3);
  const result = await new Flow(a1, a2, a3, { timeout: 400, critical: false }).run();
  assert.equal(result, false);
  assert.equal(a1.isDone(), true);
  assert.equal(a1.result, 1);
  assert.equal(a2.isDone(), true);
  assert.equal(a2.result, 2);
  assert.equal(a3.isDone(), false);
});

Deno.test("asynciojobs test_basics: test_forever2", async () => {
  const ticks = { n: 0 };
  const a1 = job(sleep, 50);
  const a2 = job(async function (this: JobContext) {
    for (;;) {
      ticks.n++;
      await sleep.call(this, 10);
    }
  });
  const sched = new Flow({ critical: false });
  sched.add(a1, { label: "finite" });
  sched.add(a2, { label: "forever", forever: true });
  assert.equal(await sched.run(), true);
  assert.equal(a1.isDone(), true);
  assert.equal(a2.isDone(), false);
});

Deno.test("asynciojobs test_basics: test_creation_scheduler", async () => {
  const sched = new Flow({ critical: false });
  const s = sched.add(Sequence(cps(0.01), cps(0.02)));
  sched.add(cps(0.03), { requires: s });
  // Jobs appended to the sequence later on are also added to the flow.
  s.append(cps(0.005));
  assert.equal(sched.size, 4);
  assert.equal(sched.checkCycles(), true);
  assert.equal(await sched.run(), true);
});

Deno.test("asynciojobs test_basics: test_seq", async () => {
  const s = new Flow({ critical: false });
  s.add(Sequence(cps(0.01), cps(0.02)));
  assert.equal(await s.run(), true);
});

for (const window of [3, 0]) {
  Deno.test(`asynciojobs test_basics: test_${window ? "" : "no_"}window`, async () => {
    const total = 15, atom = 100;
    const s = new Flow({ window, critical: false });
    let running = 0, most = 0;
    for (let i = 1; i <= total; i++) {
      s.add(
        job(async function (this: JobContext) {
          most = Math.max(most, ++running);
          await sleep.call(this, atom);
          running--;
        }),
        { label: `${i}-th ${atom}ms job` },
      );
    }
    const [ok, ms] = await timed(() => s.run());
    if (!ok) console.log(s.debrief({ details: true }));
    assert.equal(ok, true);
    assert.equal(most, window || total);
    const expected = window ? (total / window) * atom : atom;
    assert.ok(ms >= expected * 0.9 && ms < expected * 3, `expected ~${expected}ms, took ${ms}ms`);
  });
}

Deno.test("asynciojobs test_basics: test_iterate", () => {
  const s = diamondFromJobs(
    cps(0.01, "1"),
    diamondFromJobs(cps(0.01, "2.1"), cps(0.01, "2.2"), cps(0.01, "2.3"), cps(0.01, "2.4")),
    diamondFromJobs(cps(0.01, "3.1"), cps(0.01, "3.2"), cps(0.01, "3.3"), cps(0.01, "3.4")),
    cps(0.01, "4"),
  );
  // Without flows: the 10 jobs; with them: 13, as the top flow counts too.
  assert.equal([...s.iterateJobs({ nested: false })].length, 10);
  assert.equal([...s.iterateJobs({ nested: true })].length, 13);
  assert.equal([...s.iterateJobs()].length, 13);
  assert.equal(s.iterateJobs().next().value, s);
});

// ---------------------------------------------------------------- test_bypass.py

function jobs5(s: Flow, from = 1, to = 5): Job[] {
  const out: Job[] = [];
  for (let i = from; i <= to; i++) out.push(s.add(cps(0.02), { label: `job${i}` }));
  return out;
}

const same = (actual: readonly Job[], expected: readonly Job[]) =>
  assert.deepEqual(new Set(actual), new Set(expected));

Deno.test("asynciojobs test_bypass: test_bypass1", async () => {
  const s = new Flow();
  const [j1, j2, j3, j4, j5] = jobs5(s);
  j5.requires(j4.requires(j3.requires(j2.requires(j1))));
  same(s.allSuccessors(j1), [j2, j3, j4, j5]);
  same(s.allPredecessors(j5), [j1, j2, j3, j4]);
  await produceSvg(s, "graphic-bypass1-step0");
  s.bypassAndRemove(j3);
  assert.equal(s.sanitize(), true);
  assert.equal(s.jobs.includes(j3), false);
  assert.ok(j4.requirements.has(j2));
  await produceSvg(s, "graphic-bypass1-step1");
});

Deno.test("asynciojobs test_bypass: test_bypass2", async () => {
  const s = new Flow();
  const [j1, j2, j3, j4, j5] = jobs5(s);
  j5.requires(j4.requires(j3.requires(j1), j2.requires(j1)));
  same(s.allSuccessors(j1), [j2, j3, j4, j5]);
  same(s.allSuccessors(j2), [j4, j5]);
  same(s.allSuccessors(j3), [j4, j5]);
  same(s.allPredecessors(j4), [j1, j2, j3]);
  s.bypassAndRemove(j4);
  assert.equal(s.sanitize(), true);
  assert.equal(s.jobs.includes(j4), false);
  assert.ok(j5.requirements.has(j2));
  assert.ok(j5.requirements.has(j3));
  same(s.allSuccessors(j1), [j2, j3, j5]);
  same(s.allPredecessors(j5), [j1, j2, j3]);
  await produceSvg(s, "graphic-bypass2-step1");
});

/**
 * n = 2: j1 - j2 - j4 - j5 - j7        n = 3: … j7 - j8 - j10
 *           \ j3 /    \ j6 /                        \ j9 /
 */
function diamonds(n: 2 | 3): [Flow, ...Job[]] {
  const s = new Flow();
  const [j1, j2, j3, j4, j5, j6, j7] = jobs5(s, 1, 7);
  j7.requires(j6.requires(j4), j5.requires(j4));
  j4.requires(j3.requires(j1), j2.requires(j1));
  if (n === 2) return [s, j1, j2, j3, j4, j5, j6, j7];
  const [j8, j9, j10] = jobs5(s, 8, 10);
  j10.requires(j8.requires(j7), j9.requires(j7));
  return [s, j1, j2, j3, j4, j5, j6, j7, j8, j9, j10];
}

Deno.test("asynciojobs test_bypass: test_bypass3", async () => {
  const [s, j1, j2, j3, j4, j5, j6, j7] = diamonds(2);
  same(s.allSuccessors(j1), [j2, j3, j4, j5, j6, j7]);
  same(s.allSuccessors(j4), [j5, j6, j7]);
  same(s.allSuccessors(j7), []);
  same(s.allPredecessors(j1), []);
  same(s.allPredecessors(j4), [j1, j2, j3]);
  same(s.allPredecessors(j7), [j1, j2, j3, j4, j5, j6]);

  s.bypassAndRemove(j4);
  assert.equal(s.sanitize(), true);
  assert.equal(s.jobs.includes(j4), false);
  for (const down of [j5, j6]) for (const up of [j2, j3]) assert.ok(down.requirements.has(up));
  same(s.allSuccessors(j1), [j2, j3, j5, j6, j7]);
  same(s.allSuccessors(j3), [j5, j6, j7]);
  same(s.allSuccessors(j6), [j7]);
  same(s.allSuccessors(j7), []);
  same(s.allPredecessors(j1), []);
  same(s.allPredecessors(j3), [j1]);
  same(s.allPredecessors(j6), [j1, j2, j3]);
  same(s.allPredecessors(j7), [j1, j2, j3, j5, j6]);

  s.bypassAndRemove(j1);
  assert.equal(s.sanitize(), true);
  assert.equal(j2.requirements.size, 0);
  assert.equal(j3.requirements.size, 0);
  same(s.allSuccessors(j3), [j5, j6, j7]);
  same(s.allPredecessors(j7), [j2, j3, j5, j6]);

  s.bypassAndRemove(j7);
  assert.equal(s.sanitize(), true);
  same(s.successors(j5), []);
  same(s.successors(j6), []);
  await produceSvg(s, "graphic-bypass3-step3");
});

Deno.test("asynciojobs test_bypass: test_bypass_seq", async () => {
  const s = new Flow();
  const jobs = jobs5(s);
  s.add(Sequence(...jobs));
  const [j1, j2, j3, j4, j5] = jobs;
  s.bypassAndRemove(j3);
  assert.equal(s.sanitize(), true);
  assert.equal(s.jobs.includes(j3), false);
  assert.ok(j4.requirements.has(j2));
  same(s.allSuccessors(j1), [j2, j4, j5]);
  same(s.allSuccessors(j2), [j4, j5]);
  same(s.allSuccessors(j4), [j5]);
  same(s.allSuccessors(j5), []);
  same(s.allPredecessors(j1), []);
  same(s.allPredecessors(j2), [j1]);
  same(s.allPredecessors(j4), [j1, j2]);
  same(s.allPredecessors(j5), [j1, j2, j4]);
  await produceSvg(s, "graphic-bypass-seq-step1");
});

Deno.test("asynciojobs test_bypass: test_bypass_keep1", () => {
  const [s, , j2, j3, j4, j5, j6] = diamonds(2);
  s.keepOnlyBetween({ starts: [j2, j3], ends: [j5, j6] });
  assert.equal(s.size, 5);
  same(s.jobs, [j2, j3, j4, j5, j6]);
});

Deno.test("asynciojobs test_bypass: test_bypass_keep2", () => {
  const [s, , , , j4, j5, j6, j7] = diamonds(2);
  s.keepOnlyBetween({ starts: [j4] });
  assert.equal(s.size, 4);
  same(s.jobs, [j4, j5, j6, j7]);
});

Deno.test("asynciojobs test_bypass: test_bypass_keep3", () => {
  const [s, , , , j4, j5, j6, j7] = diamonds(2);
  s.keepOnlyBetween({ starts: [j4], keepStarts: false });
  same(s.jobs, [j5, j6, j7]);
});

Deno.test("asynciojobs test_bypass: test_bypass_keep4", () => {
  const [s, , j2, j3, j4, j5, j6, j7] = diamonds(3);
  const [jOdd] = jobs5(s, 11, 11);
  j7.requires(jOdd.requires(j2));
  s.keepOnlyBetween({ starts: [j2, j3], ends: [j5, j6] });
  assert.equal(s.size, 5);
  same(s.jobs, [j2, j3, j4, j5, j6]);
});

Deno.test("asynciojobs test_bypass: test_bypass_keep5", () => {
  const [s, , j2, j3, j4, j5, j6, j7, j8, j9] = diamonds(3);
  const [jOdd] = jobs5(s, 11, 11);
  j7.requires(jOdd.requires(j2));
  s.keepOnlyBetween({ starts: [j2, j3], ends: [j8, j9], keepEnds: false });
  assert.equal(s.size, 7);
  same(s.jobs, [j2, j3, j4, j5, j6, j7, jOdd]);
});

Deno.test("asynciojobs test_bypass: test_bypass_keep10", () => {
  const [s, j1, j2, j3, j4] = diamonds(3);
  s.keepOnly([j1, j2, j3, j4]);
  assert.equal(s.size, 4);
  assert.equal(s.successors(j1).length, 2);
  assert.equal(s.predecessors(j1).length, 0);
  assert.equal(s.successors(j2).length, 1);
  assert.equal(s.predecessors(j2).length, 1);
  assert.equal(s.successors(j4).length, 0);
  assert.equal(s.predecessors(j4).length, 2);
});

Deno.test("asynciojobs test_bypass: test_bypass_keep11", () => {
  const [s, j1, , , j4, , , j7] = diamonds(3);
  s.keepOnly([j1, j4, j7]);
  assert.equal(s.size, 3);
  for (const j of [j1, j4, j7]) {
    assert.equal(s.successors(j).length, 0);
    assert.equal(s.predecessors(j).length, 0);
  }
});

// ---------------------------------------------------------------- test_cycles.py

Deno.test("asynciojobs test_cycles: test_flat_cycles", () => {
  const s = new Flow();
  const [j1, j2, j3] = jobs5(s, 1, 3);
  j3.requires(j2);
  j2.requires(j1);
  assert.equal(s.checkCycles(), true);
  j1.requires(j3);
  assert.equal(s.checkCycles(), false);
});

Deno.test("asynciojobs test_cycles: test_nested_cycles", () => {
  const jb = (i: number) => cps(0.02, `job${i}`);
  const [js1, js2, js3] = [11, 12, 13].map(jb);
  const s2 = new Flow(Sequence(js1, js2, js3));
  const [j1, j3] = [jb(1), jb(3)];
  const s1 = new Flow(Sequence(j1, s2, j3));
  assert.equal(s1.checkCycles(), true);
  // A cycle in the subgraph.
  js1.requires(js3);
  assert.equal(s1.checkCycles(), false);
  js1.requires(js3, { remove: true });
  assert.equal(s1.checkCycles(), true);
  // A cycle at the top level.
  j1.requires(j3);
  assert.equal(s1.checkCycles(), false);
  j1.requires(j3, { remove: true });
  assert.equal(s1.checkCycles(), true);
  // One level down.
  const s3 = new Flow();
  const [jss1, jss2, jss3] = [111, 112, 113].map(jb);
  s3.add(Sequence(jss1, jss2, jss3));
  // Surgery in s2; no cycles.
  s2.remove(js2);
  assert.equal(s2.sanitize(), false); // js3 required js2
  s2.add(s3);
  s3.requires(js1);
  js3.requires(s3);
  assert.equal(s1.checkCycles(), true);
  // A cycle in s3's flow, s2.
  js1.requires(js3);
  assert.equal(s1.checkCycles(), false);
});

// ---------------------------------------------------------------- test_graph.py

Deno.test("asynciojobs test_graph: test_graph1", async () => {
  const s = new Flow({ critical: false });
  s.add(Sequence(cps(0.025), cps(0.1, "middle"), cps(0.025)));
  s.list();
  s.list({ details: true });
  assert.equal(s.size, 3);
  const [, ms] = await timed(() => s.run());
  assert.ok(ms >= 140 && ms < 1500, `took ${ms}ms`);
  await produceSvg(s, "graphic-graph1");
});

Deno.test("asynciojobs test_graph: test_graph2", async () => {
  class TextJob extends Job<string> {
    constructor(readonly text: string, label?: string) {
      super(label ?? `[[TextJob ${[...text].reverse().join("")}]]`);
    }
    override details(): string {
      return `TextJob details say\nthat initial text was ${this.text}`;
    }
    protected execute(signal: AbortSignal): Promise<string> {
      return sleep.call({ signal }, 10, this.text) as Promise<string>;
    }
  }
  class GraphJob extends TextJob {
    override details(): string {
      return `GraphJob details\nare even more verbose and say\nthat initial graph message\nwas ${this.text}`;
    }
  }
  const s = new Flow({ critical: false });
  s.add(Sequence(
    new TextJob("textjob-with"),
    new TextJob("textjob-without", "TextLabel"),
    new GraphJob("graphjob-with", "[[GraphJob\nhtiw-bojhparg]]"),
    new GraphJob("graphjob-without", "GraphLabel"),
  ));
  const plain = s.list({ ascii: true }), detailed = s.list({ ascii: true, details: true });
  assert.equal(plain.split("\n").length, 4 + 1); // one label has a newline
  assert.match(detailed, /\n {11}TextJob details say\n {11}that initial text was textjob-with\n/);
  assert.match(
    detailed,
    /GraphLabel.*\n {11}GraphJob details\n(.*\n){2} {11}was graphjob-without$/,
  );
  assert.equal(s.size, 4);
  await produceSvg(s, "graphic-graph2");
});

// ---------------------------------------------------------------- test_nesting.py

class BoomError extends Error {
  override name = "BoomError";
}
const boomJob = (message: string) =>
  job(() => {
    throw new BoomError(message);
  });

Deno.test("asynciojobs test_nesting: test_nesting1", async () => {
  // A sub-flow of two parallel jobs (~100 ms) between two jobs of 50 ms: ~200 ms.
  const sub = new Flow(cps(0.05, "sub short"), cps(0.1, "sub long"), { critical: false });
  const main = new Flow({ critical: false });
  main.add(Sequence(cps(0.05, "main begin"), sub, cps(0.05, "main end")));
  main.list({ details: true });
  const [ok, ms] = await timed(() => main.run());
  assert.equal(ok, true);
  assert.ok(ms >= 190 && ms < 2000, `took ${ms}ms`);
});

Deno.test("asynciojobs test_nesting: test_nesting2 and test_nesting3", async () => {
  // 50 + max(50, 100) + 50 = 200 ms.
  const main = new Flow({ label: "main3", critical: false });
  const mainj1 = main.add(cps(0.05), { label: "mainj1" });
  const sub2 = main.add(diamondScheduler(0.05, "SUB2"), { label: "sub_sched2", requires: mainj1 });
  const sub3 = main.add(diamondScheduler(0.1, "SUB3"), { label: "sub_sched3", requires: mainj1 });
  main.add(cps(0.05), { label: "mainj4", requires: [sub2, sub3] });
  for (const s of [main, sub2, sub3]) assert.equal(s.sanitize(), true);
  main.list();
  await produceSvg(main, "graphic-nesting3");
  const [ok, ms] = await timed(() => main.run());
  if (!ok) console.log(main.debrief());
  assert.equal(ok, true);
  assert.ok(ms >= 190 && ms < 2000, `took ${ms}ms`);
});

Deno.test("asynciojobs test_nesting: test_nesting_sequence", async () => {
  // The nested flow is forever (and critical): not waited for by the main flow, but
  // "END" requires it, so runs after it; 4 × 50 + … ≈ 250 ms in all.
  const subjob = new Flow(Sequence(cps(0.05, "one"), cps(0.05, "two"), cps(0.05, "three")), {
    label: "sub-scheduler\non several lines",
    critical: true,
    forever: true,
  });
  assert.equal(subjob.forever, true);
  const main = new Flow(Sequence(cps(0.05, "job-label"), subjob, cps(0.05, "END")));
  main.list({ details: true });
  const [ok, ms] = await timed(() => main.run());
  assert.equal(ok, true);
  assert.ok(ms >= 240 && ms < 2500, `took ${ms}ms`);
  assert.equal(subjob.result, true);
  await produceSvg(main, "graphic-nesting-sequence");
});

Deno.test("asynciojobs test_nesting: test_critical_exc", async () => {
  const schedBoom = (sCrit: boolean, jCrit: boolean) =>
    new Flow({ critical: sCrit }).add(boomJob(String(jCrit)), { critical: jCrit }).flow!;
  assert.equal(await schedBoom(false, false).run(), true);
  assert.equal(await schedBoom(false, true).run(), false);
  assert.equal(await schedBoom(true, false).run(), true);
  await assert.rejects(schedBoom(true, true).run(), BoomError);
});

Deno.test("asynciojobs test_nesting: test_critical_exc2", async () => {
  const schedSchedBoom = (s1Crit: boolean, s2Crit: boolean, jCrit: boolean) => {
    const internal = new Flow({ label: `internal ${s2Crit}`, critical: s2Crit });
    internal.add(boomJob("ok"), { critical: jCrit, label: `boom ${jCrit}` });
    return new Flow(internal, { label: `external ${s1Crit}`, critical: s1Crit });
  };
  assert.equal(await schedSchedBoom(false, false, false).run(), true);
  assert.equal(await schedSchedBoom(false, false, true).run(), true);
  assert.equal(await schedSchedBoom(false, true, false).run(), true);
  assert.equal(await schedSchedBoom(false, true, true).run(), false);
  assert.equal(await schedSchedBoom(true, false, false).run(), true);
  assert.equal(await schedSchedBoom(true, false, true).run(), true);
  assert.equal(await schedSchedBoom(true, true, false).run(), true);
  await assert.rejects(schedSchedBoom(true, true, true).run(), BoomError);
});

Deno.test("asynciojobs test_nesting: test_sanitize", () => {
  const jb = (i: number) => cps(0.01, String(i));
  {
    const [j1, j2, j3, j4, j5] = [1, 2, 3, 4, 5].map(jb);
    const s1 = new Flow(j1, j2, j3, { label: "top simple" });
    j2.requires(j4);
    j3.requires(j5);
    assert.equal(j2.requirements.size, 1);
    assert.equal(j3.requirements.size, 1);
    assert.equal(s1.sanitize(), false);
    assert.equal(j2.requirements.size, 0);
    assert.equal(j3.requirements.size, 0);
  }
  {
    const [j11, j12, j13, j14, j15] = [11, 12, 13, 14, 15].map(jb);
    const s2 = new Flow(Sequence(j11, j12, j13), { label: "nested internal" });
    j12.requires(j14);
    j13.requires(j15);
    const [j1, j2, j3, j4] = [1, 2, 3, 4].map(jb);
    const s1 = new Flow(Sequence(j1, s2, j3), { label: "nested top" });
    j1.requires(j4);
    j1.requires(j11);
    s2.requires(j13);
    // j2 is in no flow: untouched.
    j2.requires(j1);
    assert.equal(j12.requirements.size, 2);
    assert.equal(j13.requirements.size, 2);
    assert.equal(j1.requirements.size, 2);
    assert.equal(s2.requirements.size, 2);
    assert.equal(j3.requirements.size, 1);
    assert.equal(s1.sanitize(), false);
    assert.equal(j12.requirements.size, 1);
    assert.equal(j13.requirements.size, 1);
    assert.equal(j1.requirements.size, 0);
    assert.equal(s2.requirements.size, 1);
    assert.equal(j3.requirements.size, 1);
    assert.equal(j2.requirements.size, 1);
    assert.equal(s1.sanitize(), true);
  }
});

// ---------------------------------------------------------------- test_png.py

Deno.test("asynciojobs test_png: easy, simple, styles and order", async () => {
  await produceSvg(
    new Flow(Sequence(cps(0.02, "test_easy"), diamondScheduler(0.06, "middle"), cps(0.02))),
    "graphic-png-easy1",
  );
  await produceSvg(
    new Flow(Sequence(cps(0.02, "test_png_easy2"), pipes(0.06, "middle"), cps(0.02))),
    "graphic-png-easy2",
  );
  await produceSvg(
    new Flow(Sequence(
      cps(0.02, "test_png_simple start"),
      diamondScheduler(0.06, "middle-up"),
      pipes(0.06, "middle-down"),
      cps(0.02, "test_png_simple end"),
    )),
    "graphic-png-simple",
  );
  const styles = new Flow();
  styles.add(Sequence(
    styles.add(cps(0.01), { label: "regular", critical: false, forever: false }),
    styles.add(cps(0.01), { label: "critical", critical: true, forever: false }),
    styles.add(cps(0.01), { label: "forever", critical: false, forever: true }),
    styles.add(cps(0.01), { label: "both", critical: true, forever: true }),
  ));
  const dot = styles.toDot();
  assert.match(dot, /label="regular", style="rounded", color=black, penwidth=0.5/);
  assert.match(dot, /label="critical", style="rounded", color="#cc0000", penwidth=1.5/);
  assert.match(dot, /label="forever", style="rounded,dashed", color=black/);
  assert.match(dot, /label="both", style="rounded,dashed", color="#cc0000"/);
  await produceSvg(styles, "graphic-png-styles1");

  const j1 = pipes(0.05, "none", 6), j2 = diamondScheduler(0.05, "critical");
  const j3 = diamondScheduler(0.05, "forever"), j4 = diamondScheduler(0.05, "both");
  for (
    const [j, critical, forever, label] of [
      [j1, false, false, "label-none"],
      [j2, true, false, "label-critical"],
      [j3, false, true, "label-forever"],
      [j4, true, true, "label-both"],
    ] as const
  ) {
    j.critical = critical;
    j.forever = forever;
    j.label = label;
  }
  await produceSvg(new Flow(Sequence(j1, j2, j3, j4)), "graphic-png-styles2");

  // test_order1: jobs added to nested flows after the outer flow was built.
  const [sub1, sub2, sub3, sub4] = [new Flow(), new Flow(), new Flow(), new Flow()];
  const order = new Flow(
    Sequence(cps(0, "top"), sub1, cps(0, "middle"), sub2, sub3, sub4),
  );
  for (let i = 0; i < 3; i++) {
    sub1.add(cps(0, String(i + 1)));
    sub2.add(cps(0, String(i + 4)));
    sub3.add(cps(0, String(i + 7)));
    sub4.add(cps(0, String(i + 10)));
  }
  sub4.add(cps(0, "13"));
  assert.equal([...order.iterateJobs({ nested: false })].length, 15);
  await produceSvg(order, "graphic-png-order1");
});

// ---------------------------------------------------------------- test_shutdown.py

/** CounterJob: runs for `delay` s (+1 on the counter), shuts down in `shutdownDelay` s (-1). */
class CounterJob extends Job<void> {
  constructor(
    readonly counter: { n: number },
    readonly delay: number,
    readonly shutdownDelay: number,
    label: string,
  ) {
    super(label);
  }
  protected async execute(signal: AbortSignal): Promise<void> {
    await sleep.call({ signal }, this.delay * 1000);
    this.counter.n++;
  }
  override async shutdown(signal: AbortSignal): Promise<void> {
    if (!this.isDone()) return;
    await sleep.call({ signal }, this.shutdownDelay * 1000);
    this.counter.n--;
  }
}

for (const schedTimeout of [undefined, 500]) {
  Deno.test(`asynciojobs test_shutdown: test_simple${schedTimeout ? "_timeout" : ""}`, async () => {
    const cardinal = 4;
    const counter = { n: 0 };
    const sched = new Flow({ critical: false, timeout: schedTimeout });
    sched.add(Sequence(
      ...Array.from(
        { length: cardinal },
        (_, i) => new CounterJob(counter, (i + 1) / 10, 0, `simple ${i}`),
      ),
    ));
    assert.equal(counter.n, 0);
    await sched.run();
    // 0.1 + 0.2 + 0.3 + 0.4 s: all done, or the first two within the 0.5 s timeout.
    assert.equal(counter.n, schedTimeout ? 2 : cardinal);
    // Explicit, as asynciojobs' README asks (its 0.19 code shuts down implicitly).
    assert.equal(await sched.shutdown(), true);
    assert.equal(counter.n, 0);
  });

  Deno.test(`asynciojobs test_shutdown: test_nested${schedTimeout ? "_timeout" : ""}`, async () => {
    const cardinal = 3;
    const counter = { n: 0 };
    const top = new Flow({ critical: false, timeout: schedTimeout, label: "OUT" });
    const subs = Array.from({ length: cardinal }, (_, i) => {
      const sub = new Flow({ label: `SUB ${i}` });
      sub.add(Sequence(
        ...Array.from(
          { length: cardinal },
          (_, j) => new CounterJob(counter, (i + j) / 10, 0, `nested ${i} x ${j}`),
        ),
      ));
      return sub;
    });
    top.add(Sequence(...subs));
    await top.run();
    assert.ok(counter.n > 0);
    assert.equal(await top.shutdown(), true);
    assert.equal(counter.n, 0);
  });
}

for (const schedTimeout of [undefined, 250]) {
  for (const [size, shutdownTimeout] of [["short", 50], ["medium", 200], ["long", 700]] as const) {
    Deno.test(
      `asynciojobs test_shutdown: test_shsd_${schedTimeout ? "aborted" : "none"}_${size}`,
      async () => {
        const cardinal = 4, runDelay = 0.1, delays = [0.1, 0.5];
        const counter = { n: 0 };
        const sched = new Flow({ critical: false, timeout: schedTimeout, shutdownTimeout });
        for (const shutdownDelay of delays) {
          sched.add(Sequence(
            ...Array.from(
              { length: cardinal },
              (_, i) =>
                new CounterJob(
                  counter,
                  runDelay,
                  shutdownDelay,
                  `sched-timeout ${i} x ${shutdownDelay}`,
                ),
            ),
          ));
        }
        await sched.run();
        // Jobs done per pipe: all, or 2 by the 0.25 s timeout.
        const actual = schedTimeout ? 2 : cardinal;
        assert.equal(counter.n, 2 * actual);
        const inTime = await sched.shutdown();
        const [short, long] = delays.map((d) => d * 1000);
        const expected = shutdownTimeout < short ? 2 * actual : shutdownTimeout < long ? actual : 0;
        assert.equal(counter.n, expected);
        assert.equal(inTime, shutdownTimeout >= long);
        await produceSvg(sched, "debug");
      },
    );
  }
}
