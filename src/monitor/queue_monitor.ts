/**
 * `QueueMonitor` (amltk's name): the queue of a scheduler over time, sampled
 * while it runs, in bounded memory.
 *
 * @module
 */

import { checkOptions, quote } from "../options.ts";
import type { Future } from "../scheduler/future.ts";
import type { Scheduler } from "../scheduler/scheduler.ts";
import { startTimer, stopTimer, type Timer } from "../timers.ts";
import { type Duration, parseDuration } from "../units.ts";

/**
 * One sample of {@linkcode QueueMonitor}: the queue at `time`, and what has
 * finished since the monitor was made.
 *
 * @example
 * ```ts
 * import type { QueueMonitorRow } from "@baton/baton";
 * const row: QueueMonitorRow = {
 *   time: Date.now(), queued: 3, running: 2, done: 10, failed: 1, cancelled: 0, idleWorkers: 0,
 * };
 * ```
 * @category Monitor
 */
export interface QueueMonitorRow {
  /** When it was taken (milliseconds since the epoch). */
  time: number;
  /** Futures submitted and not started. */
  queued: number;
  /** Futures running now. */
  running: number;
  /** Futures that returned a result, so far. */
  done: number;
  /** Futures that threw, so far (not counted in `done`). */
  failed: number;
  /** Futures cancelled, so far. */
  cancelled: number;
  /** Live workers of the executor not running a call. */
  idleWorkers: number;
}

/**
 * Options of {@linkcode QueueMonitor}.
 *
 * @example
 * ```ts
 * import type { QueueMonitorOptions } from "@baton/baton";
 * const options: QueueMonitorOptions = { interval: "100ms", maxRows: 500 };
 * ```
 * @category Monitor
 */
export interface QueueMonitorOptions {
  /** Time between samples while the scheduler runs (default `"250ms"`). */
  interval?: Duration;
  /**
   * Rows kept at most (default 1000, at least 4). When full, every other row
   * is dropped and the interval doubles: the history always covers the
   * whole run, coarser as it grows.
   */
  maxRows?: number;
}

const OPTIONS = ["interval", "maxRows"] as const;

/**
 * A queue monitor fed by the monitor's own observer instead of a tap of its
 * own, counting running futures in the monitor's set of calls in flight:
 * one observer and one record of calls in flight per scheduler, not two. Internal.
 */
export let fedQueueMonitor: (
  scheduler: Scheduler,
  options: QueueMonitorOptions | undefined,
  inFlight: Iterable<Future>,
) => { queue: QueueMonitor; observe: (event: string, args: readonly unknown[]) => void };

/** Set while `fedQueueMonitor` constructs one, so that the constructor does not tap. */
let constructingFed = false;

/**
 * Samples a scheduler's queue while it runs: queued, running, done, failed,
 * cancelled and idle workers over time, as amltk's `QueueMonitor` does. It
 * takes a row when the scheduler starts, every `interval` while it runs, and
 * when it finishes; it watches through one hidden observer and never keeps
 * the program alive. Memory is bounded by down-sampling: past `maxRows`,
 * every other row goes and the interval doubles.
 *
 * @example
 * ```ts
 * import { QueueMonitor, Scheduler } from "@baton/baton";
 * import assert from "node:assert/strict";
 *
 * const scheduler = Scheduler.sequential();
 * const queue = new QueueMonitor(scheduler, { interval: "10ms" });
 * const task = scheduler.task((n: number) => n * 2);
 * scheduler.onStart(() => {
 *   for (let i = 0; i < 5; i++) task.submit(i);
 * });
 * await scheduler.run();
 * const rows = queue.rows();
 * assert.equal(rows[0].queued, 0); // the first row is taken as the run starts
 * assert.equal(rows.at(-1)!.done, 5); // the last one as it finishes
 * queue.close();
 * ```
 * @category Monitor
 */
export class QueueMonitor {
  /** The scheduler watched. */
  readonly scheduler: Scheduler;
  /** Rows kept at most. */
  readonly maxRows: number;
  #interval: number;
  #rows: QueueMonitorRow[] = [];
  #inFlight: Set<Future> | Iterable<Future> = new Set<Future>();
  /** Whether `#inFlight` is someone else's (then it is only read). */
  #fed = false;
  #done = 0;
  #failed = 0;
  #cancelled = 0;
  #timer?: Timer;
  #untap?: () => void;

