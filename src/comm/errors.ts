/**
 * Errors of comm channels.
 *
 * @module
 */

/**
 * A `comm.request()` got no answer in time.
 *
 * @example
 * ```ts
 * import { CommTimeoutError } from "@baton/baton";
 * new CommTimeoutError(100).message; // "comm request got no answer within 100ms"
 * ```
 */
export class CommTimeoutError extends Error {
  /** Creates the error for a request that waited `ms`. */
  constructor(ms: number) {
    super(`comm request got no answer within ${ms}ms`);
    this.name = "CommTimeoutError";
  }
}

/**
 * The comm channel was closed (by either side, or because the call ended)
 * while something was pending, or something was sent after it closed.
 *
 * @example
 * ```ts
 * import { CommClosedError } from "@baton/baton";
 * new CommClosedError("the call ended").message; // "comm channel closed: the call ended"
 * ```
 */
export class CommClosedError extends Error {
  /** Creates the error; `why` says what closed it. */
  constructor(why: string) {
    super(`comm channel closed: ${why}`);
    this.name = "CommClosedError";
  }
}
