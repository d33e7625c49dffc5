/**
 * Subclassing Task with an event of its own (the guide's SeedTask pattern):
 * a task that runs a seeded experiment and emits `longest-run` whenever a
 * call took longer than any before it.
 *
 * Run: `deno task example:seed-task`
 *
 * @module
 */

import { Event, type Future, Scheduler, Task } from "../mod.ts";

/** A fake experiment: "runs" for a seed-dependent number of milliseconds. */
export async function experiment(seed: number): Promise<number> {
  const ms = (seed * 37) % 50;
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
}

/** A task that reports the longest run so far through its own event. */
export class SeedTask extends Task<[seed: number], Promise<number>> {
  /** Emitted with (seed, ms) when a call ran longer than every earlier one. */
  static readonly LONGEST_RUN: Event<[seed: number, ms: number]> = new Event("longest-run");
  /** Subscribes to `longest-run`. */
  readonly onLongestRun = this.subscriber(SeedTask.LONGEST_RUN);
  #longest = -1;

  constructor(scheduler: Scheduler) {
    super(experiment, scheduler, { name: "seed-task" });
    this.onResult((future: Future<number>, ms: number) => {
      if (ms <= this.#longest) return;
      this.#longest = ms;
      this.onLongestRun.emit(future.args[0] as number, ms);
    });
  }
}

if (import.meta.main) {
  const scheduler = Scheduler.withWorkers(2);
  const task = new SeedTask(scheduler);
  const seeds = [1, 2, 3, 4, 5, 6];
  scheduler.onStart(() => seeds.forEach((seed) => task.submit(seed)));
  task.onLongestRun((seed, ms) => console.log(`new longest run: seed ${seed} took ${ms}ms`));
  await scheduler.run();
  console.log(`longest-run emitted ${task.onLongestRun.count} times`);
}
