// The run store on its own: opening (missing, read-only, corrupt, too new), logs on a full disk, hashes.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { RunStore, StoreError } from "../mod.ts";
import { canonical, hashOf } from "../src/store/codec.ts";
import { logFileName, LogFiles } from "../src/store/logs.ts";
import { makeReadOnly } from "./cli_resume_helpers.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "baton-store-unit-" });
}

function storeError(fn: () => unknown, problem: string, ...parts: (string | RegExp)[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof StoreError, `expected a StoreError, got ${error}`);
    assert.equal(error.problem, problem);
    for (const part of parts) {
      if (typeof part === "string") assert.ok(error.message.includes(part), error.message);
      else assert.match(error.message, part);
    }
    return true;
  });
}

Deno.test("store: opening creates the directory and database; reading needs them", async () => {
  const dir = await tempDir();
  try {
    storeError(
      () => RunStore.open(`${dir}/.baton`, { create: false }),
      "missing",
      `no run store at ${dir}/.baton`,
      "--store PATH",
    );
    storeError(
      () => RunStore.open(`${dir}/no/such/.baton`),
      "missing",
      "its parent directory does not exist",
    );
    await Deno.writeTextFile(`${dir}/file`, "");
    storeError(() => RunStore.open(`${dir}/file`), "not-a-directory", "is not a directory");
    const store = RunStore.open(`${dir}/.baton`);
    assert.equal(store.path, `${dir}/.baton`);
    assert.equal(store.databasePath, `${dir}/.baton/baton.db`);
    assert.deepEqual(store.runs(), []);
    store.close();
    store.close(); // twice is fine
    const again = RunStore.open(`${dir}/.baton`, { create: false });
    assert.deepEqual(again.runs(), []);
    assert.throws(() => again.requireRun("3"), /no run "3" in the run store; it has no runs yet/);
    again.close();
    const journal = new DatabaseSync(`${dir}/.baton/baton.db`);
    assert.equal(
      (journal.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode,
      "wal",
    );
    journal.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store: a read-only store is refused with a clear error", async () => {
  const dir = await tempDir();
  const store = `${dir}/.baton`;
  await Deno.mkdir(store);
  const undo = await makeReadOnly(store);
  try {
    if (!undo) {
      console.warn("cannot make a directory read-only here (root without chattr): skipped");
      return;
    }
    storeError(() => RunStore.open(store), "read-only", `the run store ${store} is read-only`);
  } finally {
    await undo?.();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store: a corrupt database is refused with its path and how to recover", async () => {
  const dir = await tempDir();
  try {
    await Deno.mkdir(`${dir}/.baton`);
    const file = `${dir}/.baton/baton.db`;
    await Deno.writeTextFile(file, "this is not a database, just some text ".repeat(200));
    for (const create of [true, false]) {
      storeError(
        () => RunStore.open(`${dir}/.baton`, { create }),
        "corrupt",
        `the run store database ${file} is corrupt`,
        `mv ${file} ${file}.corrupt`,
      );
    }
    // A real database with a damaged page: caught by the check when opened to record.
    await Deno.remove(file);
    const good = RunStore.open(`${dir}/.baton`);
    good.close();
    const bytes = await Deno.readFile(file);
    bytes.fill(0xff, 4096, 4096 + 16); // the header of the second page (a table root)
    await Deno.writeFile(file, bytes);
    await Deno.remove(`${file}-wal`).catch(() => {});
    await Deno.remove(`${file}-shm`).catch(() => {});
    storeError(() => RunStore.open(`${dir}/.baton`), "corrupt", "mv ");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store: a database from a newer baton is refused", async () => {
  const dir = await tempDir();
  try {
    RunStore.open(dir).close();
    const db = new DatabaseSync(`${dir}/baton.db`);
    db.exec("PRAGMA user_version = 99");
    db.close();
    storeError(() => RunStore.open(dir), "too-new", "written by a newer baton (schema 99");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("logs: a full disk marks that job's log incomplete, says so once, never throws", async () => {
  const dir = await tempDir();
  try {
    await Deno.mkdir(`${dir}/logs/1`, { recursive: true });
    await Deno.symlink("/dev/full", `${dir}/logs/1/full.log`);
    const failures: string[] = [];
    const created: string[] = [];
    const logs = new LogFiles(dir, `${dir}/logs/1`, {
      created: (key, file) => created.push(`${key}:${file}`),
      failed: (key, file, error) => failures.push(`${key}:${file}:${(error as Error).name}`),
    });
    logs.write("full", "first\n");
    logs.write("full", "second\n");
    logs.write("fine", "kept\n");
    logs.write("sub/inner", "nested\n");
    logs.close();
    assert.deepEqual(failures, ["full:logs/1/full.log:Error"]);
    assert.deepEqual([...logs.incomplete], ["full"]);
    assert.deepEqual(created, [
      "full:logs/1/full.log",
      "fine:logs/1/fine.log",
      "sub/inner:logs/1/sub/inner.log",
    ]);
    assert.equal(await Deno.readTextFile(`${dir}/logs/1/fine.log`), "kept\n");
    assert.equal(await Deno.readTextFile(`${dir}/logs/1/sub/inner.log`), "nested\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("logs: job keys become safe file names", () => {
  assert.equal(logFileName("train"), "train.log");
  assert.equal(logFileName("sub/train[lr=0.1,depth=4]"), "sub/train[lr=0.1,depth=4].log");
  assert.equal(logFileName("../../etc/passwd"), "__/__/etc/passwd.log");
  assert.equal(logFileName("a\\b\x00c"), "a_b_c.log");
});

Deno.test("hashes: equal data hash equal whatever the key order; different data differ", () => {
  assert.equal(hashOf({ a: 1, b: [1, 2] }), hashOf({ b: [1, 2], a: 1 }));
  const distinct = [
    undefined,
    null,
    0,
    "0",
    1n,
    [undefined],
    [],
    {},
    { a: undefined },
    new Date(0),
    new Map([[1, 2]]),
    new Set([1]),
    new Uint8Array([1]),
    new Uint16Array([1]),
    (x: number) => x,
    (x: number) => x + 1,
    NaN,
    Infinity,
  ];
  assert.equal(new Set(distinct.map(canonical)).size, distinct.length);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(canonical(cyclic), '{"self":!cycle}');
});
