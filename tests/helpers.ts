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
