/**
 * Comm: two-way messages between running compute and the main process.
 *
 * @module
 */
export { CommChannel, type CommHooks, type RequestOptions } from "./channel.ts";
export { Comm, Msg } from "./comm.ts";
export { CommClosedError, CommTimeoutError } from "../wire/errors.ts";
export type { CommFrame } from "../wire/frames.ts";
