/**
 * The byte framing of the process transport.
 */

import assert from "node:assert/strict";
import { encodeFrame, FrameError, FrameReader } from "../src/wire/framing.ts";

Deno.test("framing: messages survive any split into chunks, with structured-clone types", () => {
  const messages = [
    { t: "call", id: 1, args: [new Map([[1, "a"]]), new Date(0), 10n, new Uint8Array([1, 2])] },
    { t: "ok", id: 1, value: "x".repeat(200_000) },
    { t: "err", id: 2, error: { name: "TypeError", message: "bad" } },
  ];
  const bytes = new Uint8Array(messages.flatMap((m) => [...encodeFrame(m)]));
  for (const size of [1, 7, 8, 9, 1000, bytes.length]) {
    const reader = new FrameReader();
    const out: unknown[] = [];
    for (let i = 0; i < bytes.length; i += size) out.push(...reader.push(bytes.slice(i, i + size)));
    assert.deepEqual(out, messages, `chunks of ${size}`);
  }
});

Deno.test("framing: bytes that are not a frame are reported, not misread as a length", () => {
  const reader = new FrameReader();
  assert.throws(
    () => reader.push(new TextEncoder().encode("hello from console.log\n")),
    (error: Error) => error instanceof FrameError && /hello from console\.log/.test(error.message),
  );
});

Deno.test("framing: a value that cannot be cloned throws DataCloneError", () => {
  assert.throws(
    () => encodeFrame({ fn: () => 1 }),
    (error: Error) => error instanceof DOMException && error.name === "DataCloneError",
  );
});
