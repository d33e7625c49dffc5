/**
 * Entry module of a Web Worker in the worker pool.
 *
 * @module
 */

import { createRuntime } from "./runtime.ts";
import type { CallTuple, FromWorker, ResultTuple, ToWorker } from "../src/wire/messages.ts";

const scope = self as unknown as {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent<ToWorker | CallTuple>) => void) | null;
  close(): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
};
// The real close: the runtime's wrapper would also announce "self.close()".
const close = scope.close.bind(scope);
const receive = createRuntime((message) => scope.postMessage(message), {
  announceExit: true,
  captureStdio: true,
  // Answers go back in the compact form: the pool's worker transport reads both.
  postResult: (id, value) => scope.postMessage([id, value] satisfies ResultTuple),
});
scope.onmessage = (event) => receive(event.data);

// An error that escapes a task (thrown in a timer, a rejection nobody awaits)
// ends this worker. Handled here, it reaches the pool as this worker ending
// itself, naming the error; unhandled, Deno would also print it with its
// stack as "Uncaught (in worker)", though the call already reports it.
let ending = false;
const end = (what: string) => {
  if (ending) return;
  ending = true;
  const message: FromWorker = { t: "exit", how: what };
  try {
    scope.postMessage(message);
  } catch { /* the main side is gone */ }
  close();
};
scope.addEventListener("error", (event) => {
  event.preventDefault();
  const error = (event as ErrorEvent).error;
  end(`an uncaught error (${error instanceof Error ? `${error.name}: ${error.message}` : error})`);
});
scope.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  const reason = (event as PromiseRejectionEvent).reason;
  end(
    `an unhandled rejection (${
      reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason)
    })`,
  );
});
scope.postMessage({ t: "ready" });
