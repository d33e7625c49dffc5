/**
 * A reader of a BullMQ queue's event stream that notices when it missed
 * events. BullMQ trims the stream to a maximum length; a scheduler that
 * falls further behind (a burst of ten thousand jobs, a long synchronous
 * callback) would never hear of some outcomes. Before each read this
 * checks, in the same transaction, that the last event it read is still
 * in the stream: trimming removes the oldest entries first, so if that one
 * is there, nothing after it is gone; if it is not, `onGap` asks Redis for
 * the outcomes instead.
 *
 * @module
 */

import type { RedisClient } from "./npm_types.ts";

/** One event of the stream: its name and fields, e.g. `completed` with `jobId` and `returnvalue`. */
export type StreamEvent = Readonly<Record<string, string>>;

/** Entries read at most per round trip. */
const BATCH = 1_000;
/** How long a blocking read waits before it checks again, in ms. */
const BLOCK_MS = 5_000;

type Entries = [id: string, fields: string[]][];

/**
 * Reads `key` from `after` (an entry id; `"0-0"` for the start) on its own
 * connection, which it blocks.
 *
 * @example
 * ```ts ignore
 * // needs a Redis server
 * const reader = new EventReader(new Redis(options), "bull:jobs:events", lastId, {
 *   event: (e) => console.log(e.event, e.jobId),
 *   gap: () => console.log("missed some: reconcile"),
 * });
 * await reader.close();
 * ```
 */
export class EventReader {
  /** Times events were found missing. */
  gaps = 0;
  readonly #redis: RedisClient;
  readonly #key: string;
  readonly #handlers: { event(event: StreamEvent): void; gap(): void };
  readonly #loop: Promise<void>;
  #after: string;
  #closing = false;

  /** Starts reading at once. */
  constructor(
    redis: RedisClient,
    key: string,
    after: string,
    handlers: { event(event: StreamEvent): void; gap(): void },
  ) {
    this.#redis = redis;
    this.#key = key;
    this.#after = after;
    this.#handlers = handlers;
    this.#loop = this.#read();
  }

  /** Stops reading and closes the connection. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#redis.disconnect();
    await this.#loop;
  }

  async #read(): Promise<void> {
    while (!this.#closing) {
      try {
        const after = this.#after;
        const replies = await this.#redis.multi()
          .xrange(this.#key, after, after)
          .xread("COUNT", BATCH, "STREAMS", this.#key, after)
          .exec();
        if (this.#closing) return;
        const [[, kept], [, ready]] = replies as [[unknown, unknown[]], [unknown, unknown]];
        if (after !== "0-0" && kept.length === 0) {
          this.gaps++;
          this.#handlers.gap();
        }
        let entries = entriesOf(ready);
        if (entries.length === 0) {
          const blocked = await this.#redis.xread(
            "COUNT",
            BATCH,
            "BLOCK",
            BLOCK_MS,
            "STREAMS",
            this.#key,
            after,
          );
          if (this.#closing) return;
          entries = entriesOf(blocked);
        }
        for (const [id, fields] of entries) {
          this.#after = id;
          const event: Record<string, string> = {};
          for (let i = 0; i + 1 < fields.length; i += 2) event[fields[i]] = fields[i + 1];
          this.#handlers.event(event);
        }
      } catch {
        if (this.#closing) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}

function entriesOf(reply: unknown): Entries {
  const streams = reply as [key: string, entries: Entries][] | null;
  return streams?.[0]?.[1] ?? [];
}
