import assert from "node:assert/strict";
import { Scheduler } from "../mod.ts";
import { SeedTask } from "../examples/seed_task.ts";

Deno.test("a Task subclass with a custom event emits it from a result handler", async () => {
  const scheduler = Scheduler.sequential();
  const task = new SeedTask(scheduler);
  const longest: Array<[number, number]> = [];
  task.onLongestRun((seed, ms) => longest.push([seed, ms]));
  scheduler.onStart(() => [1, 2, 3, 4].forEach((seed) => task.submit(seed)));
  await scheduler.run();
  // seeds 1..4 run for 37, 24, 11, 48 ms: new maxima at seeds 1 and 4
  assert.deepEqual(longest, [[1, 37], [4, 48]]);
  assert.equal(task.eventCounts.get("longest-run"), 2);
  assert.equal(task.onLongestRun.count, 2);
  assert.ok(task.events.map(String).includes("longest-run"));
  assert.match(String(scheduler), /Task seed-task[\s\S]*@longest-run 2/);
});
