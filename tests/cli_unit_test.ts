// Pieces of the CLI in-process: the schema interpreter, command splitting, the __worker entry.
import { assertEquals, assertStringIncludes, ROOT } from "./cli_helpers.ts";
import {
  type Schema,
  SUPPORTED_KEYWORDS,
  validateAgainstSchema,
  WORKFLOW_SCHEMA,
} from "../src/cli/workflow/schema.ts";
import { splitCommand } from "../src/cli/workflow/split.ts";
import { entryImports } from "../src/cli/subprocess_entry.ts";
import { denoArgs } from "../src/executors/process_flags.ts";
import { encodeFrame, FrameReader } from "../src/wire/framing.ts";

Deno.test("cli schema: uses only keywords the interpreter implements", () => {
  const unknown: string[] = [];
  const walk = (s: Schema | Schema[] | unknown, inMap = false) => {
    if (Array.isArray(s)) return s.forEach((x) => walk(x));
    if (typeof s !== "object" || s === null) return;
    for (const [key, value] of Object.entries(s)) {
      if (!inMap && !SUPPORTED_KEYWORDS.has(key)) unknown.push(key);
      if (key === "properties" || key === "$defs") {
        for (const sub of Object.values(value as object)) walk(sub);
      } else if (key !== "enum" && key !== "required") walk(value);
    }
  };
  walk(WORKFLOW_SCHEMA);
  assertEquals(unknown, []);
});

Deno.test("cli schema: accepts a good workflow, names bad values and what is accepted", () => {
  assertEquals(validateAgainstSchema({ jobs: { a: { run: "echo", requires: ["b"] } } }), []);
  const issues = validateAgainstSchema({
    window: -1,
    jobs: { a: { run: [], retries: 1.5, permissions: "some" }, "1bad": { run: "x" } },
  });
  assertEquals(issues.map((i) => [i.path.join("."), i.message]), [
    ["window", "window must be at least 0, got -1"],
    ["jobs.a.run", "jobs.a.run needs at least 1 item(s)"],
    ["jobs.a.retries", "jobs.a.retries must be an integer, got 1.5"],
    [
      "jobs.a.permissions",
      'jobs.a.permissions must be one of "none", "inherit" or a mapping, got "some"',
    ],
    [
      "jobs.1bad",
      'jobs: the name "1bad" is not accepted; use letters, digits, "_", "-" and ".", starting with a letter or "_"',
    ],
  ]);
  assertStringIncludes(validateAgainstSchema([])[0].message, "the file must be a mapping");
});

Deno.test("cli: run strings split like a shell, without one", () => {
  assertEquals(splitCommand(`python3 train.py --name "big model" 'a b' c\\ d`), [
    "python3",
    "train.py",
    "--name",
    "big model",
    "a b",
    "c d",
  ]);
  assertEquals(splitCommand(`echo "" ''`), ["echo", "", ""]);
});

Deno.test("cli __worker: serves as a process-pool child from the deno args a parent passes", async () => {
  const args = denoArgs({ poolId: "test", permissions: undefined, v8Flags: [] });
  const [runtime] = entryImports(args);
  assertStringIncludes(runtime, "/workers/subprocess.ts");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}/cli.ts`, "__worker", ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = new FrameReader();
  const messages: unknown[] = [];
  const writer = child.stdin.getWriter();
  const frames = child.stdout.getReader();
  const next = async () => {
    while (messages.length === 0) {
      const { value, done } = await frames.read();
      if (done) throw new Error("the child closed stdout");
      messages.push(...reader.push(value));
    }
    return messages.shift();
  };
  assertEquals(await next(), { t: "ready" });
  await writer.write(encodeFrame({
    t: "call",
    id: 1,
    fn: { kind: "source", key: 1, name: "double", source: "function double(n) { return 2 * n; }" },
    args: [21],
  }));
  assertEquals(await next(), { t: "ok", id: 1, value: 42 });
  await writer.close();
  frames.releaseLock();
  await child.stdout.cancel();
  assertEquals((await child.status).code, 0);
});
