/**
 * The engine behind `scheduler.map()` and `scheduler.mapUnordered()`: one
 * call per item, at most `concurrency` in flight, outcomes in the order the
 * calls finish.
 *
 * @module
 */

import { checkOptions, quote } from "../options.ts";
import { SchedulerNotRunningError } from "./errors.ts";
import type { Future } from "./future.ts";

/**
 * Options of `scheduler.map()` and `scheduler.mapUnordered()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * const train = (lr: number) => {
 *   if (lr > 1) throw new RangeError("diverged");
 *   return 1 - lr;
 * };
 * const results = await scheduler.map(train, [0.5, 2], { concurrency: 4, settle: true });
 * assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected"]);
 * ```
 * @category Core
 */
export interface MapOptions {
  /** Calls in flight at most (default: no cap; the executor's pool still bounds what runs). */
  concurrency?: number;
  /**
   * `false` (default): the first failure cancels the calls in flight and
   * rejects; `true`: every call runs and each outcome is a `PromiseSettledResult`.
   */
  settle?: boolean;
}

/** One finished call of a map. */
export interface MapCompletion<T> {
  /** The item's position in the input. */
  readonly index: number;
  /** The item. */
  readonly item: T;
  /** How its call ended. */
  readonly outcome: PromiseSettledResult<unknown>;
}

/** Checks map options; `where` names the method in errors. */
export function resolveMapOptions(
  options: MapOptions | undefined,
  where: string,
): { concurrency: number; settle: boolean } {
  checkOptions(options, ["concurrency", "settle"], where, {
    limit: "use concurrency",
    max_workers: "use concurrency",
    return_exceptions: "use settle: true",
  });
  const concurrency = options?.concurrency ?? Infinity;
  if (concurrency !== Infinity && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new RangeError(
      `${where}: concurrency must be a positive integer (or Infinity), got ${quote(concurrency)}`,
    );
  }
  const settle = options?.settle ?? false;
  if (typeof settle !== "boolean") {
    throw new TypeError(`${where}: settle must be true or false, got ${quote(settle)}`);
  }
  return { concurrency, settle };
}

/**
 * Submits one call per item, keeping at most `concurrency` in flight, and
 * yields each outcome as its call finishes. New calls are submitted as soon
 * as others finish, however slowly the outcomes are consumed. A `submit`
 * that throws (a plugin refused the call) is that item's failure; with
 * `stopOnFailure`, the first failure stops the submissions. A scheduler
 * that stopped, or items that throw, end the whole map with that error.
 * Leaving early (`return`, `throw`, `break` in a `for await`) cancels the
 * calls in flight and closes the items' iterator.
 */
export async function* completions<T>(
  source: AsyncIterator<T> | Iterator<T>,
  concurrency: number,
  stopOnFailure: boolean,
  submit: (item: T) => Future,
  cancel: (future: Future) => void,
): AsyncGenerator<MapCompletion<T>> {
  const inFlight = new Map<Future, { index: number; item: T }>();
  const finished: MapCompletion<T>[] = [];
  let wake: (() => void) | undefined;
  let pumping: Promise<void> | undefined;
  let exhausted = false;
  let stopped = false;
  let fatal: { error: unknown } | undefined;
  let next = 0;

  const record = (done: MapCompletion<T>) => {
    finished.push(done);
    if (stopOnFailure && done.outcome.status === "rejected") stopped = true;
    wake?.();
  };
  const onSettled = (future: Future) => {
    const entry = inFlight.get(future);
    if (!entry) return;
    inFlight.delete(future);
    record({ ...entry, outcome: outcomeOf(future) });
    pump();
  };
  const room = () => !exhausted && !stopped && inFlight.size < concurrency;
  // One pull at a time: an async iterator must not be asked twice at once.
  const pump = (): void => {
    if (pumping) return;
    pumping = fill().finally(() => {
      pumping = undefined;
      // A slot that freed up while the last pull finished is filled now.
      if (room()) pump();
      wake?.();
    });
  };
  const fill = async () => {
    try {
      while (room()) {
        const step = await source.next();
        if (step.done) {
          exhausted = true;
          break;
        }
        if (stopped) break;
        const index = next++;
        const item = step.value;
        let future: Future;
        try {
          future = submit(item);
        } catch (reason) {
          if (reason instanceof SchedulerNotRunningError) throw reason;
          record({ index, item, outcome: { status: "rejected", reason } });
          continue;
        }
        inFlight.set(future, { index, item });
        const settled = () => onSettled(future);
        future.then(settled, settled);
      }
    } catch (error) {
      fatal ??= { error };
      stopped = true;
    }
  };

  try {
    pump();
    while (true) {
      if (finished.length > 0) {
        yield finished.shift()!;
        continue;
      }
      if (fatal) throw fatal.error;
      if ((exhausted || stopped) && inFlight.size === 0 && !pumping) return;
      await new Promise<void>((resolve) => wake = resolve);
      wake = undefined;
    }
  } finally {
    stopped = true;
    await pumping;
    for (const future of [...inFlight.keys()]) cancel(future);
    inFlight.clear();
    if (!exhausted) await source.return?.();
  }
}

function outcomeOf(future: Future): PromiseSettledResult<unknown> {
  return future.status === "fulfilled"
    ? { status: "fulfilled", value: future.value }
    : { status: "rejected", reason: future.error };
}

/** An iterator over `items`; throws a `TypeError` naming what was given instead. */
export function iterate<T>(
  items: Iterable<T> | AsyncIterable<T>,
  where: string,
): AsyncIterator<T> | Iterator<T> {
  if (items && typeof (items as AsyncIterable<T>)[Symbol.asyncIterator] === "function") {
    return (items as AsyncIterable<T>)[Symbol.asyncIterator]();
  }
  if (items && typeof (items as Iterable<T>)[Symbol.iterator] === "function") {
    return (items as Iterable<T>)[Symbol.iterator]();
  }
  throw new TypeError(`${where} needs an iterable or async iterable of items, got ${quote(items)}`);
}
