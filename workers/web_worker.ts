/**
 * Entry module of a Web Worker in the worker pool.
 *
 * @module
 */

import { createRuntime } from "./runtime.ts";
import type { ToWorker } from "../src/wire/messages.ts";

const scope = self as unknown as {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};
const receive = createRuntime((message) => scope.postMessage(message), {
  announceExit: true,
  captureStdio: true,
});
scope.onmessage = (event) => receive(event.data);
scope.postMessage({ t: "ready" });
