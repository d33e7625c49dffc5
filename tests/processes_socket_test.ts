/**
 * How frames reach a pool process: over a Unix socket it connects back to
 * when it holds net, read and write in full (nothing more is granted for
 * it), else over its stdin; the socket's directory is gone once connected.
 */

import assert from "node:assert/strict";
import { Scheduler } from "../mod.ts";
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
    // It connected (the parent removes both once it accepted), and its calls answered.
    assert.throws(() => Deno.statSync(path.slice(0, path.lastIndexOf("/"))), Deno.errors.NotFound);
  });
  assert.ok(pids.size >= 1);
});

Deno.test("processes: a sandboxed process reads its frames from stdin and is granted nothing for a socket", async () => {
  const scheduler = Scheduler.withProcesses(1, { permissions: "none", forwardStderr: false });
  const pids = await eachAnswering(scheduler, 4, (pid) => {
    assert.equal(socketArg(pid), undefined);
    const argv = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
    assert.deepEqual(argv.filter((arg) => arg.startsWith("--allow")), []);
  });
  assert.equal(pids.size, 1);
});
