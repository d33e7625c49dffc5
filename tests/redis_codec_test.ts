/**
 * What travels through Redis comes back as a structured clone would: values
 * JSON carries exactly go as JSON, every other value as V8 serialization,
 * and both forms decode. Runs anywhere.
 */
import assert from "node:assert/strict";
import { decodeValue, encodeValue } from "../src/executors/redis/codec.ts";

const asJson = (value: unknown) => encodeValue(value).startsWith("j:");

Deno.test("redis codec: JSON-exact values go as JSON and come back equal", () => {
  const values: unknown[] = [
    0,
    41,
    1.5,
    -7,
    "",
    "text with \u2028 and a lone \ud800 surrogate",
    true,
    null,
    [],
    [1, "two", [3, { four: 4 }]],
    { a: 1, nested: { list: [null, false] }, ["__proto__"]: 2, 10: "ten" },
    Object.assign(Object.create(null), { bare: true }),
  ];
  for (const value of values) {
    assert.ok(asJson(value), `as JSON: ${Deno.inspect(value)}`);
    assert.deepStrictEqual(decodeValue(encodeValue(value)), structuredClone(value));
  }
});

Deno.test("redis codec: values JSON would change go as V8 serialization, exactly", () => {
  const shared = { s: 1 };
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;
  const extra = Object.assign([1, 2], { label: "kept" });
  const values: unknown[] = [
    undefined,
    -0,
    NaN,
    Infinity,
    10n,
    [1, undefined],
    // deno-lint-ignore no-sparse-arrays
    [1, , 3],
    { missing: undefined },
    extra,
    { a: shared, b: shared },
    cyclic,
    new Date(0),
    new Map([[1, 2]]),
    new Set(["x"]),
    new Uint8Array([1, 2]),
    /re/g,
    new Error("boom"),
    Array.from({ length: 300 }, (_, i) => i),
  ];
  for (const value of values) {
    assert.ok(!asJson(value), `not as JSON: ${Deno.inspect(value)}`);
    assert.deepStrictEqual(decodeValue(encodeValue(value)), structuredClone(value));
  }
  const back = decodeValue(encodeValue({ a: shared, b: shared })) as { a: object; b: object };
  assert.equal(back.a, back.b);
  const loop = decodeValue(encodeValue(cyclic)) as Record<string, unknown>;
  assert.equal(loop.self, loop);
});

Deno.test("redis codec: what cannot be cloned throws, as before", () => {
  assert.throws(() => encodeValue({ f: () => 1 }), /could not be cloned/);
  assert.throws(() => encodeValue([Symbol("s")]), /could not be cloned/);
});
