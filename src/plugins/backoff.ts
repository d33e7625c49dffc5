/**
 * Exponential backoff with jitter: how long to wait before the n-th retry.
 * One policy for the `Retry` plugin and for `retries:` in workflow files.
 *
 * @module
 */

import { type Duration, parseDuration } from "../units.ts";
import { checkOptions } from "../options.ts";

/**
 * How long to wait between attempts. The wait before retry `n` (1, 2, …) is
 * `delay × factor^(n−1)`, capped at `maxDelay`; with `jitter`, a random
 * share of it between half and all, so retries of many calls spread out
 * without ever collapsing to no wait.
 *
 * @example
 * ```ts
 * import { type BackoffOptions, Retry } from "@baton/baton";
 * const policy: BackoffOptions = { delay: "200ms", factor: 2, maxDelay: "10s", jitter: false };
 * new Retry({ attempts: 3, ...policy });
 * ```
 * @category Extending
 */
export interface BackoffOptions {
  /** The wait before the first retry (default `"100ms"`). */
  delay?: Duration;
  /** How much each wait grows over the previous one (default 2; 1 = a fixed wait). */
  factor?: number;
  /** The longest wait (default `"30s"`). */
  maxDelay?: Duration;
  /** Wait a random 50–100% of the computed time (default `true`). */
  jitter?: boolean;
}

/**
 * {@linkcode BackoffOptions} checked, in milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveBackoff } from "./backoff.ts";
 * const policy = resolveBackoff({ delay: "1s" }, "new Retry()");
 * assert.equal(policy.delay, 1000);
 * ```
 * @category Extending
 */
export interface BackoffPolicy {
  /** Milliseconds before the first retry. */
  readonly delay: number;
  /** Growth per retry. */
  readonly factor: number;
  /** The cap, in milliseconds. */
  readonly maxDelay: number;
  /** Whether waits are randomised. */
  readonly jitter: boolean;
}

/** The keys of {@linkcode BackoffOptions}. */
export const BACKOFF_OPTIONS = ["delay", "factor", "maxDelay", "jitter"] as const;

/**
 * Checks and resolves backoff options; `where` names them in errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveBackoff } from "./backoff.ts";
 * assert.deepEqual(
 *   resolveBackoff({ delay: "100ms", factor: 3 }, "new Retry()"),
 *   { delay: 100, factor: 3, maxDelay: 30000, jitter: true },
 * );
 * ```
 */
export function resolveBackoff(
  options: BackoffOptions & Record<string, unknown>,
  where: string,
  accepted: readonly string[] = BACKOFF_OPTIONS,
  hints: Readonly<Record<string, string>> = {},
): BackoffPolicy {
  checkOptions(options, accepted, where, hints);
  const factor = options.factor ?? 2;
  if (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1) {
    throw new RangeError(`${where}: factor must be a number ≥ 1, got ${factor}`);
  }
  const jitter = options.jitter ?? true;
  if (typeof jitter !== "boolean") {
    throw new TypeError(`${where}: jitter must be true or false, got ${jitter}`);
  }
  return {
    delay: parseDuration(options.delay ?? "100ms"),
    factor,
    maxDelay: parseDuration(options.maxDelay ?? "30s"),
    jitter,
  };
}

/**
 * The wait before retry number `retry` (1 for the first retry), in ms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoffDelay, resolveBackoff } from "./backoff.ts";
 * const policy = resolveBackoff({ delay: 100, jitter: false }, "example");
 * assert.deepEqual([1, 2, 3].map((n) => backoffDelay(policy, n)), [100, 200, 400]);
 * ```
 */
export function backoffDelay(
  policy: BackoffPolicy,
  retry: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.maxDelay, policy.delay * policy.factor ** Math.max(0, retry - 1));
  return policy.jitter ? base * (0.5 + random() / 2) : base;
}
