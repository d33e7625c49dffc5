/**
 * What crosses a boundary comes back faithfully: an error class of this
 * module, thrown in a subprocess, arrives as itself (fields and cause
 * included) and a policy matches it; what the calls print arrives as
 * output events, prefixed here by call instead of echoed.
 *
 * Run: `deno task example:boundary`
 *
 * @module
 */

import { registerErrors, remote, Scheduler } from "../mod.ts";

/** The error a training run throws when its loss explodes. */
export class Diverged extends Error {
  constructor(readonly lr: number, options?: ErrorOptions) {
    super(`diverged at lr=${lr}`, options);
    this.name = "Diverged";
  }
}

/** A fake training run: prints its progress, diverges for large learning rates. */
export const train = remote(import.meta.url, async function train(lr: number): Promise<number> {
  let loss = 1;
  for (let epoch = 1; epoch <= 3; epoch++) {
    loss *= lr > 0.5 ? 10 : 0.5;
    console.log(`epoch ${epoch}: loss ${loss}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  if (loss > 100) throw new Diverged(lr, { cause: new RangeError(`loss ${loss}`) });
  return loss;
});

if (import.meta.main) {
  // Classes exported by a remote() function's module are known by themselves, once that module
  // has finished loading; this one is the main module, still running, so it names its own.
  registerErrors(Diverged);
  const scheduler = Scheduler.withProcesses(2, { echo: false });
  const task = scheduler.task(train);
  task.onOutput((future, text) => console.log(`[lr=${future.args[0]}] ${text.trimEnd()}`));
  task.onResult((future, loss) => console.log(`lr=${future.args[0]}: final loss ${loss}`));
  task.onException((_future, error) => {
    if (error instanceof Diverged) {
      console.log(`${error.message} (a ${error.constructor.name}, because ${error.cause})`);
    }
  });
  scheduler.onStart(() => {
    for (const lr of [0.1, 0.9, 0.3]) task.submit(lr);
  });
  const exit = await scheduler.run({ onException: [[Diverged, "continue"]] });
  console.log(`exit: ${exit.code}`);
}
