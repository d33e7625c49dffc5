/**
 * Turns a {@linkcode FunctionRef} back into a function on the other side:
 * rebuilt from its source, or imported from its module.
 *
 * @module
 */

import type { FunctionRef } from "../wire/messages.ts";
import { lookupRemote } from "./remote.ts";

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => any;

/**
 * Rebuilds a function from its source, in the global scope only, so that a
 * read of the scope it was written in fails loudly. Accepts expressions and
 * method shorthand (`train(x) {…}`, `async train(x) {…}`).
 */
export function rebuildFunction(source: string | undefined, name: string): AnyFunction {
  if (source === undefined) throw new Error(`The worker never received ${name}'s source`);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new TypeError(
      `${name || "This function"} is native or bound and cannot be shipped by source; ` +
        `wrap it in a plain function, or mark a module function with remote(import.meta.url, fn)`,
    );
  }
  const forms = [source, `function ${source}`, source.replace(/^async\s+/, "async function ")];
  for (const candidate of forms) {
    try {
      // The newline ends a trailing line comment in the source.
      const fn = new Function(`return (${candidate}\n);`)();
      if (typeof fn === "function") return fn;
    } catch { /* try the next form (method shorthand) */ }
  }
  throw new SyntaxError(`Could not rebuild ${name || "the function"} from its source`);
}

/** Imports the module of a `remote` function and finds the function. */
export async function importRemote(url: string, name: string): Promise<AnyFunction> {
  await import(url);
  const fn = lookupRemote(url, name);
  if (!fn) {
    throw new ReferenceError(
      `${url} did not define the remote function "${name}" when imported in the worker; ` +
        `export it as remote(import.meta.url, function ${name}() {...}) at the module's top level`,
    );
  }
  return fn;
}

/** The function a reference names. */
export function loadFunction(ref: FunctionRef): Promise<AnyFunction> {
  return ref.kind === "module"
    ? importRemote(ref.url, ref.name)
    : Promise.resolve().then(() => rebuildFunction(ref.source, ref.name));
}
