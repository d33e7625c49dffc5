// `deno task compile` (scripts/compile.ts): builds the baton binary. It runs
// whenever deno has a compile runtime (downloaded, or DENORT_BIN); where it
// has none the build fails with baton's hint and the binary test is skipped
// with that reason printed.
import { assert, assertEquals, assertStringIncludes, FIXTURES, ROOT } from "./cli_helpers.ts";
import { compileArgs, runtimeHint } from "../scripts/compile.ts";

const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
const outDir = await Deno.makeTempDir({ prefix: "baton-compile-" });
const binary = `${outDir}/baton`;
const build = await new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", `${ROOT}/scripts/compile.ts`, "--output", binary],
  cwd: ROOT,
  stdout: "piped",
  stderr: "piped",
}).output();
const log = new TextDecoder().decode(build.stderr);
const hint = log.split("\n").find((line) => line.startsWith("baton: deno compile could not"));
const unavailable = !build.success && hint !== undefined ? hint : undefined;
if (unavailable) {
  console.log(`cli compile: the binary test is skipped: ${unavailable}`);
  await Deno.remove(outDir, { recursive: true });
}

Deno.test("cli compile: the task runs scripts/compile.ts, which includes the worker entries", () => {
  assertEquals(config.tasks.compile, "deno run -A scripts/compile.ts");
  const args = compileArgs().join(" ");
  assertStringIncludes(args, "compile -A --lock=tests/deno.lock --unstable-worker-options");
  for (
    const entry of ["workers/web_worker.ts", "workers/subprocess.ts", "src/executors/redis/npm.ts"]
  ) {
    assertStringIncludes(args, `--include ${entry}`);
  }
  assertStringIncludes(args, "--output dist/baton cli.ts");
});

// What deno 2.9 prints when it cannot fetch denort (captured without network).
const OFFLINE = `Compile cli.ts to baton
Download https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip
error: Writing deno compile executable to temporary file 'baton.tmp-c382bfd32240cc63'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known`;

Deno.test("cli compile: a runtime that cannot be downloaded gets a hint naming DENORT_BIN", () => {
  const text = runtimeHint(OFFLINE, undefined);
  assert(text !== undefined);
  assertStringIncludes(text, "denort-x86_64-unknown-linux-gnu.zip");
  assertStringIncludes(text, "DENORT_BIN=/path/to/denort");
  assertStringIncludes(text, `denort ${Deno.version.deno}`);
  assertEquals(runtimeHint("error: TS2322 Type 'string' is not assignable", undefined), undefined);
  // The build either worked or failed with a hint: never a bare network error.
  assert(build.success || hint !== undefined, log);
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
