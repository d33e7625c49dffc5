/**
 * Comm: a long-lived worker asks the main process for the next configuration
 * to try and streams its progress back — the pattern of an optimizer feeding
 * a worker that keeps expensive state (a loaded dataset, a warm model).
 *
 * Run: `deno task example:comm`
 *
 * @module
 */

import { Comm, type Msg, Scheduler } from "../mod.ts";

/** Evaluates configurations until the optimizer says stop; reports every step. */
async function evaluator(comm: Comm, budget: number): Promise<{ best: number; x: number }> {
  let best = { best: Infinity, x: NaN };
  for (let step = 0; step < budget; step++) {
    const config = await comm.request({ step }) as { x: number } | null;
    if (config === null) break;
    const loss = (config.x - 3) ** 2 + 1; // the "expensive" objective
    if (loss < best.best) best = { best: loss, x: config.x };
    comm.send({ step, x: config.x, loss });
  }
  return best;
}

const scheduler = Scheduler.withWorkers(1);
const task = scheduler.task(evaluator, { comm: true });

// A tiny optimizer in the main process: ternary search, two probes per round.
let low = -10;
let high = 10;
let firstProbe = { x: 0, loss: 0 };

const probe = (step: number) => step % 2 === 0 ? low + (high - low) / 3 : high - (high - low) / 3;

task.on(Comm.REQUEST, (msg: Msg) => {
  const { step } = msg.data as { step: number };
  // Converged: tell the worker to stop.
  msg.respond(high - low < 0.01 ? null : { x: probe(step) });
});
task.on(Comm.MESSAGE, (msg: Msg) => {
  const { step, x, loss } = msg.data as { step: number; x: number; loss: number };
  console.log(`step ${String(step).padStart(2)}: x=${x.toFixed(4)} loss=${loss.toFixed(6)}`);
  if (step % 2 === 0) firstProbe = { x, loss };
  else if (firstProbe.loss < loss) high = x; // the minimum is left of the second probe
  else low = firstProbe.x; // or right of the first
});
task.onResult((_f, best) =>
  console.log(`worker's best: x=${best.x.toFixed(4)}, loss=${best.best.toFixed(6)}`)
);

scheduler.onStart(() => task.submit(60));
await scheduler.run();
console.log(
  `comm events: ${
    ["comm-open", "comm-message", "comm-request", "comm-close"]
      .map((e) => `${e} ${task.eventCounts.get(e) ?? 0}`).join(", ")
  }`,
);
