/**
 * Errors raised by flows and their jobs.
 *
 * @module
 */

import { formatDuration } from "../units.ts";

/**
 * A flow reached its `timeout` before every non-forever job was done. A
 * critical flow's `run()` rejects with it; a non-critical one resolves `false`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, type JobContext, TimeoutError } from "@baton/baton";
 * const flow = new Flow({ timeout: "10ms" });
 * flow.add(job(function slow(this: JobContext) {
 *   return new Promise((resolve) => {
 *     const timer = setTimeout(resolve, 1000);
 *     this.signal.addEventListener("abort", () => clearTimeout(timer));
 *   });
 * }));
 * await assert.rejects(flow.run(), TimeoutError);
 * ```
 * @category Flow
 */
export class TimeoutError extends Error {
  /** The label of the flow that timed out. */
  readonly flow: string;
  /** The timeout, in milliseconds. */
  readonly timeout: number;

  /** Creates the error for the flow labelled `flow` and its `timeout` in ms. */
  constructor(flow: string, timeout: number) {
    super(`flow "${flow}" TIMED OUT after ${formatDuration(timeout)}`);
    this.name = "TimeoutError";
    this.flow = flow;
    this.timeout = timeout;
  }
}

/**
 * The requirements of a flow form a cycle, so it cannot run. The message
 * names the jobs of the cycle in order, e.g. `a → b → c → a`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CycleError, Flow, job } from "@baton/baton";
 * const a = job(async () => 1);
 * const b = job(async () => 2);
 * const flow = new Flow(a, b);
 * a.requires(b);
 * b.requires(a);
 * await assert.rejects(flow.run(), CycleError);
 * ```
 * @category Flow
 */
export class CycleError extends Error {
  /** The labels of the jobs on the cycle, first one repeated at the end. */
  readonly cycle: readonly string[];

  /** Creates the error for the flow labelled `flow` and the labels on `cycle`. */
  constructor(flow: string, cycle: readonly string[]) {
    super(
      `flow "${flow}" has a cycle in its requirements: ${cycle.join(" → ")}; ` +
        `remove one of these requirements`,
    );
    this.name = "CycleError";
    this.cycle = cycle;
  }
}

/**
 * A command job's process exited with a non-zero code or was killed by a
 * signal. Carries what it wrote.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { command, CommandError, Flow } from "@baton/baton";
 * const fail = command(["sh", "-c", "echo oops >&2; exit 3"]);
 * await new Flow(fail, { critical: false }).run();
 * assert.ok(fail.error instanceof CommandError);
 * assert.equal(fail.error.code, 3);
 * ```
 * @category Flow
 */
export class CommandError extends Error {
  /** The command line. */
  readonly argv: readonly string[];
  /** The exit code. */
  readonly code: number;
  /** The signal that killed it, if any. */
  readonly signal: string | null;
  /** What it wrote to stdout. */
  readonly stdout: string;
  /** What it wrote to stderr. */
  readonly stderr: string;

  /** Creates the error from the process's outcome. */
  constructor(
    argv: readonly string[],
    outcome: { code: number; signal: string | null; stdout: string; stderr: string },
  ) {
    const tail = outcome.stderr.trim().split("\n").slice(-3).join("\n");
    super(
      `command ${JSON.stringify(argv.join(" "))} ${
        outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`
      }${tail ? `: ${tail}` : ""}`,
    );
    this.name = "CommandError";
    this.argv = argv;
    this.code = outcome.code;
    this.signal = outcome.signal;
    this.stdout = outcome.stdout;
    this.stderr = outcome.stderr;
  }
}

/**
 * The reason a running job's `this.signal` aborts with when its flow cancels
 * it: a critical failure, the timeout, or the end of the other jobs (for
 * forever jobs).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobCancelledError } from "@baton/baton";
 * assert.equal(
 *   new JobCancelledError("monitor", "the other jobs are done").message,
 *   'job "monitor" was cancelled: the other jobs are done',
 * );
 * ```
 * @category Flow
 */
export class JobCancelledError extends Error {
  /** The label of the cancelled job. */
  readonly job: string;

  /** Creates the error for the job labelled `job`, cancelled because of `why`. */
  constructor(job: string, why: string) {
    super(`job "${job}" was cancelled: ${why}`);
    this.name = "JobCancelledError";
    this.job = job;
  }
}
