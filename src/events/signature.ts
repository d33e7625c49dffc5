/**
 * A function's signature as its source declares it, for renderings: what
 * amltk's tree shows as `def collatz(n: int) -> int`. Types are gone at run
 * time, so baton shows the parameter list: `collatz(n)`.
 *
 * @module
 */

/** The longest parameter list shown before it is cut. */
const MAX_PARAMS = 60;

/**
 * `name(parameters)` for `fn`, e.g. `computeNext(_future, n)`; `name`
 * defaults to the function's own. Native and unreadable functions show `()`
 * or `(…)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signature } from "./signature.ts";
 * assert.equal(signature(function collatz(n: number) { return n; }), "collatz(n)");
 * assert.equal(signature((a: number, { b = 1 }) => a + b, "cb"), "cb(a, { b = 1 })");
 * ```
 */
export function signature(fn: (...args: never[]) => unknown, name?: string): string {
  return `${name ?? (fn.name || "anonymous")}(${parameters(fn)})`;
}

function parameters(fn: (...args: never[]) => unknown): string {
  let source: string;
  try {
    source = Function.prototype.toString.call(fn);
  } catch {
    return "…";
  }
  if (source.includes("[native code]")) return fn.length ? "…" : "";
  // `x => …` and `async x => …`: one parameter, no parentheses.
  const bare = /^(?:async\s+)?([\p{L}\p{N}_$]+)\s*=>/u.exec(source);
  if (bare) return bare[1];
  const open = source.indexOf("(");
  if (open < 0) return "…";
  const close = matchingParen(source, open);
  if (close < 0) return "…";
  const text = source.slice(open + 1, close).replace(/\s+/g, " ").trim().replace(/,$/, "");
  return text.length > MAX_PARAMS ? `${text.slice(0, MAX_PARAMS - 1)}…` : text;
}

/** The index of the `)` closing the `(` at `open`, skipping strings, comments and nesting. */
function matchingParen(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === '"' || c === "'" || c === "`") {
      i = skipString(source, i);
      continue;
    }
    if (c === "/" && source[i + 1] === "*") {
      i = source.indexOf("*/", i + 2) + 1 || source.length;
      continue;
    }
    if (c === "/" && source[i + 1] === "/") {
      i = source.indexOf("\n", i) === -1 ? source.length : source.indexOf("\n", i);
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      depth--;
      if (depth === 0) return c === ")" ? i : -1;
    }
  }
  return -1;
}

function skipString(source: string, start: number): number {
  const quote = source[start];
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === "\\") i++;
    else if (source[i] === quote) return i;
  }
  return source.length;
}
