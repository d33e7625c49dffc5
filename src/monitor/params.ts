/**
 * Query parameters of the monitor's routes, checked: a bad value is a 400
 * whose message names it and says what is accepted.
 *
 * @module
 */

// deno-lint-ignore no-import-prefix
import type { Context } from "npm:hono@4.13.19";

/** A request the monitor refuses with 400 (or `status`), with a message for the caller. */
export class BadRequest extends Error {
  /** The HTTP status to answer with. */
  readonly status: 400 | 404 | 409;

  constructor(message: string, status: 400 | 404 | 409 = 400) {
    super(message);
    this.name = "BadRequest";
    this.status = status;
  }
}

/** An integer query parameter within `[min, max]`, or `fallback` when absent. */
export function intParam(
  c: Context,
  name: string,
  fallback: number | undefined,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new BadRequest(
      `bad ${name} ${JSON.stringify(raw)}: expected an integer from ${min} to ${max}`,
    );
  }
  return n;
}

/** A number path parameter (an id). */
export function idParam(c: Context, name = "id"): number {
  const raw = c.req.param(name) ?? "";
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new BadRequest(`bad ${name} ${JSON.stringify(raw)}: expected a non-negative integer`);
  }
  return n;
}

/** A comma-separated list of states among `accepted`. */
export function statesParam(c: Context, accepted: readonly string[]): Set<string> | undefined {
  const raw = c.req.query("state");
  if (raw === undefined || raw === "" || raw === "all") return undefined;
  const states = new Set(raw.split(","));
  for (const s of states) {
    if (!accepted.includes(s)) {
      throw new BadRequest(
        `bad state ${JSON.stringify(s)}: expected one or more of ${
          accepted.join(", ")
        } (comma-separated)`,
      );
    }
  }
  return states;
}

/** `order=newest` (the default) or `order=oldest`. */
export function newestFirst(c: Context): boolean {
  const raw = c.req.query("order");
  if (raw === undefined || raw === "" || raw === "newest") return true;
  if (raw === "oldest") return false;
  throw new BadRequest(`bad order ${JSON.stringify(raw)}: expected newest or oldest`);
}
