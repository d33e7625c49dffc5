// The live views rendered into a small terminal emulator: output above the area, no stale
// frames in the scrollback, frames that fit the height, and queued calls told from running ones.
import assert from "node:assert/strict";
import { DurableRun, Flow, job, type JobContext, Scheduler } from "../mod.ts";
import { displayWidth } from "../src/cli/progress/format.ts";
import { plainView } from "../src/cli/progress/plain.ts";
import { renderFrame, ttyView } from "../src/cli/progress/tty.ts";
import { CallClock } from "../src/cli/progress/calls.ts";
import type { ProgressView } from "../src/cli/progress/watch.ts";
import type { Limits } from "../src/executors/limits.ts";
import { STEPS, withTempDir } from "./cli_resume_helpers.ts";

/**
 * A terminal: `columns` × `rows`, with a scrollback. Understands what the
 * views write: text, `\n` (as CR LF), `\r`, `ESC[nF` (up n lines, column
 * 0), `ESC[0J` (clear to the end of the screen), `ESC[nG` and `ESC[2K`.
 * Records whether a line ever wrapped.
 */
class Terminal {
  readonly lines: string[] = [""];
  top = 0;
  row = 0;
  col = 0;
  wrapped = 0;
  /** The lines that wrapped, as they were when they did. */
  readonly wraps: string[] = [];
  constructor(readonly columns: number, readonly rows: number) {}

  write(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const char = text[i];
      if (char === "\x1b") {
        // deno-lint-ignore no-control-regex
        const m = /^\x1b\[(\d*)([A-Za-z])/.exec(text.slice(i));
        if (!m) throw new Error(`unknown escape at ${JSON.stringify(text.slice(i, i + 8))}`);
        const n = m[1] === "" ? 0 : Number(m[1]);
        if (m[2] === "F") {
          this.row = Math.max(this.top, this.row - Math.max(1, n));
          this.col = 0;
        } else if (m[2] === "J" && n === 0) {
          this.lines[this.row] = this.lines[this.row].slice(0, this.col);
          this.lines.length = this.row + 1;
        } else if (m[2] === "G") this.col = Math.max(0, n - 1); // what deno writes at start
        else if (m[2] === "K" && n === 2) this.lines[this.row] = "";
        else throw new Error(`unexpected escape ${m[0]}`);
        i += m[0].length - 1;
      } else if (char === "\n") this.#newline();
      else if (char === "\r") this.col = 0;
      else {
        const code = text.codePointAt(i)!;
        const glyph = String.fromCodePoint(code);
        if (code > 0xffff) i++;
        const w = displayWidth(glyph);
        if (this.col + w > this.columns) {
          this.wrapped++;
          this.wraps.push(this.lines[this.row]);
          this.#newline();
        }
        const line = this.lines[this.row].padEnd(this.col);
        this.lines[this.row] = line.slice(0, this.col) + glyph +
          line.slice(this.col + glyph.length);
        this.col += w;
      }
    }
  }

