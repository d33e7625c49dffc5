/**
 * A relayed call names its function by source or by module URL; the local
 * pools take a function object. A stand-in is a function object that the pools describe
 * with the same reference, so the function itself only ever runs in the
 * pool's processes or workers.
 *
 * @module
 */

import type { FunctionRef } from "../wire/messages.ts";
import { markRemote } from "./remote.ts";
import { rebuildFunction } from "./rebuild.ts";

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => any;

/** Stand-ins are cached so a pool loads each function once, however many jobs use it. */
const MAX_CACHED = 500;
const cache = new Map<string, AnyFunction>();

/** A function object that the local pools will send to their workers as `ref`. */
export function standIn(ref: FunctionRef): AnyFunction {
  if (typeof ref !== "object" || ref === null || typeof ref.name !== "string") {
    throw new TypeError(`A job's function reference is malformed: ${JSON.stringify(ref)}`);
  }
  const cacheKey = ref.kind === "module" ? `module:${ref.url}#${ref.name}` : `source:${ref.source}`;
  let fn = cache.get(cacheKey);
  if (fn) return fn;
  fn = ref.kind === "module" ? moduleStandIn(ref.url, ref.name) : sourceStandIn(ref);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(cacheKey, fn);
  return fn;
}

function moduleStandIn(url: string, name: string): AnyFunction {
  const fn = function () {
    throw new Error(`${name} runs in the worker pool, not here`);
  };
  Object.defineProperty(fn, "name", { value: name });
  return markRemote(url, fn);
}

/**
 * Only creates the function (its text is `source` again): the body is not
 * run here. Queue writers are trusted to send functions, as BullMQ trusts job
 * data; see docs/executors.md.
 */
function sourceStandIn(ref: FunctionRef & { kind: "source" }): AnyFunction {
  if (typeof ref.source !== "string") {
    throw new TypeError(`The job carries no source for ${ref.name || "its function"}`);
  }
  return rebuildFunction(ref.source, ref.name);
}
