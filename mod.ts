/**
 * baton: take compute off the main thread and react to it through events.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 *
 * function collatz(n: number): number {
 *   return n % 2 === 0 ? n / 2 : 3 * n + 1;
 * }
 * const scheduler = Scheduler.withWorkers(2);
 * const task = scheduler.task(collatz);
 * const steps: number[] = [];
 * scheduler.onStart(() => task.submit(12));
 * task.onResult((_future, n) => {
 *   steps.push(n);
 *   // After a timeout, results still arrive but nothing new may be submitted.
 *   if (n !== 1 && scheduler.running()) task.submit(n);
 * });
 * const exit = await scheduler.run({ timeout: "10s" });
 * assert.equal(exit.code, "exhausted");
 * assert.deepEqual(steps, [6, 3, 10, 5, 16, 8, 4, 2, 1]);
 * ```
 *
 * @module
 */

export * from "./src/events/mod.ts";
export * from "./src/scheduler/mod.ts";
export * from "./src/executors/mod.ts";
export * from "./src/wire/mod.ts";
export * from "./src/plugins/mod.ts";
export { type Duration, parseDuration, parseSize, type Size } from "./src/units.ts";
export * from "./src/comm/mod.ts";
export * from "./src/flow/mod.ts";
export * from "./src/store/mod.ts";
export * from "./src/monitor/mod.ts";
