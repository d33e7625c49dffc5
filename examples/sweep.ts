/**
 * A hyperparameter search in a screenful: `map` over 12 configurations on 4
 * processes, a wall-time limit per training (the deepest models run out of
 * time), retries for flaky failures, and a table of results. Failures, limit hits and crashes come back as
 * reports (`report: true`), so one bad configuration never sinks the search.
 *
 * Run: `deno task example:sweep`
 *
 * @module
 */

import { Retry, Scheduler } from "../mod.ts";

/** A stand-in for training: deeper takes longer; one call in four fails at random. */
async function train(config: { lr: number; depth: number }): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 25 * config.depth));
  if (Math.random() < 0.25) throw new Error("flaky data loader");
  return Math.abs(Math.log10(config.lr) + 2) + 1 / config.depth;
}

const configs = [0.001, 0.01, 0.1].flatMap((lr) => [2, 8, 32, 128].map((depth) => ({ lr, depth })));
const scheduler = Scheduler.withProcesses(4);
const trial = scheduler.task(train, {
  limits: { wallTime: "2s" },
  plugins: new Retry({ attempts: 3, delay: "50ms" }),
  report: true,
});

const reports = await scheduler.map(trial, configs, { concurrency: 4 });

const why = (r: (typeof reports)[number]) => r.limit ? `${r.limit} limit` : r.error?.message ?? "";
console.table(
  reports.map((r, i) => ({ ...configs[i], status: r.status, loss: r.value ?? "-", why: why(r) })),
);
const losses = reports.map((r) => r.value ?? Infinity);
const best = configs[losses.indexOf(Math.min(...losses))];
console.log("best:", best, `(after ${trial.eventCounts.get("retry") ?? 0} retries)`);
