/**
 * The TCP transport's messages: a one-line JSON hello (the token), then the
 * ordinary {@linkcode ToWorker}/{@linkcode FromWorker} protocol in frames,
 * with limits and permissions on each call (the worker enforces them).
 *
 * @module
 */

import type { FromWorker, ToWorker } from "../../wire/messages.ts";
import type { Permissions, ResolvedLimits } from "../limits.ts";

/**
 * Version of this protocol, sent in the hello.
 *
 * @example
 * ```ts
 * import { PROTOCOL_VERSION } from "./wire.ts";
 * const token = crypto.randomUUID();
 * const hello = { baton: PROTOCOL_VERSION, token, concurrency: 1, host: "n1", pid: 1 };
 * ```
 */
export const PROTOCOL_VERSION = 1;
/**
 * A hello longer than this is refused before it is parsed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_HELLO_BYTES, parseHello } from "./wire.ts";
 * const line = JSON.stringify({ baton: 1, token: "x".repeat(MAX_HELLO_BYTES), concurrency: 1 });
 * assert.ok(line.length > MAX_HELLO_BYTES); // the endpoint drops such a connection
 * assert.throws(() => parseHello("not json"));
 * ```
 */
export const MAX_HELLO_BYTES = 4096;

/**
 * The first thing a worker sends: one line of JSON, ending in `\n`.
 *
 * @example
 * ```ts
 * import type { Hello } from "./wire.ts";
 * const hello: Hello = { baton: 1, token: "…", jobId: "42", concurrency: 2, host: "node7", pid: 9 };
 * ```
 */
export interface Hello {
  /** {@linkcode PROTOCOL_VERSION}. */
  baton: number;
  /** The token the scheduler gave the job. */
  token: string;
  /** The Slurm job id (`SLURM_JOB_ID`), when run by Slurm. */
  jobId?: string;
  /** Calls it runs at once. */
  concurrency: number;
  /** Its host name. */
  host: string;
  /** Its process id. */
  pid: number;
}

/**
 * Scheduler → worker, after the hello.
 *
 * @example
 * ```ts
 * import type { ToRemote } from "./wire.ts";
 * const bye: ToRemote = { t: "bye" };
 * ```
 */
export type ToRemote =
  | (Extract<ToWorker, { t: "call" }> & { limits: ResolvedLimits; permissions?: Permissions })
  | Exclude<ToWorker, { t: "call" | "ping" }>
  /** The hello was accepted. */
  | { t: "welcome"; id: string }
  /** The scheduler is done with this worker: finish and exit. */
  | { t: "bye" };

/**
 * Worker → scheduler: the ordinary protocol (errors in the one codec, which
 * keeps limit errors and crashes as their classes).
 *
 * @example
 * ```ts
 * import type { FromRemote } from "./wire.ts";
 * const answer: FromRemote = { t: "ok", id: 3, value: 42 };
 * ```
 */
export type FromRemote = Exclude<FromWorker, { t: "exit" | "ready" | "pong" }>;

/**
 * Parses and checks a hello line; throws a `TypeError` saying what is wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHello } from "./wire.ts";
 * assert.equal(parseHello('{"baton":1,"token":"t","concurrency":2}').concurrency, 2);
 * ```
 */
export function parseHello(line: string): Hello {
  let hello: Partial<Hello>;
  try {
    hello = JSON.parse(line);
  } catch {
    throw new TypeError(`the hello is not JSON: ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (typeof hello !== "object" || hello === null || hello.baton !== PROTOCOL_VERSION) {
    throw new TypeError(
      `the hello does not speak baton protocol ${PROTOCOL_VERSION}: ${
        JSON.stringify(line.slice(0, 80))
      }`,
    );
  }
  if (typeof hello.token !== "string") throw new TypeError("the hello carries no token");
  const concurrency = hello.concurrency;
  if (!Number.isInteger(concurrency) || concurrency! < 1 || concurrency! > 1024) {
    throw new TypeError(`the hello's concurrency must be 1 to 1024, got ${concurrency}`);
  }
  return {
    baton: PROTOCOL_VERSION,
    token: hello.token,
    jobId: typeof hello.jobId === "string" && hello.jobId ? hello.jobId : undefined,
    concurrency: concurrency!,
    host: typeof hello.host === "string" ? hello.host : "?",
    pid: typeof hello.pid === "number" ? hello.pid : 0,
  };
}
