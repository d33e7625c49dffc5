/**
 * The messages between the main side and a worker (thread or process). One
 * protocol for every transport.
 *
 * @module
 */

import type { CommFrame } from "../comm/frames.ts";

/** How a worker finds the function to call. */
export type FunctionRef =
  /** Shipped by source: `source` is sent once per worker, then `key` alone. */
  | { kind: "source"; key: number; name: string; source?: string }
  /** Imported from a module marked with `remote(import.meta.url, fn)`. */
  | { kind: "module"; key: number; url: string; name: string };

/** Main side → worker. */
export type ToWorker =
  /**
   * Run a call (calls run one at a time, in arrival order). `fn` is the full
   * reference the first time a worker sees a function, then only its key.
   */
  | { t: "call"; id: number; fn: FunctionRef | number; args: readonly unknown[]; comm?: true }
  /** A comm frame for the call's channel. */
  | { t: "comm"; id: number; frame: CommFrame }
  /** Abort the call's signal if it runs; drop it if it has not started. */
  | { t: "cancel"; id: number }
  /** Hand the call back (reply `dropped`) if it has not started; otherwise ignore. */
  | { t: "steal"; id: number };

/**
 * An error as it crosses a thread or process boundary.
 *
 * @example
 * ```ts ignore
 * const wire: WireError = { name: "TypeError", message: "bad input", stack: "TypeError: bad input" };
 * ```
 */
export interface WireError {
  /** The error's name, e.g. `"TypeError"`. */
  name: string;
  /** Its message. */
  message: string;
  /** Its stack, as text. */
  stack?: string;
  /** A thrown non-Error value, when it could be cloned. */
  thrown?: unknown;
  /** Whether a non-Error value was thrown. */
  nonError?: boolean;
}

/** Worker → main side. */
export type FromWorker =
  | { t: "ok"; id: number; value: unknown }
  | { t: "err"; id: number; error: WireError }
  | { t: "dropped"; id: number }
  | { t: "comm"; id: number; frame: CommFrame };
