/**
 * How functions reach a worker: by source, or by module URL when marked with
 * {@linkcode remote}.
 *
 * @module
 */

import type { FunctionRef } from "../wire/messages.ts";
import { rememberModuleErrors } from "../wire/codec.ts";

const MARK = Symbol.for("baton.remote");
/** Shared by every copy of this module in a worker: module URL#name → function. */
const REGISTRY_KEY = Symbol.for("baton.remote.registry");

interface RemoteMark {
  readonly url: string;
  readonly name: string;
}

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => any;

function registry(): Map<string, AnyFunction> {
  const global = globalThis as unknown as Record<symbol, Map<string, AnyFunction>>;
  return global[REGISTRY_KEY] ??= new Map();
}

/**
 * Marks `fn`, defined in the module at `moduleUrl`, so that workers and
 * subprocesses import it from that module instead of rebuilding it from its
 * source. The function may then use anything its module imports. Returns
 * `fn` unchanged (same type) apart from a hidden marker.
 *
 * @example
 * ```ts
 * import { remote } from "@baton/baton";
 * export const train = remote(import.meta.url, async function train(lr: number) {
 *   return lr * 2;
 * });
 * ```
 * @category Executors
 */
// deno-lint-ignore no-explicit-any
export function remote<F extends (...args: any[]) => any>(moduleUrl: string | URL, fn: F): F {
  if (typeof fn !== "function") throw new TypeError(`remote() needs a function, got ${typeof fn}`);
  if (!fn.name) {
    throw new TypeError(
      "remote() needs a named function, e.g. remote(import.meta.url, async function train() {...})",
    );
  }
  const url = String(moduleUrl);
  if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    throw new TypeError(`remote() needs a module URL such as import.meta.url, got "${url}"`);
  }
  markRemote(url, fn);
  // The module's exported error classes let errors its functions throw come
  // back as themselves. It is loaded already (it is calling this), so the
  // import only hands over its namespace once it has finished evaluating.
  import(url).then((namespace) => rememberModuleErrors(url, namespace), () => {});
  return fn;
}

/**
 * Marks `fn` as the function `name` of the module at `url`, without
 * touching that module (for stand-ins of functions that run elsewhere).
 */
export function markRemote<F extends AnyFunction>(url: string, fn: F): F {
  const mark: RemoteMark = { url, name: fn.name };
  Object.defineProperty(fn, MARK, { value: mark });
  registry().set(`${url}#${fn.name}`, fn);
  return fn;
}

/** The module URL of a `remote` function, or `undefined` for one shipped by source. */
export function remoteModule(fn: AnyFunction): string | undefined {
  return (fn as unknown as Record<symbol, RemoteMark | undefined>)[MARK]?.url;
}

const keys = new WeakMap<AnyFunction, number>();
let nextKey = 1;

/** A stable key per function object, so a worker compiles or imports it once. */
export function functionKey(fn: AnyFunction): number {
  let key = keys.get(fn);
  if (key === undefined) keys.set(fn, key = nextKey++);
  return key;
}

/** The full reference a worker needs the first time it meets `fn`. */
export function functionRef(fn: AnyFunction): FunctionRef {
  const mark = (fn as unknown as Record<symbol, RemoteMark | undefined>)[MARK];
  const key = functionKey(fn);
  if (mark) return { kind: "module", key, url: mark.url, name: mark.name };
  return { kind: "source", key, name: fn.name, source: Function.prototype.toString.call(fn) };
}

/** Finds a `remote` function in a worker after its module was imported. */
export function lookupRemote(url: string, name: string): AnyFunction | undefined {
  return registry().get(`${url}#${name}`);
}
