/**
 * The messages between the main side and a worker (thread, process, or a
 * remote relay). One protocol for every transport.
 *
 * Two messages are sent for every call: the call and its answer. Where
 * messages are structured-cloned (Web Workers), they may also travel in a
 * compact form, {@linkcode CallTuple} and {@linkcode ResultTuple}: an array
 * clones, and is read back, faster than an object whose field names are
 * written out in every message. A tuple means exactly what its object form
 * means; everything else (comm, output, cancel, errors…) is always an object.
 *
 * @module
 */

import type { CommFrame } from "./frames.ts";
import type { WireError } from "./codec.ts";

export type { WireError, WireValue } from "./codec.ts";

/** How a worker finds the function to call. */
export type FunctionRef =
  /** Shipped by source: `source` is sent once per worker, then `key` alone. */
  | { kind: "source"; key: number; name: string; source?: string }
  /** Imported from a module marked with `remote(import.meta.url, fn)`. */
  | { kind: "module"; key: number; url: string; name: string };

/**
 * Which stream a piece of a call's output was written to.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type OutputStream, Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.withWorkers(1, { echo: false });
 * const task = scheduler.task(() => console.log("hello"));
 * const log: Record<OutputStream, string[]> = { stdout: [], stderr: [] };
 * task.onOutput((_future, text, stream: OutputStream) => log[stream].push(text));
 * scheduler.onStart(() => task.submit());
 * await scheduler.run();
 * assert.deepEqual(log.stdout, ["hello\n"]);
 * ```
 * @category Executors
 */
export type OutputStream = "stdout" | "stderr";

/**
 * What the compute side does with a call's console output: `"capture"`
 * sends it to the main side as `out` messages, `"discard"` drops it; absent,
 * it is written to the terminal where the call runs, as usual.
 *
 * @example
 * ```ts
 * import type { Call } from "@baton/baton";
 * const fn = () => console.log("dropped");
 * const call: Call = { id: 1, fn, args: [], limits: {}, output: "discard" };
 * ```
 * @category Executors
 */
export type OutputMode = "capture" | "discard";

/** Main side → worker. */
export type ToWorker =
  /**
   * Run a call (calls run one at a time, in arrival order). `fn` is the full
   * reference the first time a worker sees a function, then only its key.
   */
  | {
    t: "call";
    id: number;
    fn: FunctionRef | number;
    args: readonly unknown[];
    comm?: true;
    output?: OutputMode;
  }
  /** A comm frame for the call's channel. */
  | { t: "comm"; id: number; frame: CommFrame }
  /**
   * Abort the call's signal with `reason` if it runs; drop it (reply
   * `dropped`) if it has not started.
   */
  | { t: "cancel"; id: number; reason?: WireError }
  /** Hand the call back (reply `dropped`) if it has not started; otherwise ignore. */
  | { t: "steal"; id: number }
  /** Answer `pong` as soon as the worker's event loop is free. */
  | { t: "ping" };

/**
 * A plain call in compact form: `{ t: "call", id, fn, args }` as
 * `[id, fn, args]`. Only for calls with neither `comm` nor `output` (those
 * use the object form).
 *
 * @example
 * ```ts ignore
 * const call: CallTuple = [7, 1, [20, 22]]; // { t: "call", id: 7, fn: 1, args: [20, 22] }
 * ```
 */
export type CallTuple = readonly [id: number, fn: FunctionRef | number, args: readonly unknown[]];

/**
 * A successful answer in compact form: `{ t: "ok", id, value }` as `[id, value]`.
 *
 * @example
 * ```ts ignore
 * const answer: ResultTuple = [7, 42]; // { t: "ok", id: 7, value: 42 }
 * ```
 */
export type ResultTuple = readonly [id: number, value: unknown];

/** Worker → main side. */
export type FromWorker =
  | { t: "ok"; id: number; value: unknown }
  | { t: "err"; id: number; error: WireError }
  | { t: "dropped"; id: number }
  | { t: "comm"; id: number; frame: CommFrame }
  /** Console (or stdout/stderr) output of the running call `id`. */
  | { t: "out"; id: number; text: string; stream: OutputStream }
  /**
   * The worker is ending itself (`Deno.exit(code)`, `self.close()`), sent
   * just before it goes: its calls will never be answered.
   */
  | { t: "exit"; code?: number; how: string }
  /** The worker has loaded and takes calls. */
  | { t: "ready" }
  | { t: "pong" };
