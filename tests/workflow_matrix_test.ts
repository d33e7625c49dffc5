// matrix: ids, values through args/with/run/env, requires fan-in, and errors at file:line:col.
import { assert, assertEquals, assertStringIncludes } from "./cli_helpers.ts";
import { check, flakyJob, runWorkflow, yaml } from "./workflow_helpers.ts";
import {
  FromArg,
  type JobSpec,
  type ModuleJobSpec,
  type RunJobSpec,
} from "../src/cli/workflow/types.ts";
import { matrixId } from "../src/cli/workflow/matrix.ts";

const ids = (jobs: readonly JobSpec[] | undefined) => (jobs ?? []).map((j) => j.id);

Deno.test("matrix: one job per combination, first key slowest, ids name every value", async () => {
  const { spec, issues } = await check(yaml(
    "jobs:",
    "  train:",
    "    run: echo",
    "    matrix:",
    "      lr: [0.1, 0.01, 1e-7]",
    "      depth: [4, 8]",
  ));
  assertEquals(issues, []);
  assertEquals(ids(spec?.jobs), [
    "train[lr=0.1,depth=4]",
    "train[lr=0.1,depth=8]",
    "train[lr=0.01,depth=4]",
    "train[lr=0.01,depth=8]",
    "train[lr=1e-7,depth=4]",
    "train[lr=1e-7,depth=8]",
  ]);
  assertEquals(spec!.jobs.map((j) => j.name), Array(6).fill("train"));
  assertEquals(spec!.jobs[3].matrix, { lr: 0.01, depth: 8 });
});

Deno.test("matrix ids: strings bare when plain, quoted otherwise; booleans; keys in file order", () => {
  assertEquals(matrixId("t", { opt: "adam", b: true }), "t[opt=adam,b=true]");
  assertEquals(matrixId("t", { path: "data/v1.2-x", n: -3 }), "t[path=data/v1.2-x,n=-3]");
  assertEquals(matrixId("t", { s: "a b", e: "", c: "x,y]" }), 't[s="a b",e="",c="x,y]"]');
  assertEquals(matrixId("t", { z: 1, a: 2 }), "t[z=1,a=2]");
});

Deno.test("matrix values: { matrix: key } keeps the type, ${{ matrix.key }} gives the text", async () => {
  const { spec, issues } = await check(yaml(
    "jobs:",
    "  fit:",
    "    module: modules/flaky.ts",
    "    export: echo",
    "    matrix: { lr: [0.5], opt: [adam], fast: [true] }",
    '    args: [{ matrix: lr }, "lr=${{ matrix.lr }}", [{ nested: "${{matrix.opt}}" }]]',
    '    with: { optimizer: { matrix: opt }, fast: { matrix: fast }, label: "run-${{ matrix.lr }}" }',
    "  implicit:",
    "    module: modules/flaky.ts",
    "    export: echo",
    "    matrix: { lr: [0.1, 0.2] }",
    "  cmd:",
    '    run: python3 train.py --name "${{ matrix.name }}" --lr=${{ matrix.lr }}',
    "    matrix: { name: [big model], lr: [0.1] }",
    '    env: { LR: "${{ matrix.lr }}", FIXED: 1 }',
    "  list:",
    "    run: [echo, '${{ matrix.name }}', 'x-${{ matrix.name }}']",
    "    matrix: { name: [a b] }",
    "  script:",
    "    run: echo ${{ matrix.n }} | wc -c",
    "    shell: true",
    "    matrix: { n: [7] }",
  ));
  assertEquals(issues, []);
  const [fit, implicit1, implicit2, cmd, list, script] = spec!.jobs as [
    ModuleJobSpec,
    ModuleJobSpec,
    ModuleJobSpec,
    RunJobSpec,
    RunJobSpec,
    RunJobSpec,
  ];
  assertEquals(fit.args, [0.5, "lr=0.5", [{ nested: "adam" }]]);
  assertEquals(fit.with, { optimizer: "adam", fast: true, label: "run-0.5" });
  // Without args or with, a matrix module job is called with its combination.
  assertEquals([implicit1.args, implicit1.with, implicit2.with], [[], { lr: 0.1 }, { lr: 0.2 }]);
  assertEquals(cmd.id, 'cmd[name="big model",lr=0.1]');
  assertEquals(cmd.argv, ["python3", "train.py", "--name", "big model", "--lr=0.1"]);
  assertEquals(cmd.env, { LR: "0.1", FIXED: "1" });
  assertEquals(list.argv, ["echo", "a b", "x-a b"]);
  assertEquals(script.argv, ["sh", "-c", "echo 7 | wc -c"]);
});

Deno.test("matrix fan-in: requires and { from } on a matrix job mean all of its jobs", async () => {
  const { spec, issues } = await check(yaml(
    "jobs:",
    "  prep:",
    "    run: echo prep",
    "  train:",
    "    run: echo",
    "    matrix: { lr: [1, 2], seed: [0, 1] }",
    "    requires: prep",
    "  report:",
    "    module: modules/flaky.ts",
    "    export: echo",
    "    args: [{ from: train }, { from: prep }]",
    "  one:",
    "    run: echo one",
    '    requires: ["train[lr=2,seed=0]"]',
  ));
  assertEquals(issues, []);
  const byId = new Map(spec!.jobs.map((j) => [j.id, j]));
  const trains = [
    "train[lr=1,seed=0]",
    "train[lr=1,seed=1]",
    "train[lr=2,seed=0]",
    "train[lr=2,seed=1]",
  ];
  for (const id of trains) assertEquals(byId.get(id)!.requires, ["prep"]);
  const report = byId.get("report") as ModuleJobSpec;
  assertEquals(report.requires, [...trains, "prep"]);
  assertEquals(report.args, [new FromArg(trains, true), new FromArg(["prep"], false)]);
  assertEquals(byId.get("one")!.requires, ["train[lr=2,seed=0]"]);
});

