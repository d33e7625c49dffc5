/**
 * Entry module of a subprocess in the process pool. Frames arrive on stdin,
 * or on a Unix socket the parent names (`--baton-socket=`), and leave on
 * stdout (see `src/wire/framing.ts`); stderr is left for diagnostics, and
 * carries what task code prints unless its call captures it. The process
 * exits when its input closes, i.e. when the parent goes away.
 *
 * Writes are batched: answers go into one buffer, written in one
 * `writeSync` when the current task of the event loop ends, and always
 * before the next call starts — so when a call hangs, crashes or is killed,
 * every answer before it has left, and the parent blames the right call.
 * Output and comm frames of a running call leave at once (with what was
 * queued before them), as a call busy in a loop may never yield.
 *
 * The parent starts the child with a `data:` main module that imports this
 * module first, then the modules that hold `remote` functions, then calls
 * {@linkcode ready}.
 *
 * @module
 */

import { createRuntime } from "./runtime.ts";
import { FrameBatch, FrameReader, REVOKE_ARG, SOCKET_ARG } from "../src/wire/framing.ts";
import type { ToWorker } from "../src/wire/messages.ts";

// Task code must not write into the protocol stream: keep stdout for frames
// and point everything that prints at stderr before any task module runs.
const protocol = Deno.stdout;
Object.defineProperty(Deno, "stdout", { value: Deno.stderr, configurable: true });
for (const method of ["log", "info", "debug", "dir", "dirxml", "table"] as const) {
  (console as unknown as Record<string, unknown>)[method] = console.error.bind(console);
}

// Frames come over a Unix socket when the parent made one (read on the event
// loop; stdin is read on a blocking thread, which costs a thread hop per read).
const argument = (prefix: string) =>
  Deno.args.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
const socketPath = argument(SOCKET_ARG);
const input: { read(buffer: Uint8Array): Promise<number | null> } = socketPath
  ? await Deno.connect({ transport: "unix", path: socketPath })
  : Deno.stdin;
// What was granted only to connect is taken back before any call runs.
for (const kind of argument(REVOKE_ARG)?.split(",") ?? []) {
  Deno.permissions.revokeSync(
    kind === "net"
      ? { name: "net", host: `unix:${socketPath}` }
      : { name: kind as "read" | "write", path: socketPath },
  );
}

const batch = new FrameBatch();
let flushQueued = false;

/** Writes every queued frame now (synchronously: frames stay whole and in order). */
function flush(): void {
  flushQueued = false;
  if (batch.size === 0) return;
  const bytes = batch.view();
  for (let written = 0; written < bytes.byteLength;) {
    written += protocol.writeSync(bytes.subarray(written));
  }
  batch.clear();
}

function send(message: { t: string }): void {
  batch.add(message);
  if (message.t === "out" || message.t === "comm") flush();
  else if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flush);
  }
}

// A process's end is its exit status, which the parent sees: no need to announce it.
const receive = createRuntime(send, { captureStdio: true, beforeCall: flush });

/** Tells the parent that every module loaded and calls may come. */
export function ready(): void {
  send({ t: "ready" });
}

async function listen(): Promise<void> {
  const reader = new FrameReader();
  const chunk = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await input.read(chunk);
      if (n === null) break;
      for (const message of reader.push(chunk.subarray(0, n))) receive(message as ToWorker);
    }
  } catch (error) {
    flush();
    console.error(`baton subprocess: ${(error as Error)?.message ?? error}`);
    Deno.exit(70);
  }
  // The input closed: the parent is gone or done with us.
  flush();
  Deno.exit(0);
}

listen();
