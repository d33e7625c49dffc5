/** `baton worker` argument handling (no Redis needed). */
import assert from "node:assert/strict";
import { parseWorkerArgs } from "../src/cli/worker_command.ts";
import { TEST_LOCK } from "./cli_helpers.ts";

const ENTRY = new URL("../cli.ts", import.meta.url).pathname;

async function run(...args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const { code, stderr, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `--lock=${TEST_LOCK}`, ENTRY, "worker", ...args],
    stdin: "null",
  }).output();
  return {
    code,
    stderr: new TextDecoder().decode(stderr),
    stdout: new TextDecoder().decode(stdout),
  };
}

Deno.test("worker command: full options parse", () => {
  assert.deepEqual(
    parseWorkerArgs([
      "--redis",
      "redis://10.0.0.5:6380",
      "--queue",
      "jobs",
      "--concurrency",
      "4",
      "--executor",
      "workers",
      "--permissions",
      "read,net",
      "--limits",
      "wallTime=10s,memory=512MB",
      "--lock-duration",
      "5s",
      "--max-stalls",
      "2",
      "--name",
      "box-1",
    ]),
    {
      connection: "redis://10.0.0.5:6380",
      queue: "jobs",
      concurrency: 4,
      executor: "workers",
      maxStalls: 2,
      permissions: { read: true, net: true },
      limits: { wallTime: "10s", memory: "512MB" },
      lockDuration: "5s",
      name: "box-1",
    },
  );
  assert.deepEqual(
    parseWorkerArgs(["--queue", "q", "--redis", "redis://h", "--permissions", "none"]),
    {
      connection: "redis://h",
      queue: "q",
      concurrency: undefined,
      executor: "processes",
      maxStalls: undefined,
      permissions: "none",
    },
  );
  assert.equal(parseWorkerArgs(["--help"]), "help");
});

Deno.test("worker command: bad values name the value and what is accepted", () => {
  const cases: Array<[string[], RegExp]> = [
    [["--queue", "q"], /--redis URL is required/],
    [["--redis", "redis://h"], /--queue NAME is required/],
    [
      ["--redis", "redis://h", "--queue", "q", "--concurrency", "0"],
      /--concurrency must be an integer of at least 1, got "0"/,
    ],
    [
      ["--redis", "redis://h", "--queue", "q", "--executor", "gpu"],
      /--executor must be processes, workers or sequential, got "gpu"/,
    ],
    [
      ["--redis", "redis://h", "--queue", "q", "--permissions", "read,fly"],
      /Unknown permission "fly".*accepted/,
    ],
    [["--redis", "redis://h", "--queue", "q", "--limits", "wallTime"], /--limits must look like/],
    [["--redis", "redis://h", "--queue", "q", "--limits", "speed=3"], /Unknown limit "speed"/],
    [["--redis", "redis://h", "--queue", "q", "--bogus"], /bogus/],
  ];
  for (const [args, pattern] of cases) {
    assert.throws(() => parseWorkerArgs(args), pattern, args.join(" "));
  }
});

Deno.test("worker command: exit code 2 on bad arguments, 0 with --help", async () => {
  const bad = await run("--redis", "http://h", "--queue", "q");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Not a Redis URL: "http:\/\/h".*redis:\/\//);
  const badQueue = await run("--redis", "redis://h", "--queue", "a:b");
  assert.equal(badQueue.code, 2);
  assert.match(badQueue.stderr, /queue name .* got "a:b"/);
  const missing = await run();
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Usage: baton worker/);
  const help = await run("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: baton worker --redis URL --queue NAME/);
});
