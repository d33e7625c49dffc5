/**
 * A callback registered on an emitter, with the options that decide when it runs.
 *
 * @module
 */

import { checkOptions } from "../options.ts";
import type { Event } from "./event.ts";

/**
 * Options accepted by every `on(...)` / subscriber call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Emitter, Event } from "@baton/baton";
 * const TICK = new Event<[n: number]>("tick");
 * const em = new Emitter();
 * const seen: number[] = [];
 * // Every 10th emit, at most 5 times.
 * em.on(TICK, (n) => seen.push(n), { every: 10, maxCalls: 5, name: "progress" });
 * for (let n = 1; n <= 100; n++) em.emit(TICK, n);
 * assert.deepEqual(seen, [10, 20, 30, 40, 50]);
 * ```
 * @category Core
 */
export interface CallbackOptions {
  /** Name shown when the emitter is rendered; defaults to the function's name. */
  name?: string;
  /** Call only when this returns `true` at emission time. */
  when?: () => boolean;
  /** Call on the n-th, 2n-th, … emission seen by this handler. */
  every?: number;
  /** Call this many times per emission (default 1); it still counts as one call. */
  repeat?: number;
  /** Stop calling after this many calls (emissions it ran for, as amltk counts them). */
  maxCalls?: number;
  /** Leave this handler out of the rendered tree. */
  hidden?: boolean;
}

/**
 * A callback for an event with arguments `A`; it may be async.
 *
 * @example
 * ```ts
 * import type { Callback } from "@baton/baton";
 * const names: string[] = [];
 * const log: Callback<[name: string]> = (name) => names.push(name);
 * log("ada");
 * ```
 * @category Core
 */
export type Callback<A extends unknown[]> = (...args: A) => unknown;

/** The keys of {@linkcode CallbackOptions}. */
const CALLBACK_OPTIONS = ["name", "when", "every", "repeat", "maxCalls", "hidden"] as const;
const CALLBACK_HINTS = {
  limit: 'baton calls amltk\'s "limit" maxCalls',
  max_calls: "use maxCalls",
};

function positiveInteger(option: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`Callback option ${option} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Runs `handler` for one emission of `argc` (0–2) arguments; only the emitter calls it.
 *
 * @example
 * ```ts ignore
 * runFew(handler, 1, future, undefined, trackResult);
 * ```
 */
export let runFew: (
  handler: Handler<never>,
  argc: number,
  a: unknown,
  b: unknown,
  onResult: (result: unknown) => void,
) => boolean;

let nextHandlerId = 1;

/**
 * A registered callback. Returned by `emitter.on(...)`; `remove()` unsubscribes it.
 * Its `callCount` counts the emissions it ran for: with `repeat: 3` one
 * emission runs the callback three times and counts once, as amltk counts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Emitter, Event } from "@baton/baton";
 * const TICK = new Event<[n: number]>("tick");
 * const em = new Emitter();
 * const h = em.on(TICK, () => {}, { maxCalls: 1 });
 * em.emit(TICK, 1);
 * em.emit(TICK, 2);
 * assert.equal(h.callCount, 1);
 * ```
 * @category Core
 */
export class Handler<A extends unknown[] = unknown[]> {
  /** Unique, increasing id, shown in renderings (`#3`). */
  readonly id: number = nextHandlerId++;
  /** The event this handler listens to. */
  readonly event: Event<A>;
  /** The callback itself. */
  readonly callback: Callback<A>;
  /** Display name. */
  readonly name: string;
  /** Whether rendering leaves it out. */
  readonly hidden: boolean;
  /** How many emissions the callback ran for (a `repeat: n` emission counts once). */
  callCount = 0;
  /** How many emissions this handler has seen (for `every`). */
  #seen = 0;
  readonly #when?: () => boolean;
  readonly #every: number;
  readonly #repeat: number;
  readonly #maxCalls: number;
  readonly #detach: () => void;

  /** Used by {@linkcode Emitter.on}; not meant to be called directly. */
  constructor(
    event: Event<A>,
    callback: Callback<A>,
    options: CallbackOptions,
    detach: () => void,
  ) {
    if (typeof callback !== "function") {
      throw new TypeError(`A callback for "${event}" must be a function, got ${typeof callback}`);
    }
    checkOptions(options, CALLBACK_OPTIONS, `the "${event}" callback`, CALLBACK_HINTS);
    this.event = event;
    this.callback = callback;
    this.name = options.name ?? (callback.name || "anonymous");
    this.hidden = options.hidden ?? false;
    this.#when = options.when;
    this.#every = positiveInteger("every", options.every) ?? 1;
    this.#repeat = positiveInteger("repeat", options.repeat) ?? 1;
    this.#maxCalls = positiveInteger("maxCalls", options.maxCalls) ?? Infinity;
    this.#detach = detach;
  }

  /**
   * Runs the callback for one emission as its options allow (`repeat` times),
   * passing each result to `onResult` (so the emitter can watch for async
   * rejections). Returns whether it ran.
   */
  run(args: A, onResult: (result: unknown) => void): boolean {
    this.#seen++;
    if (this.#seen % this.#every !== 0) return false;
    if (this.#when && !this.#when()) return false;
    if (this.callCount >= this.#maxCalls) return false;
    this.callCount++;
    for (let i = 0; i < this.#repeat; i++) onResult(this.callback(...args));
    return true;
  }

  static {
    runFew = (handler, argc, a, b, onResult) => handler.#runFew(argc, a, b, onResult);
  }

  /** `run` with up to two arguments given one by one, so that no array is made for them. */
  #runFew(
    argc: number,
    a: unknown,
    b: unknown,
    onResult: (result: unknown) => void,
  ): boolean {
    this.#seen++;
    if (this.#seen % this.#every !== 0) return false;
    if (this.#when && !this.#when()) return false;
    if (this.callCount >= this.#maxCalls) return false;
    this.callCount++;
    const self = this as unknown as { callback: (...args: unknown[]) => unknown };
    for (let i = 0; i < this.#repeat; i++) {
      // Called as `this.callback(...)`, as `run` does, with exactly `argc` arguments.
      onResult(argc === 0 ? self.callback() : argc === 1 ? self.callback(a) : self.callback(a, b));
    }
    return true;
  }

  /** Unsubscribes this handler; calling it again does nothing. */
  remove(): void {
    this.#detach();
  }
}
