import { Scheduler } from "../mod.ts";

/** The executors every scheduler scenario runs on. */
export const EXECUTORS: Array<[name: string, make: () => Scheduler]> = [
  ["sequential", () => Scheduler.sequential()],
  ["workers", () => Scheduler.withWorkers(2)],
  ["processes", () => Scheduler.withProcesses(2)],
];

/** Declares one test per executor. */
export function eachExecutor(
  name: string,
  fn: (make: () => Scheduler) => Promise<void>,
  only?: string[],
): void {
  for (const [executor, make] of EXECUTORS) {
    if (only && !only.includes(executor)) continue;
    Deno.test(`${name} [${executor}]`, () => fn(make));
  }
}

/** Counts of the named events, for compact assertions. */
export function counts(
  emitter: { eventCounts: Map<string, number> },
  names: string[],
): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, emitter.eventCounts.get(n) ?? 0]));
}

/** What `deno run` of a test fixture printed, and how it ended. */
export interface FixtureRun {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
  /** The last line of stdout, parsed as JSON (fixtures end with one). */
  result: unknown;
}

/**
 * Runs `tests/fixtures/<name>` in its own `deno run` with this repository's
 * config; it is killed if it has not exited after `timeout` ms.
 */
export async function runFixture(
  name: string,
  args: string[] = [],
  { flags = ["-A"], timeout = 60_000 }: { flags?: string[]; timeout?: number } = {},
): Promise<FixtureRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...flags,
      "--no-lock",
      `--config=${new URL("../deno.json", import.meta.url).pathname}`,
      new URL(`./fixtures/${name}`, import.meta.url).pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
  const { code, signal, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const out = new TextDecoder().decode(stdout);
  let result: unknown;
  try {
    result = JSON.parse(out.trim().split("\n").at(-1) ?? "");
  } catch { /* no JSON line */ }
  return { code, signal, stdout: out, stderr: new TextDecoder().decode(stderr), result };
}
