/**
 * Callback options: `repeat`, `maxCalls`, `when`, `every`, `hidden`.
 *
 * Run: `deno task example:callbacks`
 *
 * @module
 */

import { Scheduler } from "../mod.ts";

function square(x: number): number {
  return x ** 2;
}

const scheduler = Scheduler.withWorkers(2);
const locale = "English";

// Three calls to start with.
scheduler.onStart(() => scheduler.submit(square, 2), { repeat: 3, name: "submitThree" });
// Resubmit from the first three results only.
scheduler.onFutureResult(() => scheduler.submit(square, 3), { maxCalls: 3, name: "resubmit" });
// Only one of these runs.
scheduler.onStart(() => console.log("hello"), { when: () => locale === "English" });
scheduler.onStart(() => console.log("guten tag"), { when: () => locale !== "English" });
// Every second result.
scheduler.onFutureResult((_f, r) => console.log("every 2nd result:", r), { every: 2 });
// Not shown in the tree.
scheduler.onFutureDone(() => {}, { hidden: true });

await scheduler.run();
console.log(String(scheduler));
