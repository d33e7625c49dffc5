/**
 * Task plugins.
 *
 * @module
 */
export type { Plugin } from "./plugin.ts";
export { Limiter, type LimiterOptions } from "./limiter.ts";
export { Requeue } from "./requeue.ts";
export { Retry, type RetryOptions } from "./retry.ts";
export type { BackoffOptions, BackoffPolicy } from "./backoff.ts";
