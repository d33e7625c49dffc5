/**
 * Two tasks chained: every result of the first is fed to the second, and
 * the first moves on to the next item. One exception handler serves both.
 *
 * Run: `deno task example:chain`
 *
 * @module
 */

import { Scheduler } from "../mod.ts";

function expensiveThing1(x: number): number {
  return x * 2;
}

function expensiveThing2(x: number): number {
  return x ** 2;
}

const scheduler = Scheduler.withWorkers(2);
const task1 = scheduler.task(expensiveThing1);
const task2 = scheduler.task(expensiveThing2);
const items = [1, 2, 3][Symbol.iterator]();

scheduler.onStart(() => task1.submit(items.next().value!));
task1.onResult((_f, result) => task2.submit(result));
task1.onResult(() => {
  const next = items.next();
  if (!next.done) task1.submit(next.value);
  else console.log("Done!");
});
task2.onResult((future, result) => console.log(`${future.args[0]}² = ${result}`));
const report = (_f: unknown, error: Error) => console.log(`A task errored! ${error.message}`);
task1.onException(report);
task2.onException(report);

const exit = await scheduler.run();
console.log(`exit: ${exit.code}`);
console.log(String(scheduler));
