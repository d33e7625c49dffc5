/**
 * Plugins: the shipped `Retry` runs flaky calls again with backoff, and
 * `FailureBudget`, written here against the `Plugin` interface, stops a
 * task from taking new calls once too many have failed for good.
 *
 * Run: `deno task example:retry`
 *
 * @module
 */

import { type AnyTask, Event, type Plugin, Retry, Scheduler } from "../mod.ts";

/** Refuses new calls of its task after `max` calls failed (after their retries). */
export class FailureBudget implements Plugin {
  /** A call was refused because the budget is spent: (task, ...args). */
  static readonly EXHAUSTED: Event<[task: AnyTask, ...args: unknown[]]> = new Event(
    "failure-budget-exhausted",
  );
  readonly name = "failure-budget";
  readonly events = [FailureBudget.EXHAUSTED] as Event<unknown[]>[];
  failures = 0;
  #task?: AnyTask;

  constructor(readonly max: number) {}

  attach(task: AnyTask): void {
    this.#task = task;
    // `exception` fires once per call, after Retry's last attempt.
    task.onException(() => this.failures++, { hidden: true, name: "failure-budget" });
  }

  preSubmit(
    fn: (...args: never[]) => unknown,
    args: unknown[],
  ): [(...args: never[]) => unknown, unknown[]] | undefined {
    if (this.failures < this.max) return [fn, args];
    this.#task!.emit(FailureBudget.EXHAUSTED, this.#task!, ...args);
    return undefined;
  }

  describe(): string {
    return `Failures ${this.failures}/${this.max}`;
  }
}

/** Fails twice for each input before it works, and always for 13: a flaky service. */
function flaky(x: number): number {
  const g = globalThis as unknown as { attempts?: Map<number, number> };
  const attempts = (g.attempts ??= new Map());
  attempts.set(x, (attempts.get(x) ?? 0) + 1);
  if (x === 13 || attempts.get(x)! < 3) throw new Error(`flaky failure for ${x}`);
  return x * 10;
}

if (import.meta.main) {
  // One worker, so that every attempt of an input sees the same counts.
  const scheduler = Scheduler.withWorkers(1);
  const task = scheduler.task(flaky, {
    plugins: [new FailureBudget(1), new Retry({ attempts: 3, delay: "20ms" })],
  });
  task.on(Retry.RETRY, (future, _error, attempt, delayMs) => {
    console.log(`${future.args[0]}: attempt ${attempt} failed, again in ${Math.round(delayMs)} ms`);
  });
  task.onResult((future, result) => {
    console.log(`${future.args[0]}: ${result} after ${future.attempts} attempts`);
    task.submit(future.args[0] + 1);
  });
  task.onException((future, error) => {
    console.log(`${future.args[0]}: gave up (${error.message})`);
    task.submit(future.args[0] + 1);
  });
  task.on(FailureBudget.EXHAUSTED, (_task, x) => console.log(`${x}: refused, budget spent`));
  scheduler.onStart(() => task.submit(11));
  await scheduler.run({ onException: "continue" });
  console.log(String(scheduler).split("\n").filter((l) => /plugin|@retry/.test(l)).join("\n"));
}
