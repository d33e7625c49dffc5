/**
 * Results between jobs: a placeholder argument that becomes a
 * requirement's result when the job runs. Serves `resultOf(job)` in the
 * library and `{ from: id }` arguments in workflow files.
 *
 * @module
 */

import { quote } from "../options.ts";
import type { Job } from "./job.ts";

/**
 * Stands for the result of a job (or the results of a list of jobs) in the
 * arguments of another job; see {@linkcode resultOf}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, ResultRef } from "@baton/baton";
 * import { resolveArgs } from "./results.ts";
 * // A workflow file's { from: "prep" }, resolved once every job is built:
 * const jobs = new Map([["prep", job(() => 40)]]);
 * const ref = new ResultRef(() => jobs.get("prep"), "prep");
 * await new Flow(...jobs.values()).run();
 * assert.deepEqual(resolveArgs([ref, 2]), [40, 2]); // once prep is done
 * ```
 * @category Flow
 */
export class ResultRef {
  readonly #source: () => Job | readonly (Job | undefined)[] | undefined;
  readonly #name: string;
  readonly #pick?: (result: never) => unknown;
  readonly #lenient: boolean;

  /**
   * `source` gives the job whose result is wanted, or a list of jobs whose
   * results are wanted as a list (a function, so that a workflow file may
   * name jobs built later); `name` names it in errors; `pick` maps the result.
   * `lenient` (workflow files' `{ from }`): a job that failed, did not run or
   * does not exist gives `undefined` instead of an error.
   */
  constructor(
    source: () => Job | readonly (Job | undefined)[] | undefined,
    name: string,
    pick?: (result: never) => unknown,
    lenient = false,
  ) {
    this.#source = source;
    this.#name = name;
    this.#pick = pick;
    this.#lenient = lenient;
  }

