/**
 * A named, typed event.
 *
 * @module
 */

/**
 * A named event whose callbacks receive arguments of type `A`.
 *
 * `String(event)` is its name, so an event and its name can be used
 * interchangeably wherever an emitter takes one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Event } from "@baton/baton";
 * const USER_JOINED = new Event<[name: string]>("user-joined");
 * assert.equal(String(USER_JOINED), "user-joined");
 * ```
 * @category Core
 */
export class Event<A extends unknown[] = unknown[]> {
  /** The event's name, unique within an emitter. */
  readonly name: string;
  /** Phantom field that carries the argument types; never set. */
  declare readonly args?: A;

  /** Creates an event called `name`. */
  constructor(name: string) {
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError(`Event name must be a non-empty string, got ${JSON.stringify(name)}`);
    }
    this.name = name;
  }

  /** The event's name. */
  toString(): string {
    return this.name;
  }
}
