/**
 * The guide's Limiter + Requeue example: a concurrency limit of 2 refuses
 * some submissions, and the refused items are put back at the front of the
 * queue, so all ten results arrive.
 *
 * Run: `deno task example:limiter`
 *
 * @module
 */

import { Limiter, Requeue, Scheduler } from "../mod.ts";

function myFunc(x: number): number {
  return x;
}

const scheduler = Scheduler.withWorkers(2);
const task = scheduler.task(myFunc, { plugins: [new Limiter({ maxConcurrent: 2 })] });
const items = new Requeue(Array.from({ length: 10 }, (_, i) => i));
const results: number[] = [];

scheduler.onStart(function submit() {
  task.submit(items.next().value!);
}, { repeat: 4 });

task.on(Limiter.CONCURRENT_LIMIT_REACHED, function addBackToQueue(_task, x) {
  items.requeue(x);
});
task.onResult(function recordResult(_f, result) {
  results.push(result);
});
task.onResult(function launchAnother() {
  const next = items.next();
  if (!next.done) task.submit(next.value);
});

await scheduler.run();
console.log(results);
console.log(String(scheduler));
