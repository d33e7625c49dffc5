/**
 * The worker side of the protocol, shared by Web Workers and subprocesses:
 * resolves functions, runs calls one at a time in arrival order, answers,
 * and captures a call's output when asked to.
 *
 * @module
 */

import type {
  CallTuple,
  FromWorker,
  FunctionRef,
  OutputMode,
  ToWorker,
} from "../src/wire/messages.ts";
import { decodeError, encodeError } from "../src/wire/codec.ts";
import { CancelledError } from "../src/wire/errors.ts";
import { loadFunction } from "../src/executors/rebuild.ts";
import { type OutputSink, prepareCapture, runCapturing } from "../src/executors/capture.ts";
import { CommChannel } from "../src/comm/channel.ts";

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => any;

interface Pending {
  id: number;
  fn: FunctionRef | number;
  args: readonly unknown[];
  comm?: true;
  output?: OutputMode;
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

/** How the runtime behaves where it runs. */
export interface RuntimeOptions {
  /**
   * Tell the main side before `Deno.exit()` or `self.close()` end this
   * worker (a Web Worker's end is otherwise invisible to its parent).
   */
  announceExit?: boolean;
  /** Capture writes to `Deno.stdout`/`Deno.stderr` too, not only the console. */
  captureStdio?: boolean;
  /**
   * Called just before each call starts, e.g. to write out answers a
   * transport batches: a call that never returns must not hold them back.
   */
  beforeCall?: () => void;
  /**
   * Sends a successful answer in its compact form (`[id, value]`, see
   * `ResultTuple`) instead of `post({ t: "ok", id, value })`; throws, like
   * `post`, for a value that cannot be cloned.
   */
  postResult?: (id: number, value: unknown) => void;
}

const discard: OutputSink = () => {};

/**
 * Creates the runtime; feed it every message from the main side (a call may
 * come in its compact form, a `CallTuple`).
 */
export function createRuntime(
  post: Post,
  options: RuntimeOptions = {},
): (message: ToWorker | CallTuple) => void {
  const postResult = options.postResult ??
    ((id: number, value: unknown) => post({ t: "ok", id, value }));
  const functions = new Map<number, { fn: AnyFunction; ref: FunctionRef }>();
  const queue: Pending[] = [];
  const comms = new Map<number, CommChannel>();
  /** The context of the call that runs, and its id (two variables: no object per call). */
  let running: Context | undefined;
  let runningId = 0;
  /** Set while something the next call needs is loading. */
  let waiting = false;

  if (options.announceExit) announceExit(post);

  function answer(id: number, ok: boolean, outcome: unknown, ref: FunctionRef | undefined): void {
    running = undefined;
    // The channel closes before the result is sent, so its frames come first.
    if (comms.size > 0) {
      comms.get(id)?.close();
      comms.delete(id);
    }
    if (ok) {
      try {
        postResult(id, outcome);
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
    try {
      post({ t: "err", id, error: encodeError(outcome) });
    } catch (error) {
      // Every field was checked, but a getter may answer differently twice.
      post({ t: "err", id, error: encodeError(new Error(`${describe(outcome)} (${error})`)) });
    }
  }

  /** Waits for `promise`, then goes on with the queue. */
  function after(promise: Promise<unknown>): void {
    waiting = true;
    promise.finally(() => {
      waiting = false;
      runQueued();
    });
  }

  /** Runs queued calls; synchronous results are answered without leaving the loop. */
  function runQueued(): void {
    while (queue.length > 0 && !running && !waiting) {
      const call = queue[0];
      const { id, fn: wanted } = call;
      const known = typeof wanted === "number" ? functions.get(wanted) : functions.get(wanted.key);
      if (!known && typeof wanted === "number") {
        queue.shift();
        answer(id, false, new Error(`The worker does not know function #${wanted}`), undefined);
        continue;
      }
      if (!known) {
        const ref = wanted as FunctionRef;
        after(
          loadFunction(ref).then(
            (fn) => void functions.set(ref.key, { fn, ref }),
            (error) => {
              queue.shift();
              answer(id, false, error, ref);
            },
          ),
        );
        return;
      }
      if (call.output) {
        const loading = prepareCapture({ stdio: options.captureStdio ?? false });
        if (loading) return after(loading);
      }
      queue.shift();
      start(call, known);
    }
  }

  function start(call: Pending, known: { fn: AnyFunction; ref: FunctionRef }): void {
    options.beforeCall?.();
    const { id } = call;
    const context = new Context();
    running = context;
    runningId = id;
    let args = call.args as unknown[];
    if (call.comm) {
      const channel = new CommChannel((frame) => post({ t: "comm", id, frame }));
      comms.set(id, channel);
      args = [channel, ...args];
    }
    let result: unknown;
    try {
      result = call.output
        ? runCapturing(
          call.output === "capture"
            ? (text, stream) => post({ t: "out", id, text, stream })
            : discard,
          () => known.fn.apply(context, args),
        )
        : known.fn.apply(context, args);
    } catch (error) {
      answer(id, false, error, known.ref);
      return;
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

  return (message) => {
    if (Array.isArray(message)) {
      const [id, fn, args] = message as CallTuple;
      queue.push({ id, fn, args });
      if (!running) runQueued();
      return;
    }
    message = message as ToWorker;
    switch (message.t) {
      case "call":
        queue.push(message);
        if (!running) runQueued();
        break;
      case "comm":
        comms.get(message.id)?.receive(message.frame);
        break;
      case "ping":
        post({ t: "pong" });
        break;
      case "cancel":
      case "steal": {
        const index = queue.findIndex((p) => p.id === message.id);
        // The head of the queue may be the call whose function is loading.
        if (index > 0 || (index === 0 && !waiting)) {
          queue.splice(index, 1);
          post({ t: "dropped", id: message.id });
        } else if (message.t === "cancel" && running && runningId === message.id) {
          const reason = message.reason
            ? decodeError(message.reason)
            : new CancelledError(message.id);
          (running.controller ??= new AbortController()).abort(reason);
        }
        break;
      }
    }
  };
}

/** `Deno.exit()` and `self.close()` first tell the main side, which otherwise never learns of it. */
function announceExit(post: Post): void {
  const exit = Deno.exit;
  Object.defineProperty(Deno, "exit", {
    value: function (code?: number): never {
      try {
        post({ t: "exit", code: code ?? 0, how: `Deno.exit(${code ?? ""})` });
      } catch { /* the main side is gone */ }
      return exit(code);
    },
    configurable: true,
    writable: true,
  });
  const scope = globalThis as unknown as { close?: () => void };
  const close = scope.close;
  if (typeof close !== "function") return;
  scope.close = function () {
    try {
      post({ t: "exit", how: "self.close()" });
    } catch { /* the main side is gone */ }
    close.call(globalThis);
  };
}

function describe(value: unknown): string {
  try {
    return value instanceof Error ? `${value.name}: ${value.message}` : typeof value;
  } catch {
    return "an error";
  }
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
