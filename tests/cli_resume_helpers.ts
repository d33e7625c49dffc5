// Workflows written to a temporary directory, run through the CLI in subprocesses.
import { DatabaseSync } from "node:sqlite";
import { RunStore } from "../mod.ts";

/** A module of steps that count their calls in files and print what they do. */
export const STEPS = `
const here = new URL(".", import.meta.url).pathname;
function bump(name: string): number {
  const file = here + "count-" + name;
  let n = 0;
  try { n = Number(Deno.readTextFileSync(file)); } catch { /* first time */ }
  Deno.writeTextFileSync(file, String(n + 1));
  return n + 1;
}
export function download(n: number) {
  bump("download");
  console.log("downloading", n, "items");
  return Array.from({ length: n }, (_, i) => i + 1);
}
export function prepare(data: number[]) {
  bump("prepare");
  console.log("preparing", data.length);
  return data.reduce((a, b) => a + b, 0);
}
export function report(total: number) {
  bump("report");
  console.log("total is", total);
  return "report of " + total;
}
export async function waitFor(name: string) {
  bump(name);
  console.log("waiting for", name);
  for (;;) {
    try { Deno.statSync(here + name); break; } catch { await new Promise((r) => setTimeout(r, 25)); }
  }
  console.log("got", name);
  return name;
}
export async function chatter(lines: number, ms: number) {
  for (let i = 1; i <= lines; i++) {
    console.log("line", i);
    await new Promise((r) => setTimeout(r, ms));
  }
  return lines;
}
export function counted(name: string) {
  return bump(name);
}
export async function countedSlowly(name: string, ms: number) {
  await new Promise((r) => setTimeout(r, ms));
  return bump(name);
}
export function big(n: number) {
  return "x".repeat(n);
}
export function aMap() {
  return new Map([["a", 1]]);
}
`;

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "baton-durable-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A temporary directory with `files` written in it. */
export async function project(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "baton-cli-resume-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

/** How many times a step of {@linkcode STEPS} ran in `dir`. */
export function countOf(dir: string, name: string): number {
  try {
    return Number(Deno.readTextFileSync(`${dir}/count-${name}`));
  } catch {
    return 0;
  }
}

/** Opens the store read-only-ish and hands it to `fn`. */
export function withStore<T>(path: string, fn: (store: RunStore) => T): T {
  const store = RunStore.open(path, { create: false });
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** `PRAGMA integrity_check` of a store's database. */
export function integrity(path: string): string {
  const db = new DatabaseSync(`${path}/baton.db`);
  try {
    const rows = db.prepare("PRAGMA integrity_check").all() as Record<string, string>[];
    return rows.map((r) => Object.values(r)[0]).join("; ");
  } finally {
    db.close();
  }
}

export { until } from "./cli_helpers.ts";

/**
 * Makes `dir` unwritable even for root (the immutable attribute), else by mode;
 * returns how to undo it, or undefined when neither works here.
 */
export async function makeReadOnly(dir: string): Promise<(() => Promise<void>) | undefined> {
  const chattr = await new Deno.Command("chattr", { args: ["+i", dir], stderr: "null" }).output()
    .catch(() => undefined);
  const undo = chattr?.success
    ? async () => {
      await new Deno.Command("chattr", { args: ["-i", dir] }).output();
    }
    : (await Deno.chmod(dir, 0o555), async () => await Deno.chmod(dir, 0o755));
  try {
    await Deno.writeTextFile(`${dir}/probe`, "");
    await Deno.remove(`${dir}/probe`);
    await undo();
    return undefined; // still writable (root without chattr)
  } catch {
    return undo;
  }
}
