/**
 * Errors of the run store: one that cannot be used, a run id it does not
 * know, a result it cannot keep.
 *
 * @module
 */

/**
 * Why a run store cannot be used.
 *
 * @category Extending
 */
export type StoreProblem = "missing" | "not-a-directory" | "read-only" | "corrupt" | "too-new";

/**
 * The run store cannot be used: it is missing, read-only, corrupt, or was
 * written by a newer baton. The message names the path and what to do.
 * Raised when the store is opened, before any job runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RunStore, StoreError } from "@baton/baton";
 * assert.throws(
 *   () => RunStore.open("/no/such/dir/.baton", { create: false }),
 *   (error) => error instanceof StoreError && error.problem === "missing",
 * );
 * ```
 * @category Extending
 */
export class StoreError extends Error {
  /** What is wrong with the store. */
  readonly problem: StoreProblem;
  /** The store's directory. */
  readonly path: string;

  /** Creates the error; `message` says what to do. */
  constructor(problem: StoreProblem, path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreError";
    this.problem = problem;
    this.path = path;
  }
}

/**
 * A run id the store does not know (`--resume 12`, `baton show 12`). The
 * message lists the runs it knows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UnknownRunError } from "@baton/baton";
 * const error = new UnknownRunError("12", ["3", "2", "1"]);
 * assert.equal(error.message, 'no run "12" in the run store; known runs: 3, 2, 1');
 * ```
 * @category Extending
 */
export class UnknownRunError extends Error {
  /** The id asked for. */
  readonly run: string;
  /** The ids the store knows, newest first. */
  readonly known: readonly string[];

  /** Creates the error for `run`, listing `known` (newest first). */
  constructor(run: string, known: readonly string[]) {
    super(
      `no run ${JSON.stringify(run)} in the run store; ${
        known.length ? `known runs: ${known.join(", ")}` : "it has no runs yet"
      }`,
    );
    this.name = "UnknownRunError";
    this.run = run;
    this.known = known;
  }
}

/**
 * A job returned a value the run store cannot keep (a function, a symbol,
 * a value too big for a row…): the job fails with this error, so that a
 * resume never finds a success without its result.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UnstorableResultError } from "@baton/baton";
 * const error = new UnstorableResultError("train", new Error("f() could not be cloned."));
 * assert.ok(error.message.startsWith('job "train" returned a result the run store cannot keep'));
 * ```
 * @category Extending
 */
export class UnstorableResultError extends Error {
  /** The job's key in the run (its label, with the path of nested flows). */
  readonly job: string;

  /** Creates the error for the job `job`; `cause` is the serializer's error. */
  constructor(job: string, cause: unknown) {
    super(
      `job ${JSON.stringify(job)} returned a result the run store cannot keep: ${
        (cause as Error)?.message ?? String(cause)
      }; return structured-cloneable data (no functions or symbols; class instances ` +
        `come back as plain objects)`,
      { cause },
    );
    this.name = "UnstorableResultError";
    this.job = job;
  }
}
