// `deno task compile`: builds dist/baton. Where deno cannot download its
// compile runtime (no network), the test is skipped with the reason printed.
import { assertEquals, assertStringIncludes, FIXTURES, ROOT } from "./cli_helpers.ts";

const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
const task: string = config.tasks.compile;
const outDir = await Deno.makeTempDir({ prefix: "baton-compile-" });
const binary = `${outDir}/baton`;
// The task's own flags, with the output redirected to a temporary directory.
const args = task.replace(/^deno /, "").replace("--output dist/baton", `--output ${binary}`).split(
  /\s+/,
);
const build = await new Deno.Command(Deno.execPath(), {
  args,
  cwd: ROOT,
  stdout: "piped",
  stderr: "piped",
}).output();
const log = new TextDecoder().decode(build.stderr);
const unavailable =
  !build.success && /dl\.deno\.land|error sending request|dns error|Download/i.test(log)
    ? log.split("\n").find((l) => /error sending request|dns/i.test(l))?.trim() ?? "download failed"
    : undefined;
if (unavailable) {
  console.log(
    `cli compile: skipped, deno compile cannot download its runtime here: ${unavailable}`,
  );
  await Deno.remove(outDir, { recursive: true });
}

Deno.test("cli compile: the task is deno compile with the worker entries included", () => {
  assertStringIncludes(task, "deno compile");
  assertStringIncludes(task, "--include workers/web_worker.ts");
  assertStringIncludes(task, "--include workers/subprocess.ts");
  assertStringIncludes(task, "--unstable-worker-options");
  assertStringIncludes(task, "--output dist/baton cli.ts");
});

Deno.test({
  name: "cli compile: the binary runs workflows, with workers and with processes (no deno on PATH)",
  ignore: unavailable !== undefined,
  fn: async () => {
    try {
      assertEquals(build.success, true, log);
      for (const executor of ["workers", "processes"]) {
        const out = await new Deno.Command(binary, {
          args: ["run", `${FIXTURES}/nested.yaml`, "--executor", executor],
          env: { PATH: "/nonexistent" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder().decode(out.stdout);
        assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
        assertStringIncludes(text, "flow inner: FINE");
      }
    } finally {
      await Deno.remove(outDir, { recursive: true });
    }
  },
});
