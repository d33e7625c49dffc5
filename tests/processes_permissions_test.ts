/**
 * The permission sandbox of the process executor: `--allow-*` flags, never
 * `-A`, never a prompt.
 */

import assert from "node:assert/strict";
import { Scheduler } from "../mod.ts";
import { permissionFlags } from "../src/executors/process_flags.ts";
import { whoAmI } from "./processes_fixtures.ts";

async function runOnce<R>(
  fn: (...args: never[]) => R,
  permissions: Parameters<typeof Scheduler.withProcesses>[1],
  taskPermissions?: Parameters<Scheduler["task"]>[1],
): Promise<{ value?: unknown; error?: unknown }> {
  const scheduler = Scheduler.withProcesses(1, { ...permissions, forwardStderr: false });
  const task = scheduler.task(fn, taskPermissions);
  const outcome: { value?: unknown; error?: unknown } = {};
  scheduler.onStart(() => task.submit());
  task.onResult((_f, value) => outcome.value = value);
  task.onException((_f, error) => outcome.error = error);
  await scheduler.run({ onException: "continue" });
  return outcome;
}

Deno.test("processes: permission descriptors become explicit --allow flags", () => {
  assert.deepEqual(permissionFlags("none"), ["--no-prompt"]);
  assert.deepEqual(permissionFlags({ net: true, read: ["/a", "/b"], env: false, write: [] }), [
    "--no-prompt",
    "--allow-read=/a,/b",
    "--allow-net",
  ]);
  // Under `deno test -A` every kind is held in full, so inherit lists all of them.
  const inherited = permissionFlags("inherit");
  assert.ok(!inherited.includes("-A") && !inherited.includes("--allow-all"));
  assert.deepEqual(inherited, [
    "--no-prompt",
    "--allow-read",
    "--allow-write",
    "--allow-net",
    "--allow-env",
    "--allow-run",
    "--allow-ffi",
    "--allow-sys",
    "--allow-import",
  ]);
});

Deno.test("processes: a task without net gets Deno's permission error from fetch", async () => {
  const { error } = await runOnce(
    async function fetchSomething() {
      await fetch("http://127.0.0.1:8/");
    },
    {},
    { permissions: { net: false } },
  );
  assert.ok(error instanceof Deno.errors.NotCapable, String(error));
  assert.match((error as Error).message, /Requires net access to "127\.0\.0\.1:8"/);
});

Deno.test("processes: the pool's permissions apply, and a task's own replace them", async () => {
  const readHostname = () => Deno.readTextFileSync("/etc/hostname").length >= 0;
  const denied = await runOnce(readHostname, { permissions: "none" });
  assert.ok(denied.error instanceof Deno.errors.NotCapable, String(denied.error));
  assert.match((denied.error as Error).message, /Requires read access/);
  const granted = await runOnce(readHostname, { permissions: "none" }, {
    permissions: { read: ["/etc/hostname"] },
  });
  assert.equal(granted.value, true);
});

Deno.test("processes: remote functions load in a process that may read nothing", async () => {
  const { value, error } = await runOnce(whoAmI, { permissions: "none" });
  assert.equal(error, undefined);
  assert.ok(typeof value === "number" && value !== Deno.pid);
});

Deno.test("processes: bad permissions are refused at task() naming the value", () => {
  const scheduler = Scheduler.withProcesses(1);
  assert.throws(
    () => scheduler.task(whoAmI, { permissions: { network: true } as never }),
    (error: Error) =>
      error instanceof TypeError && /Unknown permission "network"/.test(error.message),
  );
  assert.throws(
    () => scheduler.task(whoAmI, { permissions: { net: "yes" } as never }),
    /Permission "net" must be true, false or a list of strings, got "yes"/,
  );
});
