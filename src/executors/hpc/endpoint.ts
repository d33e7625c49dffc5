/**
 * The scheduler's TCP endpoint: workers dial in and must present the token
 * in their first line; anything else is closed without a word.
 *
 * @module
 */

import { type Hello, MAX_HELLO_BYTES, parseHello } from "../slurm/wire.ts";

/**
 * A connection whose hello carried the right token.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AcceptedWorker, Endpoint } from "./endpoint.ts";
 * const token = crypto.randomUUID();
 * const seen: AcceptedWorker[] = [];
 * const endpoint = Endpoint.open({ hostname: "127.0.0.1", token }, (w) => seen.push(w));
 * await endpoint.close();
 * assert.equal(seen.length, 0); // no worker dialled in
 * ```
 */
export interface AcceptedWorker {
  /** What the worker said about itself. */
  readonly hello: Hello;
  /** The connection, positioned after the hello. */
  readonly conn: Deno.Conn;
  /** Bytes read past the hello's line (the start of the first frames). */
  readonly leftover: Uint8Array;
  /** The peer's address, `host:port`. */
  readonly peer: string;
}

/**
 * How to open an {@linkcode Endpoint}.
 *
 * @example
 * ```ts
 * import type { EndpointOptions } from "./endpoint.ts";
 * const token = crypto.randomUUID();
 * const options: EndpointOptions = { hostname: "0.0.0.0", port: 0, token, helloTimeout: 5_000 };
 * ```
 */
export interface EndpointOptions {
  /** Address to bind, e.g. `"127.0.0.1"` or a host name. */
  readonly hostname: string;
  /** Port to bind (default 0: any free port). */
  readonly port?: number;
  /** The secret each worker must present. */
  readonly token: string;
  /** How long a new connection may take to send its hello, in ms (default 10 000). */
  readonly helloTimeout?: number;
}

/**
 * The listening socket and the handshakes in progress.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Endpoint } from "./endpoint.ts";
 * const token = crypto.randomUUID();
 * const endpoint = Endpoint.open({ hostname: "127.0.0.1", token }, (worker) => worker.conn.close());
 * assert.ok(endpoint.port > 0);
 * await endpoint.close();
 * ```
 */
export class Endpoint {
  /** The bound address. */
  readonly hostname: string;
  /** The bound port. */
  readonly port: number;
  /** Connections refused so far (bad token, malformed hello, or too slow). */
  rejected = 0;
  /** Why the last refused connection was refused. */
  lastRejection?: string;
  readonly #listener: Deno.TcpListener;
  readonly #tokenDigest: Promise<Uint8Array>;
  readonly #helloTimeout: number;
  readonly #pending = new Set<Deno.Conn>();
  readonly #handshakes = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  #closed = false;

  private constructor(
    listener: Deno.TcpListener,
    options: EndpointOptions,
    onWorker: (worker: AcceptedWorker) => void,
  ) {
    this.#listener = listener;
    this.hostname = listener.addr.hostname;
    this.port = listener.addr.port;
    this.#tokenDigest = digest(options.token);
    this.#helloTimeout = options.helloTimeout ?? 10_000;
    this.#accepting = this.#accept(onWorker);
  }

  /** Binds and starts accepting; `onWorker` gets each authenticated worker. */
  static open(options: EndpointOptions, onWorker: (worker: AcceptedWorker) => void): Endpoint {
    if (typeof options.token !== "string" || options.token.length < 16) {
      throw new TypeError("The endpoint's token must be a string of at least 16 characters");
    }
    let listener: Deno.TcpListener;
    try {
      listener = Deno.listen({ hostname: options.hostname, port: options.port ?? 0 });
    } catch (error) {
      throw new Error(
        `Could not listen on ${options.hostname}:${options.port ?? 0} for Slurm workers: ${
          (error as Error).message
        }; set the hostname option to an address of this machine that the cluster can reach`,
      );
    }
    return new Endpoint(listener, options, onWorker);
  }

  /** Stops listening and drops connections still in their handshake. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#listener.close();
      } catch { /* already closed */ }
      for (const conn of this.#pending) closeQuietly(conn);
    }
    await this.#accepting;
    await Promise.all(this.#handshakes);
  }

  async #accept(onWorker: (worker: AcceptedWorker) => void): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch {
        if (this.#closed) return;
        continue; // a connection that failed while being accepted
      }
      if (this.#closed) {
        closeQuietly(conn);
        return;
      }
      const handshake = this.#handshake(conn, onWorker);
      this.#handshakes.add(handshake);
      handshake.finally(() => this.#handshakes.delete(handshake));
    }
  }

  async #handshake(conn: Deno.TcpConn, onWorker: (worker: AcceptedWorker) => void): Promise<void> {
    this.#pending.add(conn);
    const peer = `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`;
    const timer = setTimeout(() => closeQuietly(conn), this.#helloTimeout);
    try {
      const [line, leftover] = await readLine(conn);
      const hello = parseHello(line);
      if (!equal(await digest(hello.token), await this.#tokenDigest)) {
        throw new Error("wrong token");
      }
      if (this.#closed) throw new Error("the endpoint is closing");
      try {
        conn.setKeepAlive(true);
      } catch { /* not fatal: the queue poll also notices dead jobs */ }
      this.#pending.delete(conn);
      onWorker({ hello, conn, leftover, peer });
    } catch (error) {
      this.rejected++;
      this.lastRejection = `${peer}: ${(error as Error)?.message ?? error}`;
      this.#pending.delete(conn);
      closeQuietly(conn);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Reads up to the first `\n`; throws past {@linkcode MAX_HELLO_BYTES} or at end of stream. */
async function readLine(conn: Deno.Conn): Promise<[string, Uint8Array]> {
  const buffer = new Uint8Array(MAX_HELLO_BYTES + 1);
  let length = 0;
  while (length < buffer.byteLength) {
    const n = await conn.read(buffer.subarray(length));
    if (n === null) throw new Error("closed before its hello");
    const newline = buffer.subarray(length, length + n).indexOf(10);
    length += n;
    if (newline >= 0) {
      const end = length - n + newline;
      return [new TextDecoder().decode(buffer.subarray(0, end)), buffer.slice(end + 1, length)];
    }
  }
  throw new Error(`hello longer than ${MAX_HELLO_BYTES} bytes`);
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** Compares digests in constant time, so the token cannot be guessed byte by byte. */
function equal(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}
