/**
 * How the run store keeps values: results as `node:v8` serializations (the
 * encoding the executors use between processes: structured-clone
 * semantics), definitions and inputs as SHA-256 hashes of a canonical form.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { deserialize, serialize } from "node:v8";

/** Serializes a result; throws what the serializer throws for uncloneable values. */
export function encodeValue(value: unknown): Uint8Array {
  return serialize(value);
}

/** The value back from {@linkcode encodeValue}'s bytes. */
export function decodeValue(bytes: Uint8Array): unknown {
  return deserialize(bytes);
}

/** Hex SHA-256 of bytes or text. */
export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * A text that is the same for equal plain data whatever the key order:
 * objects with sorted keys; `undefined`, bigints, dates, maps, sets, typed
 * arrays and functions (by source) spelled out so that none collides with
 * another value.
 */
export function canonical(value: unknown): string {
  const seen = new Set<object>();
  const walk = (v: unknown): string => {
    switch (typeof v) {
      case "undefined":
        return "!u";
      case "bigint":
        return `!n${v}`;
      case "function":
        return `!f${JSON.stringify(Function.prototype.toString.call(v))}`;
      case "symbol":
        return `!s${JSON.stringify(String(v))}`;
      case "number":
        return Number.isFinite(v) ? JSON.stringify(v) : `!${v}`;
      case "string":
      case "boolean":
        return JSON.stringify(v);
    }
    if (v === null) return "null";
    const object = v as object;
    if (seen.has(object)) return "!cycle";
    seen.add(object);
    try {
      if (Array.isArray(object)) return `[${object.map(walk).join(",")}]`;
      if (object instanceof Date) return `!d${object.getTime()}`;
      if (object instanceof Map) {
        return `!m[${[...object].map(([k, x]) => `${walk(k)}:${walk(x)}`).sort().join(",")}]`;
      }
      if (object instanceof Set) return `!S[${[...object].map(walk).sort().join(",")}]`;
      if (ArrayBuffer.isView(object)) {
        const bytes = new Uint8Array(object.buffer, object.byteOffset, object.byteLength);
        return `!b${object.constructor.name}:${sha256(bytes)}`;
      }
      if (object instanceof URL) return `!url${JSON.stringify(object.href)}`;
      const keys = Object.keys(object).sort();
      return `{${
        keys.map((k) => `${JSON.stringify(k)}:${walk((object as Record<string, unknown>)[k])}`)
          .join(",")
      }}`;
    } finally {
      seen.delete(object);
    }
  };
  return walk(value);
}

/** SHA-256 of {@linkcode canonical}`(value)`. */
export function hashOf(value: unknown): string {
  return sha256(canonical(value));
}
