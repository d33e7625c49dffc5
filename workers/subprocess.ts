/**
 * Entry module of a subprocess in the process pool. Frames arrive on stdin
 * and leave on stdout (see `src/wire/framing.ts`); stderr is left for
 * diagnostics, and carries what task code prints unless its call captures it. The process exits when stdin closes, i.e. when the parent
 * goes away.
 *
 * The parent starts the child with a `data:` main module that imports this
 * module first, then the modules that hold `remote` functions, then calls
 * {@linkcode ready}.
 *
 * @module
 */

import { createRuntime } from "./runtime.ts";
import { encodeFrame, FrameReader } from "../src/wire/framing.ts";
import type { ToWorker } from "../src/wire/messages.ts";

// Task code must not write into the protocol stream: keep stdout for frames
// and point everything that prints at stderr before any task module runs.
const protocol = Deno.stdout;
Object.defineProperty(Deno, "stdout", { value: Deno.stderr, configurable: true });
for (const method of ["log", "info", "debug", "dir", "dirxml", "table"] as const) {
  (console as unknown as Record<string, unknown>)[method] = console.error.bind(console);
}

function send(message: unknown): void {
  const frame = encodeFrame(message);
  // Synchronous writes keep frames whole and in order; the parent always reads.
  for (let written = 0; written < frame.byteLength;) {
    written += protocol.writeSync(frame.subarray(written));
  }
}

// A process's end is its exit status, which the parent sees: no need to announce it.
const receive = createRuntime(send, { captureStdio: true });

/** Tells the parent that every module loaded and calls may come. */
export function ready(): void {
  send({ t: "ready" });
}

async function listen(): Promise<void> {
  const reader = new FrameReader();
  try {
    for await (const chunk of Deno.stdin.readable) {
      for (const message of reader.push(chunk)) receive(message as ToWorker);
    }
  } catch (error) {
    console.error(`baton subprocess: ${(error as Error)?.message ?? error}`);
    Deno.exit(70);
  }
  // stdin closed: the parent is gone or done with us.
  Deno.exit(0);
}

listen();
