/**
 * The worker side of the protocol, shared by Web Workers and subprocesses:
 * resolves functions, runs calls one at a time in arrival order, answers.
 *
 * @module
 */

import type { FromWorker, FunctionRef, ToWorker } from "../src/executors/protocol.ts";
import { encodeError } from "../src/executors/wire_error.ts";
import { lookupRemote } from "../src/executors/remote.ts";

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => any;

interface Pending {
  id: number;
  fn: FunctionRef;
  args: readonly unknown[];
}

/** Answers are sent through `post`, which may throw for values that cannot be cloned. */
export type Post = (message: FromWorker) => void;

/** Creates the runtime; feed it every message from the main side. */
export function createRuntime(post: Post): (message: ToWorker) => void {
  const functions = new Map<number, AnyFunction | Promise<AnyFunction>>();
  const queue: Pending[] = [];
  let running: { id: number; controller: AbortController } | undefined;

  async function resolve(ref: FunctionRef): Promise<AnyFunction> {
    const known = functions.get(ref.key);
    if (known) return known;
    const loading = ref.kind === "module" ? importRemote(ref.url, ref.name) : compile(ref);
    functions.set(ref.key, loading);
    try {
      const fn = await loading;
      functions.set(ref.key, fn);
      return fn;
    } catch (error) {
      functions.delete(ref.key);
      throw error;
    }
  }

  function answer(id: number, ok: boolean, outcome: unknown, fnName: string): void {
    if (ok) {
      try {
        post({ t: "ok", id, value: outcome });
        return;
      } catch (error) {
        outcome = new DOMException(
          `The result of ${fnName || "the task"} could not be sent back: ${
            (error as Error).message
          }`,
          "DataCloneError",
        );
      }
    }
    post({ t: "err", id, error: encodeError(outcome) });
  }

  async function pump(): Promise<void> {
    while (queue.length > 0) {
      const { id, fn: ref, args } = queue.shift()!;
      const controller = new AbortController();
      running = { id, controller };
      let ok = true;
      let outcome: unknown;
      try {
        const fn = await resolve(ref);
        outcome = await fn.apply({ signal: controller.signal }, args as unknown[]);
      } catch (error) {
        ok = false;
        outcome = ref.kind === "source" ? explainScopeError(error, ref.name) : error;
      }
      running = undefined;
      answer(id, ok, outcome, ref.name);
    }
  }

  return (message) => {
    switch (message.t) {
      case "call":
        queue.push(message);
        if (queue.length === 1 && !running) pump();
        break;
      case "cancel":
      case "steal": {
        const index = queue.findIndex((p) => p.id === message.id);
        if (index >= 0) {
          queue.splice(index, 1);
          post({ t: "dropped", id: message.id });
        } else if (message.t === "cancel" && running?.id === message.id) {
          running.controller.abort(new DOMException("The call was cancelled", "AbortError"));
        }
        break;
      }
    }
  };
}

async function importRemote(url: string, name: string): Promise<AnyFunction> {
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

function compile(ref: FunctionRef & { kind: "source" }): AnyFunction {
  const source = ref.source;
  if (source === undefined) throw new Error(`The worker never received ${ref.name}'s source`);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new TypeError(
      `${ref.name || "This function"} is native or bound and cannot be shipped by source; ` +
        `wrap it in a plain function, or mark a module function with remote(import.meta.url, fn)`,
    );
  }
  // Built with the global scope only, so a read of the defining scope fails loudly.
  for (
    const candidate of [
      source,
      `function ${source}`,
      source.replace(/^async\s+/, "async function "),
    ]
  ) {
    try {
      const fn = new Function(`return (${candidate});`)();
      if (typeof fn === "function") return fn;
    } catch { /* try the next form (method shorthand) */ }
  }
  throw new SyntaxError(`Could not rebuild ${ref.name || "the function"} from its source`);
}

function explainScopeError(error: unknown, fnName: string): unknown {
  if (!(error instanceof ReferenceError)) return error;
  const missing = /^(\S+) is not defined/.exec(error.message)?.[1];
  if (!missing) return error;
  const explained = new ReferenceError(
    `${missing} is not defined in the worker: ${fnName || "the function"} was shipped by its ` +
      `source, so it cannot read variables of the scope it was written in. Pass ${missing} as an ` +
      `argument, import it inside the function with await import(...), or define the function in ` +
      `a module and export it as remote(import.meta.url, ${fnName || "fn"}).`,
  );
  explained.stack = `${explained.name}: ${explained.message}\n${
    error.stack?.split("\n").slice(1).join("\n") ?? ""
  }`;
  return explained;
}
