// One fixture per kind of bad file: each error names file, line, column and what is accepted.
import { assertEquals, assertStringIncludes, cli, FIXTURES } from "./cli_helpers.ts";

const CASES: [fixture: string, position: string, parts: string[]][] = [
  ["bad_unknown_key.yaml", "5:5", [
    'unknown key "requries" in jobs.a (did you mean "requires"?)',
    "accepted: run, shell",
  ]],
  ["bad_missing_requirement.yaml", "6:16", [
    'job "train" requires "fetsh", which is not a job of this file (did you mean "fetch"?); jobs: fetch, train',
  ]],
  ["bad_cycle.yaml", "4:5", ["the requirements form a cycle: a → b → c → a"]],
  ["bad_duration.yaml", "1:10", [
    'timeout: Invalid duration: "5 minutes"',
    '"250ms", "10s", "5m", "1h"',
  ]],
  ["bad_size.yaml", "6:23", [
    'jobs.a.limits.memory: Invalid size: "12 parsecs"',
    '"512KB", "256MB", "2GB"',
  ]],
  ["bad_no_kind.yaml", "2:3", [
    'job "a" has no kind; give exactly one of run (a command), module with export',
  ]],
  ["bad_two_kinds.yaml", "2:3", [
    'job "a" has run and module; give exactly one of run, module or flow',
  ]],
  ["bad_yaml.yaml", "4:1", ["invalid YAML: Flow sequence"]],
  ["bad_export.yaml", "4:13", [
    'has no exported function "sqare"',
    "exported functions: add, allocate, forever, square, total",
  ]],
  ["bad_memory_on_workers.yaml", "7:13", [
    'job "big" cannot run on the workers executor',
    "use --executor processes, which enforces CPU, memory and wall time",
  ]],
  ["bad_executor.yaml", "1:11", [
    'executor must be one of "workers", "processes", "sequential", got "threads"',
  ]],
];

for (const [fixture, position, parts] of CASES) {
  Deno.test(`cli errors: ${fixture} → exit 2 at ${position}, for validate, list, dot and run`, async () => {
    for (const command of ["validate", "list", "dot", "run"]) {
      const { code, stdout, stderr } = await cli([command, `tests/fixtures/workflows/${fixture}`]);
      assertEquals(code, 2, `${command}: ${stderr}`);
      assertStringIncludes(stderr, `tests/fixtures/workflows/${fixture}:${position}: `);
      for (const part of parts) assertStringIncludes(stderr, part);
      assertStringIncludes(stderr, "nothing was run");
      assertEquals(stdout, "", `${command} printed on stdout`);
      // Library advice is translated for the command line.
      assertEquals(stderr.includes("Scheduler."), false, stderr);
    }
  });
}

Deno.test("cli errors: every problem of a file is reported at once, in line order", async () => {
  // Schema, requirement and module problems used to come in three rounds.
  const path = `${FIXTURES}/tmp_many.yaml`;
  await Deno.writeTextFile(
    path,
    [
      "windw: 2",
      "jobs:",
      "  a:",
      "    run: echo a",
      "    limits: { wallTime: forever }",
      "  b:",
      "    run: echo b",
      "    requires: zz",
      "  c:",
      "    module: modules/math.ts",
      "    export: sqare",
      "  d:",
      "    run: echo d",
      "    requires: [a, c]",
    ].join("\n"),
  );
  try {
    const { code, stderr } = await cli(["validate", path]);
    assertEquals(code, 2);
    const lines = stderr.split("\n").filter((l) => l.includes("tmp_many.yaml:"));
    assertEquals(lines.map((l) => /:(\d+:\d+): /.exec(l)?.[1]), ["1:1", "5:25", "8:15", "11:13"]);
    assertStringIncludes(lines[0], 'unknown key "windw" in the file (did you mean "window"?)');
    assertStringIncludes(lines[1], 'jobs.a.limits.wallTime: Invalid duration: "forever"');
    assertStringIncludes(lines[2], 'job "b" requires "zz", which is not a job of this file');
    assertStringIncludes(lines[3], 'has no exported function "sqare"');
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("cli errors: a nested file's problems name the nested file; include loops are refused", async () => {
  const outer = `${FIXTURES}/tmp_outer.yaml`, inner = `${FIXTURES}/tmp_inner.yaml`;
  await Deno.writeTextFile(outer, "jobs:\n  sub:\n    flow: tmp_inner.yaml\n");
  await Deno.writeTextFile(
    inner,
    "jobs:\n  x:\n    run: echo x\n    critcal: true\n  back:\n    flow: tmp_outer.yaml\n",
  );
  try {
    const { code, stderr } = await cli(["validate", outer]);
    assertEquals(code, 2);
    assertStringIncludes(
      stderr,
      'tmp_inner.yaml:4:5: unknown key "critcal" in jobs.x (did you mean "critical"?)',
    );
    await Deno.writeTextFile(inner, "jobs:\n  back:\n    flow: tmp_outer.yaml\n");
    const loop = await cli(["validate", outer]);
    assertEquals(loop.code, 2);
    assertStringIncludes(loop.stderr, "workflow files include each other in a loop:");
  } finally {
    await Deno.remove(outer);
    await Deno.remove(inner);
  }
});

Deno.test("cli errors: kind-specific keys, from-references, run limits and permissions", async () => {
  const path = `${FIXTURES}/tmp_kinds.yaml`;
  await Deno.writeTextFile(
    path,
    [
      "jobs:",
      "  a:",
      "    run: echo a",
      "    export: f",
      "  b:",
      "    run: [ls]",
      "    limits: { memory: 1GB }",
      "  c:",
      "    module: modules/math.ts",
      "    export: add",
      "    args: [{ from: nobody }, 1]",
      "  d:",
      "    run: [ls]",
      "    permissions: none",
      "  e:",
      '    run: "echo \'unterminated"',
    ].join("\n"),
  );
  try {
    const { code, stderr } = await cli(["validate", path]);
    assertEquals(code, 2);
    assertStringIncludes(stderr, ':4:5: "export" does not apply to a run job ("a")');
    assertStringIncludes(stderr, ':7:15: job "b": a run job accepts limits.wallTime only');
    assertStringIncludes(
      stderr,
      ':11:20: job "c" takes the result of "nobody", which is not a job',
    );
    assertStringIncludes(
      stderr,
      ':14:5: job "d": permissions apply to module jobs and to deno commands',
    );
    assertStringIncludes(stderr, ':16:10: job "e": unterminated \' quote');
  } finally {
    await Deno.remove(path);
  }
});
