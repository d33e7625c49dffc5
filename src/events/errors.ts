/**
 * Errors raised by emitters.
 *
 * @module
 */

import { closest } from "../similar.ts";

/** amltk's and byop's names for events baton names differently. */
const OLD_NAMES: Readonly<Record<string, string>> = {
  returned: "result",
  "f-returned": "result",
  "f-exception": "exception",
  started: "start",
  "future-returned": "future-result",
};

/**
 * What a name that amltk or byop used means here: `on_future_result` →
 * `future-result`, `task-returned` → `result`; or the closest known name.
 */
function suggestion(name: string, known: readonly string[]): string | undefined {
  const plain = name.toLowerCase().replace(/_/g, "-").replace(/^on-/, "").replace(/^task-/, "");
  const renamed = OLD_NAMES[plain] ?? plain;
  if (known.includes(renamed)) return renamed;
  return closest(name, known);
}

/**
 * Thrown when an event is named by a string that the emitter does not declare.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Emitter, UnknownEventError } from "@baton/baton";
 * assert.throws(
 *   () => new Emitter("chat").on("no-such-event", () => {}),
 *   UnknownEventError,
 * );
 * ```
 * @category Core
 */
export class UnknownEventError extends Error {
  /** The name that was asked for. */
  readonly eventName: string;
  /** The names the emitter knows. */
  readonly known: string[];

  /** Creates the error for `eventName` on an emitter that knows `known`. */
  constructor(emitter: string, eventName: string, known: string[]) {
    const match = suggestion(eventName, known);
    super(
      `${emitter} has no event "${eventName}"${
        match ? ` (did you mean "${match}"?)` : ""
      }; known events: ${
        known.length ? known.map((k) => `"${k}"`).join(", ") : "(none)"
      }. Declare custom events with addEvent() or subscriber().`,
    );
    this.name = "UnknownEventError";
    this.eventName = eventName;
    this.known = known;
  }
}
