/**
 * Length-prefixed frames over a byte pipe, for the subprocess transport.
 *
 * A frame is an 8-byte header — the magic `BTN1` and the payload length as a
 * big-endian u32 — followed by the payload (a `node:v8` serialization, which
 * has structured-clone semantics). The magic lets the reader notice bytes
 * that are not frames (e.g. something wrote straight to the child's stdout)
 * instead of misreading them as a length.
 *
 * @module
 */

import { deserialize, serialize } from "node:v8";

const MAGIC = 0x42544e31; // "BTN1"
const HEADER = 8;

/** The pipe carried bytes that are not a frame. */
export class FrameError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "FrameError";
  }
}

/**
 * Serializes `message` into one frame. Throws a `DataCloneError` for values
 * that cannot be structured-cloned (functions, symbols…).
 */
export function encodeFrame(message: unknown): Uint8Array {
  let payload: Uint8Array;
  try {
    payload = serialize(message);
  } catch (error) {
    throw new DOMException((error as Error)?.message ?? String(error), "DataCloneError");
  }
  const frame = new Uint8Array(HEADER + payload.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint32(0, MAGIC);
  view.setUint32(4, payload.byteLength);
  frame.set(payload, HEADER);
  return frame;
}

/** Splits a byte stream into messages; feed it chunks in order. */
export class FrameReader {
  // A growable buffer: bytes [start, end) are unread. Growth doubles, so a
  // large message arriving in many chunks is copied a bounded number of times.
  #buffer: Uint8Array = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;

  /** Adds a chunk and returns the messages it completed. Throws {@linkcode FrameError}. */
  push(chunk: Uint8Array): unknown[] {
    this.#append(chunk);
    const messages: unknown[] = [];
    while (this.#end - this.#start >= HEADER) {
      const view = new DataView(this.#buffer.buffer, this.#start, HEADER);
      if (view.getUint32(0) !== MAGIC) {
        const preview = new TextDecoder().decode(
          this.#buffer.subarray(this.#start, Math.min(this.#end, this.#start + 80)),
        );
        throw new FrameError(`unexpected bytes instead of a frame: ${JSON.stringify(preview)}`);
      }
      const end = this.#start + HEADER + view.getUint32(4);
      if (this.#end < end) break;
      // A copy: deserialized typed arrays may be views of the bytes they came from.
      messages.push(deserialize(this.#buffer.slice(this.#start + HEADER, end)));
      this.#start = end;
    }
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return messages;
  }

  #append(chunk: Uint8Array): void {
    if (this.#end + chunk.byteLength > this.#buffer.byteLength) {
      const unread = this.#end - this.#start;
      let capacity = this.#buffer.byteLength;
      while (capacity < unread + chunk.byteLength) capacity *= 2;
      if (capacity === this.#buffer.byteLength) {
        this.#buffer.copyWithin(0, this.#start, this.#end);
      } else {
        const next = new Uint8Array(capacity);
        next.set(this.#buffer.subarray(this.#start, this.#end));
        this.#buffer = next;
      }
      this.#start = 0;
      this.#end = unread;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.byteLength;
  }
}
