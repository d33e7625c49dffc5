/**
 * The guide's opening example: a chain of collatz steps through a pool of
 * Web Workers, each result submitting the next step.
 *
 * Run: `deno task demo`
 *
 * @module
 */

import { Scheduler } from "../mod.ts";

/** One collatz step; self-contained, so it is shipped to the workers by source. */
function collatz(n: number): number {
  return n % 2 === 0 ? n / 2 : 3 * n + 1;
}

const scheduler = Scheduler.withWorkers(2);
const task = scheduler.task(collatz);
const answers: number[] = [];

scheduler.onStart(function startComputing() {
  answers.push(12);
  task.submit(12);
});

task.onResult(function computeNext(_future, n) {
  answers.push(n);
  if (scheduler.running() && n !== 1) task.submit(n);
});

const exit = await scheduler.run({ timeout: "1s" });
console.log(`[${answers.join(", ")}]`);
console.log(`exit: ${exit.code}`);
console.log(String(scheduler));
