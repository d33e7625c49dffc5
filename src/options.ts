/**
 * One check for every options object of the API: an unknown key is a
 * `TypeError` that names it, lists the accepted keys and suggests the
 * closest one, so a misspelt limit or policy is never silently ignored.
 *
 * @module
 */

import { closest } from "./similar.ts";

/**
 * Checks that `options` is `undefined` or an object whose keys are all in
 * `accepted`. `where` names the options in the message (e.g.
 * `"scheduler.task()"`); `hints` gives a sentence for keys that users of
 * other libraries are likely to try (`callLimit` → use `Limiter`).
 *
 * @throws {TypeError} naming the unknown key, the accepted keys and the closest match.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkOptions } from "./options.ts";
 * assert.throws(
 *   () => checkOptions({ limts: {} }, ["name", "limits"], "scheduler.task()"),
 *   /Unknown option "limts" in scheduler.task\(\) options \(did you mean "limits"\?\)/,
 * );
 * ```
 */
export function checkOptions(
  options: unknown,
  accepted: readonly string[],
  where: string,
  hints: Readonly<Record<string, string>> = {},
): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(
      `${where} options must be an object with keys among ${accepted.join(", ")}, got ${
        quote(options)
      }`,
    );
  }
  for (const key of Object.keys(options)) {
    if (accepted.includes(key)) continue;
    const hint = Object.hasOwn(hints, key) ? `: ${hints[key]}` : "";
    const match = hint ? undefined : closest(key, accepted);
    throw new TypeError(
      `Unknown option "${key}" in ${where} options${
        match ? ` (did you mean "${match}"?)` : ""
      }${hint}; accepted: ${accepted.join(", ")}`,
    );
  }
}

/** A value as given, for error messages: strings quoted, the rest inspected, long ones cut. */
export function quote(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "number" || typeof value === "bigint") text = String(value);
  else {
    try {
      text = Deno.inspect(value, { depth: 1, colors: false });
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
