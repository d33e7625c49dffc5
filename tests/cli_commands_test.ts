import { assert, assertEquals, assertMatch, assertStringIncludes } from "./cli_helpers.ts";
import { cli, cliCommand, FIXTURES } from "./cli_helpers.ts";

const assertIncludes = (text: string, part: string) => assertStringIncludes(text, part);

Deno.test("cli: --help for the program and every command, exit 0", async () => {
  const main = await cli(["--help"]);
  assertEquals(main.code, 0);
  for (const c of ["run", "validate", "list", "dot", "worker"]) assertIncludes(main.stdout, c);
  for (const command of ["run", "validate", "list", "dot", "worker"]) {
    const { code, stdout } = await cli([command, "--help"]);
    assertEquals(code, 0, command);
    assertMatch(stdout, new RegExp(`Usage: baton ${command}`));
  }
  assertIncludes((await cli(["run", "--help"])).stdout, "--executor");
});

Deno.test("cli: no command prints the help on stderr, exit 2", async () => {
  const { code, stderr } = await cli([]);
  assertEquals(code, 2);
  assertIncludes(stderr, "Usage: baton <command>");
});

Deno.test("cli: --version prints the version from deno.json", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const { code, stdout } = await cli(["--version"]);
  assertEquals(code, 0);
  assertEquals(stdout.trim(), `baton ${config.version}`);
});

Deno.test("cli: unknown command, unknown option and bad values exit 2 naming them", async () => {
  let r = await cli(["rnu", "x.yaml"]);
  assertEquals(r.code, 2);
  assertIncludes(r.stderr, 'unknown command "rnu" (did you mean "run"?)');
  r = await cli(["run", `${FIXTURES}/fails.yaml`, "--wrokers", "2"]);
  assertEquals(r.code, 2);
  assertIncludes(r.stderr, 'unknown option --wrokers (did you mean "--workers"?)');
  r = await cli(["run", `${FIXTURES}/fails.yaml`, "--workers", "0"]);
  assertEquals(r.code, 2);
  assertIncludes(r.stderr, '--workers must be a positive integer, got "0"');
  r = await cli(["run", `${FIXTURES}/fails.yaml`, "--executor", "thread"]);
  assertEquals(r.code, 2);
  assertIncludes(r.stderr, "--executor must be one of workers, processes, sequential");
  r = await cli(["run", `${FIXTURES}/fails.yaml`, "--timeout", "soon"]);
  assertEquals(r.code, 2);
  assertIncludes(r.stderr, '--timeout: Invalid duration: "soon"');
  r = await cli(["run", `${FIXTURES}/fails.yaml`, "--monitor", "70000"]);
  assertEquals(r.code, 2);
  assertIncludes(r.stderr, "--monitor must be a port number from 0 to 65535");
  r = await cli(["validate"]);
  assertEquals(r.code, 2);
  assertIncludes(r.stderr, "needs exactly one workflow file, got none");
  r = await cli(["list", `${FIXTURES}/missing.yaml`]);
  assertEquals(r.code, 2);
  assertIncludes(r.stderr, "missing.yaml: cannot read the workflow file: no such file");
});

Deno.test("cli: validate says ok with the counts, exit 0", async () => {
  const { code, stdout } = await cli(["validate", `${FIXTURES}/full.yaml`]);
  assertEquals(code, 0);
  assertMatch(stdout, /^ok: .*full\.yaml \(8 jobs, 1 nested flow\)\n$/);
});

Deno.test("cli: list prints the listing without running", async () => {
  const { code, stdout } = await cli(["list", `${FIXTURES}/fails.yaml`]);
  assertEquals(code, 0);
  assertEquals(
    stdout,
    [
      "01 C   .   ok",
      "02 C   .   broken - requires {01}",
      "03 C   .   after - requires {02}",
      "",
    ].join("\n"),
  );
});

Deno.test("cli: dot prints Graphviz with the nested flow as a cluster", async () => {
  const { code, stdout } = await cli(["dot", `${FIXTURES}/full.yaml`]);
  assertEquals(code, 0);
  assert(stdout.startsWith('digraph "full" {'));
  assertIncludes(stdout, 'label="sq"');
  assertIncludes(stdout, "subgraph cluster_");
  assertIncludes(stdout, 'label="inner-two"'.replace("inner-two", "two"));
  assertEquals(stdout.trimEnd().at(-1), "}");
});

Deno.test("cli: run exits 1 when the flow fails and 0 when it succeeds", async () => {
  const failed = await cli(["run", `${FIXTURES}/fails.yaml`]);
  assertEquals(failed.code, 1, failed.stderr);
  assertIncludes(failed.stderr, "failed jobs:");
  assertIncludes(failed.stderr, "broken: CommandError");
  assertIncludes(failed.stdout, "a CRITICAL job has raised an exception");
  const ok = await cli(["run", `${FIXTURES}/nested.yaml`, "--executor", "sequential"]);
  assertEquals(ok.code, 0, ok.stderr);
  assertIncludes(ok.stdout, "flow inner: FINE");
});

Deno.test("cli: run --timeout overrides the file and fails the run", async () => {
  const r = await cli([
    "run",
    `${FIXTURES}/slow.yaml`,
    "--executor",
    "sequential",
    "--timeout",
    "300ms",
  ]);
  assertEquals(r.code, 1, r.stderr);
  assertIncludes(r.stdout, "TIMED OUT after 300ms");
});

Deno.test("cli: worker without --redis or --connect is a clear exit-2 error", async () => {
  const { code, stderr } = await cli(["worker"]);
  assertEquals(code, 2);
  assertIncludes(stderr, "--redis");
  const connect = await cli(["worker", "--connect", "nohost"]);
  assertEquals(connect.code, 2);
  assertIncludes(connect.stderr, "nohost");
});

Deno.test("cli: --monitor serves the run's status while it runs", async () => {
  const child = cliCommand(["run", `${FIXTURES}/brief.yaml`, "--monitor", "0", "--monitor-exit"])
    .spawn();
  const stdout = child.stdout.text();
  // The URL is printed on stderr before the first job starts.
  let seen = "";
  let url = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  while (!url) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
    url = /monitor: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(seen)?.[1] ?? "";
  }
  assert.ok(url, `no monitor URL in:\n${seen}`);
  const status = await (await fetch(new URL("api/status", url))).json();
  const text = JSON.stringify(status);
  assertIncludes(text, "nap");
  await reader.cancel();
  const { code } = await child.status;
  await stdout;
  assertEquals(code, 0);
});