  static {
    fedQueueMonitor = (scheduler, options, inFlight) => {
      constructingFed = true;
      try {
        const queue = new QueueMonitor(scheduler, options);
        queue.#inFlight = inFlight;
        queue.#fed = true;
        return { queue, observe: queue.#observe };
      } finally {
        constructingFed = false;
      }
    };
  }

  /**
   * Starts watching `scheduler` (sampling begins with its next `start`, or
   * now if it is running).
   *
   * @throws {TypeError} on an unknown option or a bad interval.
   * @throws {RangeError} when `interval` is 0 or `maxRows` is below 4.
   */
  constructor(scheduler: Scheduler, options: QueueMonitorOptions = {}) {
    checkOptions(options, OPTIONS, "new QueueMonitor()");
    if (typeof scheduler?.tap !== "function" || typeof scheduler.running !== "function") {
      throw new TypeError(`new QueueMonitor() needs a Scheduler, got ${quote(scheduler)}`);
    }
    const interval = parseDuration(options?.interval ?? "250ms");
    if (interval <= 0) {
      throw new RangeError(
        `QueueMonitor interval must be more than 0, got ${quote(options?.interval)}`,
      );
    }
    const maxRows = options?.maxRows ?? 1000;
    if (!Number.isSafeInteger(maxRows) || maxRows < 4) {
      throw new RangeError(
        `QueueMonitor maxRows must be an integer of at least 4, got ${quote(maxRows)}`,
      );
    }
    this.scheduler = scheduler;
    this.maxRows = maxRows;
    this.#interval = interval;
    if (!constructingFed) this.#untap = scheduler.tap(this.#observe);
    if (scheduler.running()) this.#begin();
  }

  /** The time between samples now (the `interval` option, doubled at each down-sampling). */
  get interval(): number {
    return this.#interval;
  }

  /** The samples, oldest first (a copy). */
  rows(): QueueMonitorRow[] {
    return this.#rows.slice();
  }

  /** Takes a sample now, adds it to the rows and returns it. */
  sample(): QueueMonitorRow {
    let running = 0;
    for (const future of this.#inFlight) if (future.status === "running") running++;
    // Futures submitted before the monitor was made are in queueSize, not in #inFlight.
    const queued = Math.max(0, this.scheduler.queueSize - running);
    let idleWorkers = 0;
    for (const worker of this.scheduler.executor.info().workers) if (!worker.busy) idleWorkers++;
    const row: QueueMonitorRow = {
      time: Date.now(),
      queued,
      running,
      done: this.#done,
      failed: this.#failed,
      cancelled: this.#cancelled,
      idleWorkers,
    };
    if (this.#rows.length >= this.maxRows) this.#downsample();
    this.#rows.push(row);
    return row;
  }

  /** Stops sampling and watching; the rows stay readable. */
  close(): void {
    this.#stop();
    this.#untap?.();
    this.#untap = undefined;
  }

  /** Same as {@linkcode close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  readonly #observe = (event: string, args: readonly unknown[]): void => {
    const own = this.#fed ? undefined : this.#inFlight as Set<Future>;
    switch (event) {
      case "future-submitted":
        own?.add(args[0] as Future);
        break;
      case "future-result":
        this.#done++;
        own?.delete(args[0] as Future);
        break;
      case "future-exception":
        this.#failed++;
        own?.delete(args[0] as Future);
        break;
      case "future-cancelled":
        this.#cancelled++;
        own?.delete(args[0] as Future);
        break;
      case "start":
        this.#begin();
        break;
      case "finished":
        this.#stop();
        own?.clear();
        this.sample();
        break;
    }
  };

  #begin(): void {
    if (this.#timer !== undefined) return;
    this.sample();
    this.#arm();
  }

  #arm(): void {
    const timer = startTimer(() => {
      this.#timer = undefined;
      this.sample();
      this.#arm();
    }, this.#interval);
    // Sampling never keeps a program alive (a chained long timer cannot be unref'd, and need not).
    if (typeof timer === "number") Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #stop(): void {
    stopTimer(this.#timer);
    this.#timer = undefined;
  }

  /** Keeps every other row (the first and the newest among them) and halves the rate. */
  #downsample(): void {
    const last = this.#rows[this.#rows.length - 1];
    const kept = this.#rows.filter((_, i) => i % 2 === 0);
    if (kept[kept.length - 1] !== last) kept[kept.length - 1] = last;
    this.#rows = kept;
    this.#interval *= 2;
  }
}
