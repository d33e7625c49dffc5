/**
 * The calls of one scheduler, as the explorer lists them: every future in
 * submission order with when it was submitted and when it ended, in bounded
 * memory. Parallel arrays, not an object per call: recording stays cheap on
 * a scheduler running flat out.
 *
 * @module
 */

import type { Future } from "../scheduler/future.ts";

/** A call's state as the explorer names it. */
export type CallState = "queued" | "running" | "done" | "failed" | "cancelled";

/** The explorer's name for a future's status. */
export function callState(future: Future): CallState {
  switch (future.status) {
    case "pending":
      return "queued";
    case "fulfilled":
      return "done";
    case "rejected":
      return "failed";
    default:
      return future.status;
  }
}

/** Failed futures kept for the failures panel even once the log has let them go. */
const FAILURES_KEPT = 500;

/** A failed call as the failures panel keeps it. */
export interface Failed {
  future: Future;
  submitted: number;
  ended: number;
}

/** The calls in flight of a log: how many, and each, oldest first. */
export interface InFlight extends Iterable<Future> {
  readonly size: number;
}

/** Every call of one scheduler, oldest first, at most `max` finished ones. */
export class CallLog {
  /** The scheduler's index in the monitor. */
  readonly scheduler: number;
  readonly #max: number;
  #futures: Future[] = [];
  /** Milliseconds since the epoch, by position. */
  #submitted: number[] = [];
  /** Milliseconds since the epoch, by position; `NaN` until it ends. */
  #ended: number[] = [];
  /**
   * Futures submitted and not ended, oldest first: the held calls not ended
   * (compaction keeps them all), read from the arrays rather than kept in a
   * set, whose add and delete per call cost more than the rest of the log.
   */
  readonly inFlight: InFlight;
  #inFlightCount = 0;
  /** The latest failures, oldest first, whether or not the log still holds them. */
  #failures: Failed[] = [];
  /** Calls let go of to stay within `max`. */
  evicted = 0;
  /** Grows whenever a call ends: what was computed from the ended calls is stale once it moves. */
  version = 0;
  /** Calls held that have ended (the ones compaction may let go of). */
  #finished = 0;
  /** Where the next call to end probably is: calls mostly end in the order they were submitted. */
  #hint = 0;

  constructor(scheduler: number, max: number) {
    this.scheduler = scheduler;
    this.#max = max;
    // deno-lint-ignore no-this-alias
    const log = this;
    this.inFlight = {
      get size() {
        return log.#inFlightCount;
      },
      *[Symbol.iterator]() {
        for (let i = 0; i < log.#futures.length; i++) {
          if (Number.isNaN(log.#ended[i])) yield log.#futures[i];
        }
      },
    };
  }

  /** How many calls the log holds. */
  get size(): number {
    return this.#futures.length;
  }

  /** Records a submission at `time`. */
  submitted(future: Future, time: number): void {
    this.#futures.push(future);
    this.#submitted.push(time);
    this.#ended.push(NaN);
    this.#inFlightCount++;
  }

  /**
   * Records that `future` ended at `time`; returns when it was submitted, or
   * `NaN` (and records nothing) if the log did not see it start or saw it end.
   */
  ended(future: Future, time: number): number {
    const i = this.#indexOf(future.id);
    if (i < 0 || !Number.isNaN(this.#ended[i])) return NaN;
    this.#inFlightCount--;
    this.version++;
    const submitted = this.#submitted[i];
    this.#ended[i] = time;
    // Slack, so that compaction runs once per many calls, not per call.
    if (++this.#finished > this.#max + (this.#max >> 2) + 16) this.#compact();
    if (future.status === "rejected") {
      this.#failures.push({ future, submitted, ended: time });
      if (this.#failures.length > FAILURES_KEPT * 2) this.#failures.splice(0, FAILURES_KEPT);
    }
    return submitted;
  }

  /** The future at position `i` (0 = oldest held). */
  at(i: number): Future {
    return this.#futures[i];
  }

  /** When the call at position `i` was submitted. */
  submittedAt(i: number): number {
    return this.#submitted[i];
  }

  /** When the call at position `i` ended (`NaN`: not yet). */
  endedAt(i: number): number {
    return this.#ended[i];
  }

  /** The position of the future with `id`, or -1. */
  find(id: number): number {
    return this.#indexOf(id);
  }

  /** The latest failures, newest first. */
  failures(limit: number): Failed[] {
    const out: Failed[] = [];
    for (let i = this.#failures.length - 1; i >= 0 && out.length < limit; i--) {
      out.push(this.#failures[i]);
    }
    return out;
  }

  /** A failure by future id, also once the log let it go. */
  failure(id: number): Failed | undefined {
    for (let i = this.#failures.length - 1; i >= 0; i--) {
      if (this.#failures[i].future.id === id) return this.#failures[i];
    }
    return undefined;
  }

  /** Future ids grow with submission order, so the arrays are sorted by id. */
  #indexOf(id: number): number {
    const futures = this.#futures;
    const hint = this.#hint;
    if (hint < futures.length && futures[hint].id === id) {
      this.#hint = hint + 1;
      return hint;
    }
    let lo = 0, hi = futures.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const at = futures[mid].id;
      if (at === id) {
        this.#hint = mid + 1;
        return mid;
      }
      if (at < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Lets go of the oldest finished calls until `max` remain; calls in flight stay. */
  #compact(): void {
    const drop = this.#finished - this.#max;
    this.#finished -= drop;
    this.evicted += drop;
    this.#hint = 0;
    // The common case: the oldest calls have all ended, and go in one native move.
    let front = 0;
    while (front < drop && !Number.isNaN(this.#ended[front])) front++;
    if (front === drop) {
      this.#futures.splice(0, drop);
      this.#submitted.splice(0, drop);
      this.#ended.splice(0, drop);
      return;
    }
    let left = drop;
    const futures: Future[] = [];
    const submitted: number[] = [];
    const ended: number[] = [];
    for (let i = 0; i < this.#futures.length; i++) {
      if (left > 0 && !Number.isNaN(this.#ended[i])) {
        left--;
        continue;
      }
      futures.push(this.#futures[i]);
      submitted.push(this.#submitted[i]);
      ended.push(this.#ended[i]);
    }
    this.#futures = futures;
    this.#submitted = submitted;
    this.#ended = ended;
  }
}