  #newline(): void {
    this.row++;
    this.col = 0;
    if (this.row >= this.lines.length) this.lines.push("");
    if (this.row >= this.top + this.rows) this.top = this.row - this.rows + 1;
  }

  /** Lines that scrolled off the top. */
  get scrollback(): string[] {
    return this.lines.slice(0, this.top);
  }

  /** The visible lines. */
  get screen(): string[] {
    return this.lines.slice(this.top, this.top + this.rows);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROW = /^\S (\s*\S.*?) +(done|failed|cancelled|skipped|cached|running|queued|waiting|idle)\b/;
const SUMMARY = /^\w+: \d+ done, /;

Deno.test("tty view: output goes above the live area; no stale frame is left in the scrollback", async () => {
  await withTempDir(async (dir) => {
    const term = new Terminal(60, 10);
    const flow = new Flow({ label: "many", window: 3 });
    for (let i = 0; i < 25; i++) {
      flow.add(
        job(async function work(this: JobContext, n: number) {
          console.log(`job ${n} says hi`);
          await sleep(3 + (n % 4));
          console.log(`job ${n} says bye`);
          return n;
        }, i),
        { label: `work-${String(i).padStart(2, "0")}` },
      );
    }
    let frames = 0;
    const shown: { view?: ProgressView } = {};
    const run = DurableRun.open(flow, {
      store: dir,
      onOutput: ({ key, text, stream }) => shown.view!.output(key, text, stream),
    });
    const context = {
      flow,
      limits: new Map<never, Limits>(),
      run,
      write: (text: string) => {
        frames++;
        term.write(text);
        // After every write: the frame below the output fits the screen and never wrapped.
        assert.equal(term.wrapped, 0, "a line wrapped");
      },
    };
    const view = shown.view = ttyView(context, {
      size: () => ({ columns: 60, rows: 10 }),
      interval: 5,
    });
    view.start();
    assert.equal(await run.run(), true);
    view.stop();
    run.store.close();
    assert(frames > 5, `only ${frames} frames`);

    const all = [...term.scrollback, ...term.screen].filter((l) => l !== "");
    const finalFrame = renderFrame(context, 0, 60, 10).map((l) => l.replace(/^\S/, "?"));
    const last = all.slice(-finalFrame.length);
    assert.deepEqual(last.map((l) => l.replace(/^\S/, "?").trimEnd()), finalFrame);
    const before = all.slice(0, -finalFrame.length);
    const stale = before.filter((l) => ROW.test(l) || SUMMARY.test(l) || l.startsWith("✔ "));
    assert.deepEqual(stale, [], "stale frame lines above the output");
    // Every output line is there once, prefixed by its job's key, in each job's order.
    const output = before.filter((l) => / \| job \d+ says/.test(l));
    assert.equal(output.length, 50);
    for (let i = 0; i < 25; i++) {
      const key = `work-${String(i).padStart(2, "0")}`;
      assert.deepEqual(output.filter((l) => l.startsWith(`${key} |`)), [
        `${key} | job ${i} says hi`,
        `${key} | job ${i} says bye`,
      ]);
    }
    assert.equal(before.length, output.length, `unexpected lines: ${before.join("\n")}`);
  });
});

Deno.test("tty view: a frame fits the terminal's height: finished jobs collapse, then the rest is counted", () => {
  const flow = new Flow({ label: "tall" });
  const jobs = Array.from(
    { length: 40 },
    (_, i) => flow.add(job(() => i), { label: `j${i}` }),
  );
  const context = { flow, limits: new Map<never, Limits>(), write: () => {} };
  // Nothing run yet: 40 idle jobs in 12 rows.
  const frame = renderFrame(context, 0, 80, 12);
  assert.equal(frame.length, 11);
  assert.match(frame.at(-2)!, /^… 31 more: 31 idle$/);
  assert.match(frame.at(-1)!, /^tall: 0 done, 0 running, 40 waiting · /);
  assert.match(frame[0], /^· j0 +idle/); // nothing finished: no collapsed line
  // Everything fits on a tall terminal: one row per job and the summary.
  assert.equal(renderFrame(context, 0, 80, 50).length, 41);
  // A frame is never wider than the terminal.
  for (const line of renderFrame(context, 0, 20, 50)) assert(displayWidth(line) < 20, line);
  // A terminal too small for rows keeps the summary.
  assert.deepEqual(renderFrame(context, 0, 80, 2).length, 1);
  void jobs;
});

Deno.test("tty view: once jobs finish they collapse into a count, keeping open rows visible", async () => {
  const flow = new Flow({ label: "tall", window: 2 });
  const gates: PromiseWithResolvers<void>[] = [];
  for (let i = 0; i < 20; i++) {
    const gate = Promise.withResolvers<void>();
    gates.push(gate);
    flow.add(job(async () => await gate.promise), { label: `j${i}` });
  }
  const context = { flow, limits: new Map<never, Limits>(), write: () => {} };
  const running = flow.run();
  for (let i = 0; i < 15; i++) {
    gates[i].resolve();
    await sleep(1);
  }
  await sleep(10);
  let frame = renderFrame(context, 0, 80, 10);
  assert.equal(frame.length, 7); // the finished line, 5 open jobs, the summary
  assert.equal(frame[0], "✔ 15 finished");
  assert.match(frame[1], /^\S j15 +running/);
  assert.match(frame[2], /^\S j16 +running/);
  assert.match(frame.at(-1)!, /^tall: 15 done, 2 running, 3 waiting/);
  // Smaller: the running rows stay, the waiting ones are counted.
  frame = renderFrame(context, 0, 80, 6);
  assert.deepEqual(frame.map((l) => l.replace(/^\S /, "").split(/ +/)[0]), [
    "15", // ✔ 15 finished
    "j15",
    "j16",
    "3", // … 3 more
    "tall:",
  ]);
  assert.equal(frame[3], "… 3 more: 3 waiting");
  for (const gate of gates) gate.resolve();
  assert.equal(await running, true);
});

Deno.test("views: a call waiting for a free worker shows queued; its wall time starts when it runs", async () => {
  await withTempDir(async (dir) => {
    const scheduler = Scheduler.sequential(); // one call at a time: the second one waits
    const hold = Promise.withResolvers<void>();
    const first = scheduler.task(async function first() {
      await hold.promise;
      return 1;
    }, { limits: { wallTime: "10s" } });
    const second = scheduler.task(async function second() {
      await sleep(120);
      return 2;
    }, { limits: { wallTime: "10s" } });
    const flow = new Flow({ label: "q" });
    const a = flow.add(job(first), { label: "a" });
    const b = flow.add(job(second), { label: "b" });
    const limits = new Map([[a, { wallTime: "10s" }], [b, { wallTime: "10s" }]]);
    const run = DurableRun.open(flow, { store: dir });
    const plain: string[] = [];
    const context = { flow, limits, run, write: (t: string) => plain.push(t) };
    // A call counts as queued once seen waiting for a whole poll period (not for an event-loop hop).
    const view = plainView(context, { pollMs: 40, now: () => new Date(0) });
    const calls = new CallClock((j) => run.futureOf(j));
    view.start();
    const running = run.run();
    const frame = () => renderFrame(context, 0, 100, 20, calls);
    const rowOf = (lines: string[], label: string) => lines.find((l) => l.includes(` ${label} `))!;
    await until(() => run.futureOf(a)?.status === "running" && run.futureOf(b) !== undefined);
    await sleep(60);
    let lines = frame();
    assert.match(rowOf(lines, "a"), /running .* wall [\d.]+m?s\/10s \d+%/);
    assert.match(rowOf(lines, "b"), /queued .*wall ≤10s/); // no percentage while it waits
    assert.equal(b.state, "running"); // for the flow it is running...
    assert.equal(run.futureOf(b)?.status, "pending"); // ...but its call waits
    assert.match(lines.at(-1)!, /1 running, 1 queued/);
    await sleep(120);
    hold.resolve();
    await until(() => run.futureOf(b)?.status === "running");
    frame(); // sees the start
    await sleep(30);
    lines = frame();
    const shown = /wall ([\d.]+)ms\/10s/.exec(rowOf(lines, "b"))?.[1];
    assert.ok(shown !== undefined, rowOf(lines, "b"));
    // Its wall time counts from its start, not from when the flow started the job (≥180 ms earlier).
    assert.ok(Number(shown) < b.duration! - 100, `wall ${shown}ms vs job ${b.duration}ms`);
    assert.equal(await running, true);
    view.stop();
    run.store.close();
    const text = plain.join("");
    assert.match(text, /queued {4}b \(waiting for a free worker\)\n(.|\n)*started {3}b/);
    assert.doesNotMatch(text, /queued {4}a/);
    assert.ok(text.indexOf("started   a") < text.indexOf("queued    b"));
  });
});

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await sleep(5);
  }
}

