/** The test tasks in deno.json keep to the rules tests/README.md gives them. */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const tasks: Record<string, string> =
  JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).tasks;

// What makes a file unfit for the inner loop: a subprocess, a service or a browser.
const OUT_OF_PROCESS = [
  /Deno\.Command|execPath\(\)/,
  /withProcesses|"processes"|eachExecutor|EXECUTORS/,
  /redis_helpers|BATON_TEST_REDIS/,
  /monitor_browser|openBrowser/,
  /whyNoCluster|BATON_TEST_S(LURM|GE|LOW)/,
];

Deno.test("test:unit lists only in-process test files", async () => {
  const files = tasks["test:unit"].split(/\s+/).filter((w) => w.startsWith("tests/"));
  assert.ok(files.length >= 20, `test:unit lists ${files.length} files`);
  for (const file of files) {
    assert.match(file, /_test\.ts$/);
    const text = await Deno.readTextFile(new URL(file, ROOT));
    for (const marker of OUT_OF_PROCESS) {
      assert.doesNotMatch(text, marker, `${file} is in test:unit but leaves the process`);
    }
  }
});

Deno.test("tasks that load the Redis or test-only packages use tests/deno.lock", () => {
  // compile: scripts/compile.ts passes it (tests/cli_compile_test.ts checks).
  for (const name of ["test:unit", "check", "bench", "baton", "example:redis"]) {
    assert.match(tasks[name], /--lock=tests\/deno\.lock/, `task ${name}`);
  }
});
