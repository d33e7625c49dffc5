/**
 * `deno task example:monitor`: a random search whose trials run on a pool of
 * Web Workers, watched live in the browser. Open the printed URL (it carries
 * the token, so Stop, Cancel and Retry work). The run ends by itself after
 * 10 s; pass another duration as `deno task example:monitor 60s` (a `--`
 * before it, as in `deno task example:monitor -- 60s`, is accepted too: deno
 * task passes it along). Afterwards the dashboard stays up for a look at the
 * finished run until Ctrl-C (`--exit` ends with the run).
 *
 * @module
 */

import { parseDuration, Scheduler, serveMonitor } from "../mod.ts";

/** One trial: a noisy score for a configuration, taking 50–250 ms; high rates diverge. */
async function trial(config: { lr: number; depth: number; optimizer: string }): Promise<number> {
  console.log(`trial lr=${config.lr.toExponential(2)} depth=${config.depth} ${config.optimizer}`);
  await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
  if (config.lr > 0.05) {
    throw new RangeError(`loss diverged to NaN at lr=${config.lr.toFixed(4)}`, {
      cause: new Error(`gradient norm above the clip of 10 (${config.optimizer})`),
    });
  }
  return -((Math.log10(config.lr) + 2.5) ** 2) - (config.depth - 6) ** 2 / 10 + Math.random();
}

// `deno task example:monitor -- 60s` passes the `--` along: skip it.
const args = Deno.args.filter((a) => a !== "--");
const exitAtEnd = args.includes("--exit");
const unknown = args.filter((a) => a.startsWith("-") && a !== "--exit");
const duration = args.find((a) => !a.startsWith("-")) ?? "10s";
try {
  if (unknown.length > 0) throw new TypeError(`unknown option ${unknown.join(", ")}`);
  parseDuration(duration);
} catch (error) {
  console.error(`example:monitor: ${(error as Error).message}`);
  console.error("usage: deno task example:monitor [DURATION, e.g. 60s] [--exit]");
  Deno.exit(2);
}

const scheduler = Scheduler.withWorkers(2, { name: "random-search" });
const task = scheduler.task(trial, { limits: { wallTime: "30s" } });
const sample = () => ({
  lr: 10 ** (-5 + 4 * Math.random()),
  depth: 1 + Math.floor(Math.random() * 12),
  optimizer: Math.random() < 0.5 ? "adam" : "sgd",
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

// The token guards the actions (Stop, Cancel, Retry); the URL below carries it to the page.
const token = crypto.randomUUID();
const server = serveMonitor(scheduler, { token });
console.log(`dashboard: ${server.url}?token=${token}  (running for ${duration})`);
console.log(`token for actions: ${token}`);
const exit = await scheduler.run({ timeout: duration, onException: "continue" });
console.log(
  `${exit.code}: ${scheduler.eventCounts.get("future-result") ?? 0} results, ` +
    `${scheduler.eventCounts.get("future-exception") ?? 0} exceptions, best ${best.toFixed(3)}`,
);
if (!exitAtEnd) {
  console.log(`the run is over; the dashboard stays up for a look at it — Ctrl-C to exit`);
  await new Promise<void>((resolve) => Deno.addSignalListener("SIGINT", resolve));
}
await server.shutdown();
