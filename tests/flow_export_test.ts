// Graphviz export (DOT file, SVG/PNG through dot), details() and list({ details }),
// failedCritical() / failedTimeOut(), and the typed job-failed event.
import assert from "node:assert/strict";
import {
  command,
  Flow,
  Job,
  job,
  Scheduler,
  Sequence,
  ThrownValueError,
  TimeoutError,
} from "../mod.ts";
import { boom, sleep } from "./flow_helpers.ts";

function dotInstalled(): boolean {
  try {
    return new Deno.Command("dot", { args: ["-V"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}
const HAS_DOT = dotInstalled();

function sample(): Flow {
  const flow = new Flow({ label: "sample" });
  const a = flow.add(job(sleep, 1), { label: "fetch" });
  const inner = flow.add(new Flow({ label: "inner", critical: false }), { requires: a });
  inner.add(Sequence(job(sleep, 1), job(sleep, 1)));
  flow.add(job(sleep, 1), { label: "monitor", forever: true, critical: false });
  return flow;
}

Deno.test("exportAsDotfile() writes toDot() and returns the path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const flow = sample();
    const path = flow.exportAsDotfile(`${dir}/sample.dot`);
    assert.equal(path, `${dir}/sample.dot`);
    assert.equal(await Deno.readTextFile(path), flow.toDot());
    assert.throws(() => flow.exportAsDotfile(42 as never), /needs a file path, got 42/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "exportAsSvgfile() / exportAsPngfile() render through Graphviz's dot",
  ignore: !HAS_DOT, // needs the Debian package graphviz
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const flow = sample();
      const svg = await flow.exportAsSvgfile(`${dir}/sample`);
      assert.equal(svg, `${dir}/sample.svg`);
      const text = await Deno.readTextFile(svg);
      assert.match(text, /<svg/);
      assert.match(text, />fetch</);
      assert.equal(await Deno.readTextFile(`${dir}/sample.dot`), flow.toDot());
      // A name that already ends in the format keeps it.
      const png = await flow.exportAsPngfile(`${dir}/other.png`);
      assert.equal(png, `${dir}/other.png`);
      const bytes = await Deno.readFile(png);
      assert.deepEqual([...bytes.slice(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
      await assert.rejects(
        flow.exportAsGraphic(`${dir}/x`, "no-such-format"),
        /dot -Tno-such-format/,
      );
      await assert.rejects(flow.exportAsGraphic(`${dir}/x`, "svg; rm -rf"), /needs a format/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("without Graphviz, exporting a graphic says which package to install", async () => {
  const dir = await Deno.makeTempDir();
  const path = Deno.env.get("PATH");
  try {
    Deno.env.set("PATH", dir); // an empty directory: no dot there
    await assert.rejects(
      sample().exportAsSvgfile(`${dir}/sample`),
      /Graphviz's "dot" program is not installed \(it comes with the graphviz package: apt-get install graphviz/,
    );
    // The .dot file is there to render elsewhere.
    assert.match(await Deno.readTextFile(`${dir}/sample.dot`), /^digraph "sample"/);
  } finally {
    if (path === undefined) Deno.env.delete("PATH");
    else Deno.env.set("PATH", path);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("details(): none by default; built-in jobs and flows say what they hold", () => {
  class Plain extends Job<void> {
    protected execute(): Promise<void> {
      return Promise.resolve();
    }
  }
  class Detailed extends Plain {
    override details() {
      return "line one\nline two";
    }
  }
  assert.equal(new Plain().details(), undefined);
  assert.equal(job(sleep, 1).details(), undefined);
  const cmd = command(["sh", "-c", "true"], {
    cwd: "/tmp",
    env: { A: "1" },
    limits: { wallTime: "5s" },
  });
  assert.equal(cmd.details(), "cwd: /tmp\nenv: A\nwall time: 5s");
  const scheduler = Scheduler.sequential({ name: "main" });
  const square = scheduler.task((n: number) => n * n, { name: "square" });
  assert.equal(job(square, 2).details(), 'task "square" of scheduler "main"');
  const flow = new Flow({ label: "top", window: 2, timeout: "1m" });
  assert.equal(flow.details(), "window 2, timeout 1m");
  assert.equal(new Flow().details(), undefined);
  flow.add(new Detailed(), { label: "detailed" });
  flow.add(new Plain(), { label: "plain" });
  assert.deepEqual(flow.list({ ascii: true }).split("\n"), [
    "01 C   .   detailed",
    "02 C   .   plain",
  ]);
  assert.deepEqual(flow.list({ ascii: true, details: true }).split("\n"), [
    "01 C   .   detailed",
    "           line one",
    "           line two",
    "02 C   .   plain",
  ]);
  assert.throws(() => flow.list({ detail: true } as never), /did you mean "details"\?/);
  assert.match(flow.debrief({ details: true, ascii: true }), /\n {11}line one\n/);
});

Deno.test("failedCritical() and failedTimeOut() say why run() was not ok", async () => {
  const fine = new Flow(job(sleep, 1));
  await fine.run();
  assert.deepEqual([fine.failedCritical(), fine.failedTimeOut()], [false, false]);

  const critical = new Flow({ critical: false });
  critical.add(job(boom, 1, "bad"));
  assert.equal(await critical.run(), false);
  assert.deepEqual([critical.failedCritical(), critical.failedTimeOut()], [true, false]);

  const soft = new Flow({ critical: false });
  soft.add(job(boom, 1, "soft"), { critical: false });
  assert.equal(await soft.run(), true);
  assert.deepEqual([soft.failedCritical(), soft.failedTimeOut()], [false, false]);

  const slow = new Flow({ timeout: 20 });
  slow.add(job(sleep, 5000));
  await assert.rejects(slow.run(), TimeoutError);
  assert.deepEqual([slow.failedCritical(), slow.failedTimeOut()], [false, true]);
});

Deno.test("job-failed: the error is an Error, a thrown non-Error a ThrownValueError", async () => {
  const flow = new Flow({ critical: false });
  flow.add(
    job(() => {
      throw "a string";
    }),
    { label: "string", critical: false },
  );
  flow.add(job(boom, 1, "an error"), { label: "error", critical: false });
  const messages: string[] = [];
  // No cast: `error` is typed Error.
  flow.onJobFailed((failed, error) => messages.push(`${failed.label}: ${error.message}`));
  assert.equal(await flow.run(), true);
  assert.deepEqual(messages.sort(), [
    "error: an error",
    'string: A non-Error value was thrown: "a string"',
  ]);
  const thrown = flow.jobs[0].error;
  assert.ok(thrown instanceof ThrownValueError);
  assert.equal(thrown.value, "a string");
});
