/**
 * How frames reach a pool process: over a Unix socket it connects back to
 * (the permissions that takes are lent for it alone and taken back once
 * connected); the socket's directory is gone once connected.
 */

import assert from "node:assert/strict";
import { type Permissions, Scheduler } from "../mod.ts";
import { whoAmI } from "./processes_fixtures.ts";

/** The socket a process was told to connect to, if any. */
function socketArg(pid: number): string | undefined {
  const argv = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
  return argv.find((arg) => arg.startsWith("--baton-socket="))?.slice("--baton-socket=".length);
}

/** Runs `calls` calls of `whoAmI`; `inspect` sees each answering process while it is alive. */
async function eachAnswering(
  scheduler: Scheduler,
  calls: number,
  inspect: (pid: number) => void,
): Promise<Set<number>> {
  const task = scheduler.task(whoAmI);
  const pids = new Set<number>();
  scheduler.onStart(() => {
    for (let i = 0; i < calls; i++) task.submit();
  });
  task.onResult((_future, pid) => {
    if (!pids.has(pid)) inspect(pid);
    pids.add(pid);
  });
  const exit = await scheduler.run();
  assert.equal(exit.code, "exhausted");
  return pids;
}

Deno.test("processes: a process holding net/read/write in full reads its frames from a socket", async () => {
  const scheduler = Scheduler.withProcesses(2, { forwardStderr: false });
  const pids = await eachAnswering(scheduler, 8, (pid) => {
    const path = socketArg(pid);
    assert.ok(path, `process ${pid} was given a socket`);
    const argv = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
    assert.ok(!argv.some((arg) => arg.startsWith("--baton-revoke=")), "it was lent nothing");
    // It connected (the parent removes both once it accepted), and its calls answered.
    assert.throws(() => Deno.statSync(path.slice(0, path.lastIndexOf("/"))), Deno.errors.NotFound);
  });
  assert.ok(pids.size >= 1);
});

/** In the child: how its permissions stand for the socket it was given, and for `other`. */
function socketPermissions(other: string): { states: string[]; argv: string[] } {
  const arg = Deno.args.find((a) => a.startsWith("--baton-socket="))!;
  const path = arg.slice("--baton-socket=".length);
  const query = (descriptor: Deno.PermissionDescriptor) =>
    Deno.permissions.querySync(descriptor).state;
  const states = [
    query({ name: "net", host: `unix:${path}` }),
    query({ name: "read", path }),
    query({ name: "write", path }),
    query({ name: "read", path: other }),
  ];
  return { states, argv: [...Deno.args] };
}

async function probe(
  permissions: Permissions,
  other: string,
): Promise<{ states: string[]; argv: string[] }> {
  const scheduler = Scheduler.withProcesses(1, { permissions, forwardStderr: false });
  const task = scheduler.task(socketPermissions);
  let seen = { states: [] as string[], argv: [] as string[] };
  scheduler.onStart(() => task.submit(other));
  task.onResult((_future, result) => seen = result);
  const exit = await scheduler.run();
  assert.equal(exit.code, "exhausted");
  return seen;
}

const TMP = Deno.env.get("TMPDIR") ?? "/tmp";

Deno.test("processes: a sandboxed process is granted its socket alone, and gives it back once connected", async () => {
  const { states, argv } = await probe("none", TMP);
  assert.notEqual(states[0], "granted");
  assert.notEqual(states[1], "granted");
  assert.notEqual(states[2], "granted");
  assert.notEqual(states[3], "granted");
  assert.ok(argv.some((arg) => arg.startsWith("--baton-revoke=net,read,write")), argv.join(" "));
});

Deno.test("processes: a sandbox entry that already covers the socket is left as it was", async () => {
  const { states, argv } = await probe({ read: [TMP] }, TMP);
  // read came from the sandbox's own entry: still granted; net and write were lent and taken back.
  assert.deepEqual(states.map((s) => s === "granted"), [false, true, false, true]);
  assert.ok(argv.some((arg) => arg === "--baton-revoke=net,write"), argv.join(" "));
});
