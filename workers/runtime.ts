/**
 * The worker side of the protocol, shared by Web Workers and subprocesses:
 * resolves functions, runs calls one at a time in arrival order, answers.
 *
 * @module
 */

import type { FromWorker, FunctionRef, ToWorker } from "../src/executors/protocol.ts";
import { encodeError } from "../src/executors/wire_error.ts";
import { loadFunction } from "../src/executors/rebuild.ts";
import { Comm } from "../src/comm/comm.ts";

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => any;

interface Pending {
  id: number;
  fn: FunctionRef | number;
  args: readonly unknown[];
  comm?: true;
}

/** What a task function sees as `this`; the controller is only made when asked for. */
class Context {
  controller?: AbortController;
  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }
}

/** Answers are sent through `post`, which may throw for values that cannot be cloned. */
export type Post = (message: FromWorker) => void;

/** Creates the runtime; feed it every message from the main side. */
export function createRuntime(post: Post): (message: ToWorker) => void {
  const functions = new Map<number, { fn: AnyFunction; ref: FunctionRef }>();
  const queue: Pending[] = [];
  const comms = new Map<number, Comm>();
  let running: { id: number; context: Context } | undefined;

  function answer(id: number, ok: boolean, outcome: unknown, ref: FunctionRef | undefined): void {
    running = undefined;
    // The channel closes before the result is sent, so its frames come first.
    comms.get(id)?.close();
    comms.delete(id);
    if (ok) {
      try {
        post({ t: "ok", id, value: outcome });
        return;
      } catch (error) {
        outcome = new DOMException(
          `The result of ${ref?.name || "the task"} could not be sent back: ${
            (error as Error).message
          }`,
          "DataCloneError",
        );
      }
    } else if (ref?.kind === "source") outcome = explainScopeError(outcome, ref.name);
    post({ t: "err", id, error: encodeError(outcome) });
  }

  /** Runs queued calls; synchronous results are answered without leaving the loop. */
  function runQueued(): void {
    while (queue.length > 0 && !running) {
      const { id, fn: wanted, args, comm } = queue.shift()!;
      const known = typeof wanted === "number" ? functions.get(wanted) : functions.get(wanted.key);
      const context = new Context();
      running = { id, context };
      if (!known) {
        if (typeof wanted === "number") {
          answer(id, false, new Error(`The worker does not know function #${wanted}`), undefined);
          continue;
        }
        loadFunction(wanted).then(
          (fn) => {
            functions.set(wanted.key, { fn, ref: wanted });
            queue.unshift({ id, fn: wanted.key, args, comm });
            running = undefined;
            runQueued();
          },
          (error) => {
            answer(id, false, error, wanted);
            runQueued();
          },
        );
        return;
      }
      let callArgs = args as unknown[];
      if (comm) {
        const channel = new Comm((frame) => post({ t: "comm", id, frame }));
        comms.set(id, channel);
        callArgs = [channel, ...callArgs];
      }
      let result: unknown;
      try {
        result = known.fn.apply(context, callArgs);
      } catch (error) {
        answer(id, false, error, known.ref);
        continue;
      }
      if (result instanceof Promise) {
        result.then(
          (value) => answer(id, true, value, known.ref),
          (error) => answer(id, false, error, known.ref),
        ).then(runQueued);
        return;
      }
      answer(id, true, result, known.ref);
    }
  }

  return (message) => {
    switch (message.t) {
      case "call":
        queue.push(message);
        if (!running) runQueued();
        break;
      case "comm":
        comms.get(message.id)?.receive(message.frame);
        break;
      case "cancel":
      case "steal": {
        const index = queue.findIndex((p) => p.id === message.id);
        if (index >= 0) {
          queue.splice(index, 1);
          post({ t: "dropped", id: message.id });
        } else if (message.t === "cancel" && running?.id === message.id) {
          const context = running.context;
          (context.controller ??= new AbortController()).abort(
            new DOMException("The call was cancelled", "AbortError"),
          );
        }
        break;
      }
    }
  };
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
