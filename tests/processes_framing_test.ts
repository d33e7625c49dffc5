/**
 * The byte framing of the process transport.
 */

import assert from "node:assert/strict";
import { encodeFrame, FrameBatch, FrameError, FrameReader } from "../src/wire/framing.ts";

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

Deno.test("framing: JSON-safe messages and the rest decode to what a structured clone gives", () => {
  const sparse = [1, , 3];
  const named = Object.assign([1, 2], { extra: "kept" });
  const nullProto = Object.assign(Object.create(null), { a: 1 });
  const values: unknown[] = [
    5,
    "text \u{1F600} \ud800",
    true,
    null,
    [1, [2, { a: "b" }]],
    { nested: { deep: [] } },
    -0,
    NaN,
    Infinity,
    undefined,
    [undefined],
    { a: undefined },
    sparse,
    named,
    nullProto,
    new Date(5),
    new Map([[1, 2]]),
    new Set([1]),
    10n,
    new Uint8Array([1, 2]),
    /re/g,
    Array.from({ length: 1000 }, (_, i) => i),
  ];
  for (const value of values) {
    const message = { t: "ok", id: 1, value };
    const [decoded] = new FrameReader().push(encodeFrame(message)) as [{ value: unknown }];
    assert.deepStrictEqual(decoded.value, structuredClone(value), Deno.inspect(value));
  }
  const [withUndefined] = new FrameReader().push(encodeFrame({ t: "ok", id: 2, value: undefined }));
  assert.deepStrictEqual(withUndefined, { t: "ok", id: 2, value: undefined });
});

Deno.test("framing: a proxy or a throwing getter is refused as a structured clone refuses it", () => {
  for (const bad of [new Proxy({}, {}), new Proxy([1], {})]) {
    assert.throws(
      () => encodeFrame({ t: "ok", id: 1, value: bad }),
      (error: Error) => error instanceof DOMException && error.name === "DataCloneError",
    );
  }
  const getter = {
    get x() {
      throw new Error("nope");
    },
  };
  assert.throws(
    () => encodeFrame({ t: "ok", id: 1, value: getter }),
    (error: Error) => error instanceof DOMException && error.name === "DataCloneError",
  );
});

Deno.test("framing: a batch holds many frames in one chunk; a refused one leaves nothing", () => {
  const batch = new FrameBatch(16);
  batch.add({ t: "call", id: 1, args: ["x".repeat(100)] });
  assert.throws(() => batch.add({ t: "call", id: 2, args: [() => 1] }));
  batch.add({ t: "call", id: 3, args: [new Map()] });
  assert.deepEqual(new FrameReader().push(batch.take()), [
    { t: "call", id: 1, args: ["x".repeat(100)] },
    { t: "call", id: 3, args: [new Map()] },
  ]);
  assert.equal(batch.size, 0);
});

Deno.test("framing: calls and answers of primitives go compact and come back exact; other shapes do not", () => {
  const compact = (message: unknown) => new DataView(encodeFrame(message).buffer).getUint32(0);
  const COMPACT = 0x42544e43;
  const sparse: unknown[] = [1, , 3];
  const named = Object.assign([1, 2], { extra: "kept" });
  const cases: Array<[unknown, boolean]> = [
    [
      { t: "call", id: 7, fn: 3, args: [1, -0, NaN, Infinity, -1.5, true, false, null, undefined] },
      true,
    ],
    [{ t: "call", id: 8, fn: 3, args: [] }, true],
    [{ t: "ok", id: 9, value: -0 }, true],
    [{ t: "ok", id: 9, value: NaN }, true],
    [{ t: "ok", id: 9, value: null }, true],
    [{ t: "ok", id: 9, value: false }, true],
    [{ t: "ok", id: 10, value: "text" }, false],
    [{ t: "call", id: 11, fn: 3, args: sparse }, false],
    [{ t: "call", id: 12, fn: 3, args: named }, false],
    [{ t: "call", id: 13, fn: 3, args: [1], comm: true }, false],
    [
      { t: "call", id: 14, fn: { kind: "source", key: 1, name: "f", source: "f" }, args: [1] },
      false,
    ],
    [{ t: "call", id: 15, fn: 3, args: [1n] }, false],
  ];
  for (const [message, expected] of cases) {
    assert.equal(compact(message) === COMPACT, expected, Deno.inspect(message));
    const [decoded] = new FrameReader().push(encodeFrame(message));
    assert.deepStrictEqual(decoded, structuredClone(message), Deno.inspect(message));
  }
  const [holey] = new FrameReader().push(
    encodeFrame({ t: "call", id: 1, fn: 1, args: sparse }),
  ) as [
    { args: unknown[] },
  ];
  assert.ok(!(1 in holey.args), "a hole stays a hole");
});
