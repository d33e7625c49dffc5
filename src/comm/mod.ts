/**
 * Comm: two-way messages between running compute and the main process.
 *
 * @module
 */
export { Comm, type CommHooks, Msg, type RequestOptions } from "./comm.ts";
export { CommClosedError, CommTimeoutError } from "./errors.ts";
export type { CommFrame } from "./frames.ts";
