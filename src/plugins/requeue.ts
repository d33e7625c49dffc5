/**
 * An iterator you can push items back into.
 *
 * @module
 */

/**
 * Iterates over items, lazily, and lets you put an item back at the front
 * (`requeue`) or at the very end (`append`). Handy for resubmitting the
 * arguments a {@linkcode Limiter} refused.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Requeue } from "@baton/baton";
 * const items = new Requeue([1, 2, 3]);
 * const first = items.next().value;
 * assert.equal(first, 1);
 * items.requeue(first!);
 * items.append(4);
 * assert.deepEqual([...items], [1, 2, 3, 4]);
 * ```
 * @category Extending
 */
export class Requeue<T> implements IterableIterator<T> {
  readonly #front: T[] = [];
  readonly #source: Iterator<T>;
  #sourceDone = false;
  readonly #back: T[] = [];

  /** Iterates over `items` (any iterable, consumed lazily). */
  constructor(items: Iterable<T> = []) {
    this.#source = items[Symbol.iterator]();
  }

  /** The next item: requeued ones first, then the source, then appended ones. */
  next(): IteratorResult<T, undefined> {
    if (this.#front.length > 0) return { value: this.#front.pop()!, done: false };
    if (!this.#sourceDone) {
      const next = this.#source.next();
      if (!next.done) return { value: next.value, done: false };
      this.#sourceDone = true;
    }
    if (this.#back.length > 0) return { value: this.#back.shift()!, done: false };
    return { value: undefined, done: true };
  }

  /** Puts `item` at the front: it is the next one returned. */
  requeue(item: T): void {
    this.#front.push(item);
  }

  /** Puts `item` at the very end, after everything else. */
  append(item: T): void {
    this.#back.push(item);
  }

  /** Itself. */
  [Symbol.iterator](): IterableIterator<T> {
    return this;
  }
}
