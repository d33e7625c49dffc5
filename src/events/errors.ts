/**
 * Errors raised by emitters.
 *
 * @module
 */

/**
 * Thrown when an event is named by a string that the emitter does not declare.
 *
 * @example
 * ```ts
 * import { Emitter, UnknownEventError } from "@baton/baton";
 * try {
 *   new Emitter("chat").on("no-such-event", () => {});
 * } catch (error) {
 *   error instanceof UnknownEventError; // true
 * }
 * ```
 */
export class UnknownEventError extends Error {
  /** The name that was asked for. */
  readonly eventName: string;
  /** The names the emitter knows. */
  readonly known: string[];

  /** Creates the error for `eventName` on an emitter that knows `known`. */
  constructor(emitter: string, eventName: string, known: string[]) {
    super(
      `${emitter} has no event "${eventName}"; known events: ${
        known.length ? known.map((k) => `"${k}"`).join(", ") : "(none)"
      }. Declare custom events with addEvent() or subscriber().`,
    );
    this.name = "UnknownEventError";
    this.eventName = eventName;
    this.known = known;
  }
}
