/**
 * Output of code that runs in the main thread, told apart by job: an async
 * scope names where `console.*` output goes while a job's code runs, and a
 * console patch (installed only while someone captures) routes it there.
 * Main-thread executors carry the scope from `submit()` to the call.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { format } from "node:util";

/** Which stream a piece of output was written to. */
export type OutputStream = "stdout" | "stderr";

/**
 * Where the console output of the code running in a scope goes.
 *
 * @example
 * ```ts ignore
 * const scope: OutputScope = { write: (text, stream) => log.push([stream, text]) };
 * ```
 */
export interface OutputScope {
  /** Receives one `console.*` call's text, newline included. */
  write(text: string, stream: OutputStream): void;
}

/** The scope of the code running now, if any (async-context local). */
export const outputScope: AsyncLocalStorage<OutputScope> = new AsyncLocalStorage<OutputScope>();

const STREAMS = {
  log: "stdout",
  info: "stdout",
  debug: "stdout",
  dir: "stdout",
  warn: "stderr",
  error: "stderr",
} as const;

type Method = keyof typeof STREAMS;

let captures = 0;
let originals: Partial<Record<Method, (...args: unknown[]) => void>> = {};

function text(method: Method, args: unknown[]): string {
  if (method === "dir") return `${Deno.inspect(args[0], { colors: false })}\n`;
  return `${format(...args)}\n`;
}

/**
 * Routes `console.log/info/debug/dir/warn/error` of code running inside an
 * {@linkcode outputScope} to that scope; everything else reaches the
 * console as before. Counted: the patch is removed when every capture
 * has been released. Returns the release function.
 *
 * @example
 * ```ts ignore
 * const seen: string[] = [];
 * const release = captureConsole();
 * outputScope.run({ write: (text) => seen.push(text) }, () => console.log("hi", 1));
 * release();
 * // seen: ["hi 1\n"]
 * ```
 */
export function captureConsole(): () => void {
  if (captures++ === 0) {
    originals = {};
    for (const method of Object.keys(STREAMS) as Method[]) {
      const original = console[method] as (...args: unknown[]) => void;
      originals[method] = original;
      console[method] = function (this: unknown, ...args: unknown[]) {
        const scope = outputScope.getStore();
        if (scope) scope.write(text(method, args), STREAMS[method]);
        else original.apply(this, args);
      };
    }
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--captures > 0) return;
    for (const [method, original] of Object.entries(originals)) {
      console[method as Method] = original;
    }
    originals = {};
  };
}

/** Writes `text` where the console would have, bypassing the capture. */
export function writeToConsole(text: string, stream: OutputStream): void {
  const method = stream === "stdout" ? "log" : "error";
  const original = originals[method] ?? console[method];
  original.call(console, text.endsWith("\n") ? text.slice(0, -1) : text);
}
