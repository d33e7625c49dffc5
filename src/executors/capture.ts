/**
 * Per-call output capture on the compute side: while a call made with
 * `output: "capture"` (or `"discard"`) runs, what it prints goes to that
 * call's sink instead of the terminal. Attribution follows the call's async
 * context (`AsyncLocalStorage`), so output from a timer a call left behind
 * is still its own, and another call's output is never mixed in.
 *
 * Nothing is patched until the first such call: programs that never
 * capture pay nothing.
 *
 * @module
 */

import type { OutputStream } from "../wire/messages.ts";

/** Where a call's output goes. */
export type OutputSink = (text: string, stream: OutputStream) => void;

interface Storage {
  run<T>(store: OutputSink, fn: () => T): T;
  exit<T>(fn: () => T): T;
  getStore(): OutputSink | undefined;
}

/** Console methods whose output is captured, and the stream each writes to. */
const METHODS: ReadonlyArray<readonly [string, OutputStream]> = [
  ["log", "stdout"],
  ["info", "stdout"],
  ["debug", "stdout"],
  ["dir", "stdout"],
  ["dirxml", "stdout"],
  ["warn", "stderr"],
  ["error", "stderr"],
  ["trace", "stderr"],
  ["assert", "stderr"],
];

let storage: Storage | undefined;
let loading: Promise<void> | undefined;

/**
 * Makes {@linkcode runCapturing} usable: loads `AsyncLocalStorage` and wraps
 * the console (and, with `stdio`, `Deno.stdout`/`Deno.stderr`) once.
 * Returns `undefined` when that is done already, so the caller can go on
 * without waiting.
 */
export function prepareCapture(options: { stdio: boolean }): Promise<void> | undefined {
  if (storage) return undefined;
  loading ??= import("node:async_hooks").then(({ AsyncLocalStorage }) => {
    const store = new AsyncLocalStorage<OutputSink>() as Storage;
    wrapConsole(store);
    if (options.stdio) wrapStdio(store);
    storage = store;
  });
  return loading;
}

/**
 * The sink of the code running now (the innermost {@linkcode runCapturing}),
 * if any: lets an owner tell whose scope a submission came from.
 */
export function currentSink(): OutputSink | undefined {
  return storage?.getStore();
}

/** Prints `text` on the terminal as the console would, outside any capturing scope. */
export function writeToConsole(text: string, stream: OutputStream): void {
  const line = text.endsWith("\n") ? text.slice(0, -1) : text;
  const print = () => stream === "stdout" ? console.log(line) : console.error(line);
  if (storage) storage.exit(print);
  else print();
}

/** Runs `fn` with its output (and that of everything it starts) going to `sink`. */
export function runCapturing<T>(sink: OutputSink, fn: () => T): T {
  if (!storage) throw new Error("prepareCapture() must finish before runCapturing()");
  return storage.run(sink, fn);
}

function wrapConsole(store: Storage): void {
  const target = console as unknown as Record<string, (...args: unknown[]) => void>;
  for (const [method, stream] of METHODS) {
    const original = target[method];
    if (typeof original !== "function") continue;
    target[method] = function (this: unknown, ...args: unknown[]) {
      const sink = store.getStore();
      if (!sink) return original.apply(this, args);
      const text = consoleText(method, args);
      // The sink may print itself (an event handler): outside the call's context.
      if (text !== undefined) store.exit(() => sink(text, stream));
    };
  }
}

function wrapStdio(store: Storage): void {
  for (const [name, stream] of [["stdout", "stdout"], ["stderr", "stderr"]] as const) {
    const real = Deno[name];
    const decoder = new TextDecoder();
    const emit = (bytes: Uint8Array): boolean => {
      const sink = store.getStore();
      if (!sink) return false;
      const text = decoder.decode(bytes, { stream: true });
      if (text) store.exit(() => sink(text, stream));
      return true;
    };
    const wrapper = {
      write: (bytes: Uint8Array) =>
        emit(bytes) ? Promise.resolve(bytes.byteLength) : real.write(bytes),
      writeSync: (bytes: Uint8Array) => emit(bytes) ? bytes.byteLength : real.writeSync(bytes),
      get writable() {
        return new WritableStream<Uint8Array>({
          write: async (chunk) => {
            for (let done = 0; done < chunk.byteLength;) {
              done += await wrapper.write(chunk.subarray(done));
            }
          },
        });
      },
      isTerminal: () => real.isTerminal(),
      close: () => real.close(),
      [Symbol.dispose]: () => real.close(),
    };
    Object.defineProperty(Deno, name, { value: wrapper, configurable: true });
  }
}

/** What a console method would print, as plain text with its newline (`undefined`: nothing). */
function consoleText(method: string, args: unknown[]): string | undefined {
  switch (method) {
    case "assert": {
      if (args[0]) return undefined;
      const rest = args.slice(1);
      return rest.length ? `Assertion failed: ${format(rest)}\n` : "Assertion failed\n";
    }
    case "trace": {
      const stack = new Error().stack?.split("\n").slice(3).join("\n") ?? "";
      return `Trace${args.length ? `: ${format(args)}` : ""}\n${stack}\n`;
    }
    case "dir":
    case "dirxml":
      return `${args.map((a) => inspect(a)).join(" ")}\n`;
    default:
      return `${format(args)}\n`;
  }
}

/** console's printf-like formatting: `%s %d %i %f %o %O %j %c %%`, then the rest joined by spaces. */
export function format(args: readonly unknown[]): string {
  if (args.length === 0) return "";
  const [first, ...rest] = args;
  let text: string;
  if (typeof first === "string" && rest.length > 0 && first.includes("%")) {
    text = first.replace(/%([sdifoOjc%])/g, (match, code: string) => {
      if (code === "%") return "%";
      if (rest.length === 0) return match;
      const value = rest.shift();
      switch (code) {
        case "s":
          return typeof value === "string" ? value : inspect(value);
        case "d":
        case "i":
          return typeof value === "bigint" ? `${value}n` : String(Math.trunc(Number(value)));
        case "f":
          return String(Number(value));
        case "c":
          return "";
        default:
          return inspect(value);
      }
    });
  } else text = typeof first === "string" ? first : inspect(first);
  for (const value of rest) text += ` ${typeof value === "string" ? value : inspect(value)}`;
  return text;
}

function inspect(value: unknown): string {
  try {
    return Deno.inspect(value, { colors: false });
  } catch {
    return String(value);
  }
}
