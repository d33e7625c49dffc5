/**
 * A framed, full-duplex message channel over one TCP connection, used by
 * both ends of the Slurm transport. Frames are those of the subprocess pipe
 * (`src/wire/framing.ts`); writes are serialised so frames never interleave.
 *
 * @module
 */

import { encodeFrame, FrameReader } from "../../wire/framing.ts";

/**
 * Writes every byte of `data`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeAll } from "./connection.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const { port } = listener.addr;
 * const [client, server] = await Promise.all([
 *   Deno.connect({ hostname: "127.0.0.1", port }),
 *   listener.accept(),
 * ]);
 * await writeAll(client, new TextEncoder().encode("hello\n"));
 * const buffer = new Uint8Array(6);
 * let read = 0;
 * while (read < 6) read += (await server.read(buffer.subarray(read))) ?? 0;
 * assert.equal(new TextDecoder().decode(buffer), "hello\n");
 * client.close();
 * server.close();
 * listener.close();
 * ```
 */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let written = 0; written < data.byteLength;) {
    written += await conn.write(data.subarray(written));
  }
}

/**
 * One connection's frames in and out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameConnection } from "./connection.ts";
 * import type { FromRemote, ToRemote } from "./wire.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const { port } = listener.addr;
 * const [a, b] = await Promise.all([Deno.connect({ hostname: "127.0.0.1", port }), listener.accept()]);
 * listener.close();
 * const got: ToRemote[] = [];
 * const pool = new FrameConnection<FromRemote, ToRemote>(a, () => {}, () => {});
 * const worker = new FrameConnection<ToRemote, FromRemote>(b, (m) => got.push(m), () => {});
 * pool.send({ t: "bye" });
 * await pool.flush();
 * pool.close();
 * await worker.closed;
 * assert.deepEqual(got, [{ t: "bye" }]);
 * ```
 */
export class FrameConnection<In, Out> {
  /** Settles once reading has stopped (peer closed, error, or `close()`). */
  readonly closed: Promise<void>;
  readonly #conn: Deno.Conn;
  #writes: Promise<void> = Promise.resolve();
  #open = true;

  /**
   * Starts reading at once; `leftover` are bytes already read past the
   * hello. `onMessage` gets each message; `onClose` is called once.
   */
  constructor(
    conn: Deno.Conn,
    onMessage: (message: In) => void,
    onClose: (why: string) => void,
    leftover?: Uint8Array,
  ) {
    this.#conn = conn;
    this.closed = this.#read(onMessage, leftover).then((why) => {
      this.close();
      onClose(why);
    });
  }

  /** Whether the connection is still open. */
  get open(): boolean {
    return this.#open;
  }

  /** Sends a message; throws for values that cannot be cloned. Lost if the connection is gone. */
  send(message: Out): void {
    const frame = encodeFrame(message);
    if (!this.#open) return;
    this.#writes = this.#writes
      .then(() => this.#open ? writeAll(this.#conn, frame) : undefined)
      .catch(() => this.close());
  }

  /** Waits until the frames sent so far are written (or the connection is gone). */
  flush(): Promise<void> {
    return this.#writes;
  }

  /** Closes the connection; pending reads end and `closed` settles. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }

  async #read(onMessage: (message: In) => void, leftover?: Uint8Array): Promise<string> {
    const reader = new FrameReader();
    const buffer = new Uint8Array(64 * 1024);
    try {
      if (leftover?.byteLength) { for (const m of reader.push(leftover)) onMessage(m as In); }
      while (this.#open) {
        const n = await this.#conn.read(buffer);
        if (n === null) return "the peer closed the connection";
        for (const m of reader.push(buffer.subarray(0, n))) onMessage(m as In);
      }
      return "the connection was closed";
    } catch (error) {
      return this.#open
        ? `the connection failed: ${(error as Error)?.message ?? error}`
        : "the connection was closed";
    }
  }
}
