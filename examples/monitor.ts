/**
 * `deno task example:monitor`: a random search whose trials run on a pool of
 * Web Workers, watched live in the browser. Open the printed URL; the run
 * ends by itself after 10 s (pass another duration: `-- 60s`).
 *
 * @module
 */

import { Scheduler, serveMonitor } from "../mod.ts";

/** One trial: a noisy score for a configuration, taking 50–250 ms. */
async function trial(config: { lr: number; depth: number }): Promise<number> {
  await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
  if (Math.random() < 0.1) throw new Error(`diverged at lr=${config.lr.toFixed(4)}`);
  return -((Math.log10(config.lr) + 2.5) ** 2) - (config.depth - 6) ** 2 / 10 + Math.random();
}

const duration = Deno.args[0] ?? "10s";
const scheduler = Scheduler.withWorkers(2, { name: "random-search" });
const task = scheduler.task(trial);
const sample = () => ({
  lr: 10 ** (-5 + 4 * Math.random()),
  depth: 1 + Math.floor(Math.random() * 12),
});
let best = -Infinity;

scheduler.onStart(() => {
  for (let i = 0; i < 4; i++) task.submit(sample());
});
task.onResult((_future, score) => {
  if (score > best) {
    best = score;
    console.log(`best so far: ${score.toFixed(3)}`);
  }
});
task.onDone(() => {
  if (scheduler.running()) task.submit(sample());
});

const server = serveMonitor(scheduler, { token: crypto.randomUUID() });
console.log(`dashboard: ${server.url}  (running for ${duration})`);
const exit = await scheduler.run({ timeout: duration, onException: "continue" });
console.log(
  `${exit.code}: ${scheduler.eventCounts.get("future-result") ?? 0} results, ` +
    `${scheduler.eventCounts.get("future-exception") ?? 0} exceptions, best ${best.toFixed(3)}`,
);
await server.shutdown();
