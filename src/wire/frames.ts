/**
 * The frames a comm channel carries, in either direction.
 *
 * @module
 */

import type { WireError } from "./codec.ts";

/**
 * One message on a comm channel.
 *
 * @example
 * ```ts
 * import type { CommFrame } from "@baton/baton";
 * const frame: CommFrame = { k: "req", rid: 1, data: { need: "config" } };
 * ```
 * @category Extending
 */
export type CommFrame =
  /** A one-way message. */
  | { k: "msg"; data: unknown }
  /** A request; answered by `res` or `rej` with the same `rid`. */
  | { k: "req"; rid: number; data: unknown }
  /** The answer to request `rid`. */
  | { k: "res"; rid: number; data: unknown }
  /** Request `rid` failed. */
  | { k: "rej"; rid: number; error: WireError }
  /** The sender closed its end. */
  | { k: "close" };