Deno.test("matrix run: results of every combination reach the fan-in job, in matrix order", async () => {
  const { ok, built, events } = await runWorkflow(yaml(
    "jobs:",
    "  sq:",
    "    module: modules/flaky.ts",
    "    export: echo",
    "    matrix: { x: [3, 1, 2] }",
    "    args: [{ matrix: x }]",
    "  all:",
    "    module: modules/flaky.ts",
    "    export: echo",
    "    args: [{ from: sq }]",
    "  named:",
    "    module: modules/flaky.ts",
    "    export: echo",
    '    args: [{ from: "sq[x=2]" }]',
    "    with: { all: { from: sq }, k: 1 }",
  ));
  assert(ok);
  const result = (label: string) => built.flow.jobs.find((j) => j.label === label)!.result;
  assertEquals(result("all"), [[[3], [1], [2]]]);
  assertEquals(result("named"), [[2], { all: [[3], [1], [2]], k: 1 }]);
  const started = events.filter(([e]) => e === "job-started").map(([, job]) => job);
  assertEquals(started.slice(0, 3).sort(), ["sq[x=1]", "sq[x=2]", "sq[x=3]"]);
  assertEquals(started.slice(3).sort(), ["all", "named"]);
});

Deno.test("matrix errors: each at its file:line:col, naming the value and what is accepted", async () => {
  const { lines, spec } = await check(yaml(
    "jobs:", //  1
    "  empty:", //  2
    "    run: echo", //  3
    "    matrix: {}", //  4
    "  noValues:", //  5
    "    run: echo", //  6
    "    matrix: { lr: [] }", //  7
    "  nested:", //  8
    "    run: echo", //  9
    "    matrix: { lr: [0.1, { a: 1 }] }", // 10
    "  huge:", // 11
    "    run: echo", // 12
    "    matrix: { a: [1,2,3,4,5,6,7,8,9,10], b: [1,2,3,4,5,6,7,8,9,10], c: [1,2,3,4,5,6,7,8,9,10,11] }",
    "  typo:", // 14
    "    module: modules/flaky.ts", // 15
    "    export: echo", // 16
    "    matrix: { depth: [1] }", // 17
    "    args: [{ matrix: dpeth }]", // 18
    "  text:", // 19
    "    run: echo ${{ matrix.width }} ${{ depth }}", // 20
    "    matrix: { depth: [1] }", // 21
    "  none:", // 22
    "    run: echo ${{ matrix.lr }}", // 23
    "  twice:", // 24
    "    run: echo", // 25
    '    matrix: { lr: [1, 2, 1], s: [1, "1"] }', // 26
    "  sub:", // 27
    "    flow: nested.yaml", // 28
    "    matrix: { a: [1] }", // 29
    "  nulls:", // 30
    "    run: echo", // 31
    "    matrix: { a: [null] }", // 32
  ));
  assertEquals(spec?.jobs.length, 0, "every job here is bad");
  const expect = [
    "4:13: jobs.empty.matrix needs at least 1 entry",
    "7:19: jobs.noValues.matrix.lr needs at least 1 item(s)",
    '10:25: jobs.nested.matrix.lr.1 must be a string or a number or true or false, got {"a":1}',
    '13:13: job "huge": its matrix has 1,100 combinations (10 × 10 × 11); at most 1,000 are accepted per job',
    '18:22: job "typo": { matrix: dpeth } names no key of its matrix (did you mean "depth"?); keys: depth',
    '20:10: job "text": ${{ matrix.width }} names no key of its matrix; keys: depth',
    '20:10: job "text": ${{ depth }} is not a placeholder baton knows; write ${{ matrix.<key> }} with a key of the job\'s matrix (depth)',
    '23:10: job "none" uses ${{ matrix.lr }} but has no matrix; add matrix: { lr: [...] }',
    '26:26: job "twice": matrix.lr lists 1 twice',
    '26:37: job "twice": matrix.s has 1 and "1", which give the same job id (s=1); keep one of them',
    '29:5: "matrix" does not apply to a flow job ("sub")',
    "32:19: jobs.nulls.matrix.a.0 must be a string or a number or true or false, got null",
  ];

  assertEquals(lines.length, expect.length, lines.join("\n"));
  expect.forEach((part, i) => assertStringIncludes(lines[i], part));
});

Deno.test("from: results pass through the library's ResultRef; a failed one is undefined", async () => {
  const key = crypto.randomUUID();
  const { built, events } = await runWorkflow(yaml(
    "jobs:",
    ...flakyJob(key, 0),
    ...flakyJob(`${key}-bad`, 9, "critical: false").map((l) => l.replace("flaky:", "bad:")),
    "  passed:",
    "    module: modules/flaky.ts",
    "    export: echo",
    "    args: [{ from: flaky }, 2]",
    "    with: { also: { from: flaky } }",
    "  orphan:",
    "    module: modules/flaky.ts",
    "    export: echo",
    "    args: [{ from: bad }]",
    "    critical: false",
  ));
  const byLabel = new Map(built.flow.jobs.map((j) => [j.label, j]));
  const result = { key, calls: 1 };
  assertEquals(byLabel.get("passed")!.result, [result, 2, { also: result }]);
  // A non-critical requirement failed: the job still runs, with undefined in its place
  // (docs/workflows.md), where the library's resultOf() would fail it.
  const orphan = byLabel.get("orphan")!;
  assert(!orphan.failed, String(orphan.error));
  assertEquals(orphan.result, [undefined]);
  assert(events.some(([event, label]) => event === "job-failed" && label === "bad"));
});