Deno.test("tty view: baton run under a pseudo-terminal leaves no stale frame and fits the screen", async () => {
  const script = await new Deno.Command("script", { args: ["--version"], stdout: "null" }).output()
    .catch(() => undefined);
  if (!script?.success) {
    console.warn("no script(1) to make a pseudo-terminal: skipped");
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "baton-pty-" });
  try {
    const jobs = Array.from(
      { length: 16 },
      (_, i) =>
        `  j${i}:\n    module: steps.ts\n    export: chatter\n    args: [2, 15]\n` +
        (i >= 2 ? `    requires: j${i - 2}\n` : ""),
    ).join("");
    await Deno.writeTextFile(`${dir}/wf.yaml`, `name: pty\nexecutor: sequential\njobs:\n${jobs}`);
    await Deno.writeTextFile(`${dir}/steps.ts`, STEPS);
    const cliPath = new URL("../cli.ts", import.meta.url).pathname;
    const command = `stty rows 10 cols 64; ${Deno.execPath()} run -A ${cliPath} run ${dir}/wf.yaml`;
    const out = await new Deno.Command("script", {
      args: ["-qfec", command, "/dev/null"],
      env: { NO_COLOR: "1", TERM: "xterm" },
      stdin: "null",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const term = new Terminal(64, 10);
    term.write(new TextDecoder().decode(out.stdout).replaceAll("\r\n", "\n"));
    // Only baton's own long lines may wrap (the run's log folder, the final listing): no frame line.
    assert.deepEqual(term.wraps.filter((l) => ROW.test(l) || SUMMARY.test(l)), []);
    const all = [...term.scrollback, ...term.screen];
    const summaries = all.map((l, i) => [l, i] as const).filter(([l]) =>
      /^pty: \d+ done, /.test(l)
    );
    assert.equal(summaries.length, 1, `summary lines left behind:\n${all.join("\n")}`);
    const end = summaries[0][1];
    // The final frame: at most 8 rows above its summary (10 rows, one for the cursor).
    const frameStart = all.slice(0, end).findLastIndex((l) => !ROW.test(l) && !l.startsWith("✔ "));
    assert.ok(end - frameStart - 1 <= 8, `a frame of ${end - frameStart} lines`);
    const before = all.slice(0, frameStart + 1);
    assert.deepEqual(before.filter((l) => ROW.test(l) || l.startsWith("✔ ")), []);
    for (let i = 0; i < 16; i++) {
      assert.deepEqual(before.filter((l) => l.startsWith(`j${i} |`)), [
        `j${i} | line 1`,
        `j${i} | line 2`,
      ]);
    }
    assert.match(all.slice(end + 1).join("\n"), /flow pty: FINE/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
