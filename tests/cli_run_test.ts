// End to end through the CLI in a subprocess: the full workflow, --json, the plain view, Ctrl-C.
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  cli,
  cliCommand,
  fixtureCopy,
  FIXTURES,
} from "./cli_helpers.ts";

Deno.test("cli run: commands, module jobs, a nested flow, a forever job and limits, on processes", async () => {
  const token = crypto.randomUUID().slice(0, 8);
  const file = await fixtureCopy("full.yaml", token);
  try {
    const { code, stdout, stderr } = await cli(["run", file, "--workers", "2"]);
    assertEquals(code, 0, stderr);
    const listing = stdout.slice(stdout.lastIndexOf("\n\n") + 2);
    assertMatch(listing, /sum => 6\n/);
    assertMatch(listing, /sq => 49 - requires/);
    assertMatch(listing, /pass => 50 - requires/); // 49 from sq, through { from: sq }
    assertMatch(listing, /\n {4}\d+ C o x {3}one => 5\n/); // the nested flow, indented
    assertMatch(listing, /inner-two/);
    assertMatch(listing, /~ ticker \[cancelled\]/); // the forever job, cancelled at the end
    assertMatch(listing, /flaky => \{ code: 0/); // failed once, then retried
    assertStringIncludes(stdout, "started   sq (wall ≤30s, mem ≤256MB)");
    assertStringIncludes(stdout, "flow full: FINE");
    await Deno.stat(`/tmp/baton-cli-flaky-${token}`); // the first attempt ran
  } finally {
    await Deno.remove(file);
    await Deno.remove(`/tmp/baton-cli-flaky-${token}`).catch(() => {});
  }
});

Deno.test("cli run --json: one parsable event per line, ending with the summary", async () => {
  const { code, stdout } = await cli(["run", `${FIXTURES}/fails.yaml`, "--json"]);
  assertEquals(code, 1);
  const events = stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
  assertEquals(events.map((e) => [e.event, e.job ?? e.flow]), [
    ["flow-start", "fails"],
    ["job-started", "ok"],
    ["job-done", "ok"],
    ["job-started", "broken"],
    ["log", "broken"], // what it wrote, line by line
    ["job-failed", "broken"],
    ["flow-done", "fails"],
    ["end", undefined],
  ]);
  for (const e of events) assert(!Number.isNaN(Date.parse(e.time)));
  assertEquals([events[4].stream, events[4].text], ["stderr", "broken"]);
  assertEquals(events[5].error.name, "CommandError");
  assertStringIncludes(events[5].error.message, "exited with code 4: broken");
  const end = events.at(-1);
  assertEquals([end.ok, end.code], [false, 1]);
  assertEquals(
    end.jobs.map((
      j: { job: string; state: string; failed: boolean },
    ) => [j.job, j.state, j.failed]),
    [["ok", "done", false], ["broken", "done", true], ["after", "idle", false]],
  );
});

Deno.test("cli run: the non-TTY output is stable (timestamps aside)", async () => {
  const { code, stdout } = await cli([
    "run",
    `${FIXTURES}/nested.yaml`,
    "--executor",
    "sequential",
  ]);
  assertEquals(code, 0);
  const lines = stdout.split("\n");
  for (const line of lines.slice(0, 7)) assertMatch(line, /^\d\d:\d\d:\d\d\.\d{3} /);
  const withoutTimes = lines.map((l) =>
    l.replace(/^\d\d:\d\d:\d\d\.\d{3} /, "").replace(/ in \d+(\.\d+)?m?s$/, " in T")
  );
  assertEquals(
    withoutTimes.join("\n"),
    [
      "start     flow inner (2 jobs)",
      "started   one",
      "done      one in T",
      "started   two",
      "two | inner-two",
      "done      two in T",
      "finished  flow inner: FINE",
      "",
      "01 C o x   one => 5",
      '02 C o x   two => { code: 0, stdout: "inner-two\\n", stderr: "" } - requires {01}',
      "flow inner: FINE (2 done + 0 running + 0 idle = 2 jobs)",
      "",
    ].join("\n"),
  );
});

/** Every descendant of `pid` (from /proc). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry.name)]);
    } catch { /* gone meanwhile */ }
  }
  const out: number[] = [];
  const visit = (p: number) => {
    for (const child of parents.get(p) ?? []) {
      out.push(child);
      visit(child);
    }
  };
  visit(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ");
  } catch {
    return "";
  }
}

Deno.test("cli run: Ctrl-C cancels running jobs, kills every child, prints the listing, exits 130", async () => {
  const child = cliCommand([
    "run",
    `${FIXTURES}/slow.yaml`,
    "--executor",
    "processes",
    "-w",
    "1",
  ]).spawn();
  const output = child.output();
  // Wait until both the command and the pool process run.
  let seen: number[] = [];
  const deadline = Date.now() + 30_000;
  for (;;) {
    seen = descendants(child.pid);
    const lines = seen.map(cmdline);
    if (
      lines.some((l) => l.includes("sleep 47.3117")) &&
      lines.some((l) => l.includes("--baton-pool="))
    ) break;
    assert(Date.now() < deadline, `children did not start: ${lines.join(" | ")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGINT");
  const { code, stdout, stderr } = await output;
  const text = new TextDecoder();
  assertEquals(code, 130, text.decode(stderr));
  assertStringIncludes(text.decode(stderr), "interrupted, cancelling running jobs");
  const out = text.decode(stdout);
  assertStringIncludes(out, "cancelled sleeper");
  assertStringIncludes(out, "flow slow: STOPPED: interrupted by Ctrl-C");
  assertMatch(out, /sleeper \[cancelled\]/);
  // No child outlives the CLI (orphans would be re-parented, so check each pid seen).
  const gone = Date.now() + 10_000;
  while (seen.some(alive) && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
  assertEquals(seen.filter(alive).map(cmdline), []);
});