  /**
   * What the placeholder stands for, as plain data (for a job's
   * definition): the jobs' names, whether a list is wanted, and `pick`.
   */
  get identity(): { resultOf: string; list: boolean; pick?: (result: never) => unknown } {
    const list = Array.isArray(this.#source());
    return this.#pick
      ? { resultOf: this.#name, list, pick: this.#pick }
      : { resultOf: this.#name, list };
  }

  /** The jobs whose results are wanted (those that exist yet). */
  get jobs(): Job[] {
    const source = this.#source();
    if (source === undefined) return [];
    return Array.isArray(source) ? source.filter((j) => j !== undefined) : [source as Job];
  }

  /**
   * The result (through `pick` if given), or the list of results.
   *
   * @throws {Error} when a job failed, has not run or does not exist, naming it.
   */
  value(): unknown {
    const source = this.#source();
    const one = (job: Job | undefined): unknown => {
      if (this.#lenient) return job?.isDone() && !job.failed ? job.result : undefined;
      if (!job) throw new Error(`there is no job "${this.#name}" to take a result from`);
      if (job.failed) {
        throw new Error(`job "${job.label}" failed, so there is no result to pass on`, {
          cause: job.error,
        });
      }
      if (!job.isDone()) {
        throw new Error(
          `job "${job.label}" has not run, so there is no result to pass on ` +
            `(was the requirement on it dropped?)`,
        );
      }
      return job.result;
    };
    const value = Array.isArray(source) ? source.map(one) : one(source as Job | undefined);
    return this.#pick ? this.#pick(value as never) : value;
  }
}

/**
 * A placeholder for `job`'s result, to pass as an argument of another job:
 * `job(train, resultOf(prep))` calls `train(prep.result)` once `prep` is
 * done, and makes the new job require `prep`. `pick` maps the result first
 * (`resultOf(build, (r) => r.stdout)`). Placeholders are found among the
 * arguments and inside plain arrays and objects among them.
 *
 * The placeholder is typed as the result (so that the call type-checks);
 * it means something only as an argument of `job()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { Flow, job, resultOf } from "@baton/baton";
 *
 * const prep = job(async () => [1, 2, 3]);
 * const total = job(async (xs: number[]) => xs.reduce((a, b) => a + b), resultOf(prep));
 * const count = job(async (o: { n: number }) => o.n, { n: resultOf(prep, (xs) => xs.length) });
 * await new Flow(prep, total, count).run();
 * assert.equal(total.result, 6);
 * assert.equal(count.result, 3);
 * ```
 * @category Flow
 */
export function resultOf<T>(job: Job<T>): T;
/**
 * A placeholder for the list of the results of `jobs`, in their order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, resultOf } from "@baton/baton";
 * const trainA = job(() => 0.8), trainB = job(() => 0.9);
 * const compare = job((scores: number[]) => Math.max(...scores), resultOf([trainA, trainB]));
 * await new Flow(trainA, trainB, compare).run();
 * assert.equal(compare.result, 0.9);
 * ```
 * @category Flow
 */
export function resultOf<T>(jobs: readonly Job<T>[]): T[];
/**
 * A placeholder for `pick(job.result)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { command, Flow, job, resultOf } from "@baton/baton";
 * const build = command(["echo", "built"]);
 * const report = job((text: string) => text.trim(), resultOf(build, (r) => r.stdout));
 * await new Flow(build, report).run();
 * assert.equal(report.result, "built");
 * ```
 * @category Flow
 */
export function resultOf<T, U>(job: Job<T>, pick: (result: T) => U): U;
/**
 * A placeholder for `job`'s result, mapped by `pick` when given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, resultOf } from "@baton/baton";
 * const prep = job(() => [1, 2, 3]);
 * const train = job((xs: number[]) => xs.length, resultOf(prep));
 * await new Flow(prep, train).run();
 * assert.equal(train.result, 3);
 * ```
 * @category Flow
 */
export function resultOf<T, U>(
  job: Job<T> | readonly Job<T>[],
  pick?: (result: T) => U,
): T | U | T[] {
  const jobs = Array.isArray(job) ? job : [job];
  for (const j of jobs) {
    if (typeof j !== "object" || j === null || typeof (j as Job).isDone !== "function") {
      throw new TypeError(`resultOf() needs a job or a list of jobs, got ${quote(j)}`);
    }
  }
  if (pick !== undefined && typeof pick !== "function") {
    throw new TypeError(`resultOf() takes a function as its second argument, got ${quote(pick)}`);
  }
  const name = Array.isArray(job) ? jobs.map((j) => j.label).join(", ") : (job as Job).label;
  const source = Array.isArray(job) ? () => jobs : () => job as Job;
  return new ResultRef(source, name, pick as (result: never) => unknown) as T;
}

function isPlain(value: unknown): value is Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return true;
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The placeholders among `args` (and inside plain arrays and objects), or
 * `undefined` when there are none, so that jobs without any pay nothing.
 */
export function findResultRefs(args: readonly unknown[]): ResultRef[] | undefined {
  let found: ResultRef[] | undefined;
  const seen = new Set<object>();
  const visit = (value: unknown): void => {
    if (value instanceof ResultRef) (found ??= []).push(value);
    else if (isPlain(value) && !seen.has(value)) {
      seen.add(value);
      for (const item of Array.isArray(value) ? value : Object.values(value)) visit(item);
    }
  };
  for (const arg of args) if (typeof arg === "object" && arg !== null) visit(arg);
  return found;
}

/**
 * `args` with every placeholder replaced by its value (or by what `replace`
 * makes of it). A container that holds a placeholder is copied (the
 * caller's stays as it was); any other value is passed as it is.
 */
export function resolveArgs(
  args: readonly unknown[],
  replace: (ref: ResultRef) => unknown = (ref) => ref.value(),
): unknown[] {
  const done = new Map<object, unknown>();
  const resolve = (value: unknown): unknown => {
    if (value instanceof ResultRef) return replace(value);
    if (!isPlain(value)) return value;
    if (done.has(value)) return done.get(value);
    done.set(value, value); // a cycle back here keeps the original
    let changed = false;
    const entries = (Array.isArray(value) ? value.entries() : Object.entries(value)) as Iterable<
      [string | number, unknown]
    >;
    const resolved: [string | number, unknown][] = [];
    for (const [key, item] of entries) {
      const next = resolve(item);
      if (next !== item) changed = true;
      resolved.push([key, next]);
    }
    if (!changed) return value;
    const copy: Record<string | number, unknown> = Array.isArray(value)
      ? []
      : Object.create(Object.getPrototypeOf(value));
    for (const [key, item] of resolved) copy[key] = item;
    done.set(value, copy);
    return copy;
  };
  return args.map(resolve);
}
