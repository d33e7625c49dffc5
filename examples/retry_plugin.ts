/**
 * Writing a plugin: `Retry` resubmits a failed call up to N times, and emits
 * `retry-exhausted` when a call failed every time.
 *
 * Run: `deno task example:retry`
 *
 * @module
 */

import { Event, type Future, type Plugin, Scheduler } from "../mod.ts";
import type { AnyTask } from "../mod.ts";

/** Resubmits failed calls of its task up to `times` times. */
export class Retry implements Plugin {
  /** Every attempt of a call failed: (future, error). */
  static readonly EXHAUSTED: Event<[future: Future, error: Error]> = new Event("retry-exhausted");
  readonly name = "retry";
  readonly events = [Retry.EXHAUSTED] as Event<unknown[]>[];
  readonly #times: number;
  /** Attempts so far, by the arguments' JSON. */
  readonly #attempts = new Map<string, number>();
  #retried = 0;

  constructor(times: number) {
    if (!Number.isInteger(times) || times < 1) {
      throw new RangeError(`Retry times must be a positive integer, got ${times}`);
    }
    this.#times = times;
  }

  attach(task: AnyTask): void {
    task.onException((future: Future, error: Error) => {
      const key = JSON.stringify(future.args);
      const attempts = (this.#attempts.get(key) ?? 0) + 1;
      this.#attempts.set(key, attempts);
      if (attempts <= this.#times && task.scheduler.running()) {
        this.#retried++;
        task.submit(...future.args);
      } else {
        task.emit(Retry.EXHAUSTED, future, error);
      }
    }, { name: "retry" });
  }

  describe(): string {
    return `Retried ${this.#retried} times (up to ${this.#times} per call)`;
  }
}

/** Fails on its first two attempts for each input, a flaky remote service in miniature. */
function flaky(x: number): number {
  const g = globalThis as unknown as { attempts?: Map<number, number> };
  const attempts = (g.attempts ??= new Map());
  attempts.set(x, (attempts.get(x) ?? 0) + 1);
  if (attempts.get(x)! < 3) throw new Error(`flaky failure for ${x}`);
  return x * 10;
}

if (import.meta.main) {
  const scheduler = Scheduler.withWorkers(1);
  const task = scheduler.task(flaky, { plugins: [new Retry(3)] });
  scheduler.onStart(() => [1, 2].forEach((x) => task.submit(x)));
  task.onResult((_f, r) => console.log("result", r));
  task.on(Retry.EXHAUSTED, (future) => console.log("gave up on", future.args));
  await scheduler.run({ onException: "continue" });
  console.log(String(scheduler).split("\n").filter((l) => l.includes("plugin")).join("\n"));
}
