/**
 * A worker's lock keeper: a thread of its own that renews the locks of the
 * jobs the worker runs, so that a job's lock can be short (a dead worker's
 * jobs move on within seconds) and still never expire while the worker is
 * alive — even when its event loop is blocked for longer than the lock
 * (a synchronous call, a long GC pause). When the process dies, the thread
 * dies with it and the locks expire.
 *
 * @module
 */

import type { RedisConnection } from "./connection.ts";

const ENTRY = new URL("../../../workers/redis_heartbeat.ts", import.meta.url);

/**
 * What the heartbeat thread needs to renew a queue's locks the way BullMQ
 * takes them.
 *
 * @example
 * ```ts
 * import type { HeartbeatSettings } from "./heartbeat.ts";
 * const settings: HeartbeatSettings = {
 *   connection: "redis://127.0.0.1:6379",
 *   lockPrefix: "bull:jobs:",
 *   stalledKey: "bull:jobs:stalled",
 *   lockDuration: 2000,
 *   interval: 500,
 * };
 * ```
 */
export interface HeartbeatSettings {
  /** Where Redis is. */
  readonly connection: RedisConnection;
  /** The queue's key prefix: a job's lock is `<lockPrefix><job id>:lock`. */
  readonly lockPrefix: string;
  /** BullMQ's set of jobs suspected stalled; a renewed job leaves it. */
  readonly stalledKey: string;
  /** Each renewal sets the lock to expire this many ms later. */
  readonly lockDuration: number;
  /** Renewals this many ms apart. */
  readonly interval: number;
}

/** Main thread → heartbeat thread. */
export type ToHeartbeat =
  | { t: "start"; settings: HeartbeatSettings; table: SharedArrayBuffer }
  | { t: "track"; job: string; token: string }
  | { t: "untrack"; job: string }
  | { t: "stop" };

/** Heartbeat thread → main thread. */
export type FromHeartbeat =
  | { t: "ready" }
  | { t: "lost"; jobs: string[] }
  | { t: "failed"; message: string }
  | { t: "stopped" };

/**
 * Renews, in one round trip, the locks of the jobs given as (id, token)
 * pairs that are still held with that token, and takes them out of the
 * stalled set; returns the ids whose lock was no longer theirs.
 * KEYS[1] = stalled set; ARGV[1] = lock duration (ms), ARGV[2] = key prefix,
 * then id, token, id, token…
 */
export const RENEW_LOCKS = `
local lost = {}
for i = 3, #ARGV, 2 do
  local key = ARGV[2] .. ARGV[i] .. ':lock'
  if redis.call('GET', key) == ARGV[i + 1] then
    redis.call('SET', key, ARGV[i + 1], 'PX', ARGV[1])
    redis.call('SREM', KEYS[1], ARGV[i])
  else
    table.insert(lost, ARGV[i])
  end
end
return lost
`;

/** Bytes of one slot of a {@linkcode LockTable}: two lengths, then the job id and the token. */
const SLOT_BYTES = 512;
/** Header words per slot: a version (odd while being written) and whether the slot is in use. */
const WORDS = 2;

/**
 * The jobs whose locks to keep, in memory shared with the heartbeat thread:
 * telling the thread of each job by message would cost the worker's thread
 * about a fifth of its time at BullMQ's pace. One slot per job at a time;
 * the main thread writes a slot under a version that is odd while it does,
 * so the heartbeat never reads half a write (it skips such a slot until the
 * next beat).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LockTable } from "./heartbeat.ts";
 * const table = new LockTable(new SharedArrayBuffer(LockTable.bytes(4)));
 * const slot = table.write("job-1", "token-1");
 * assert.deepEqual(table.read(), [["job-1", "token-1"]]);
 * table.clear(slot!);
 * assert.deepEqual(table.read(), []);
 * ```
 */
export class LockTable {
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #slots: number;
  readonly #free: number[] = [];

  /** Bytes of a table of `slots` slots. */
  static bytes(slots: number): number {
    return slots * (WORDS * 4 + SLOT_BYTES);
  }

  /** A view of `buffer` (made by {@linkcode LockTable.bytes}). */
  constructor(buffer: SharedArrayBuffer) {
    this.#slots = Math.floor(buffer.byteLength / (WORDS * 4 + SLOT_BYTES));
    this.#words = new Int32Array(buffer, 0, this.#slots * WORDS);
    this.#bytes = new Uint8Array(buffer, this.#slots * WORDS * 4, this.#slots * SLOT_BYTES);
    for (let slot = this.#slots - 1; slot >= 0; slot--) this.#free.push(slot);
  }

  /** Records a job; returns its slot, or `undefined` when full or the texts do not fit. */
  write(job: string, token: string): number | undefined {
    const slot = this.#free.pop();
    if (slot === undefined) return undefined;
    const area = this.#bytes.subarray(slot * SLOT_BYTES, (slot + 1) * SLOT_BYTES);
    const id = encoder.encodeInto(job, area.subarray(4));
    const tok = encoder.encodeInto(token, area.subarray(4 + id.written));
    if (id.read < job.length || tok.read < token.length || id.written > 0xffff) {
      this.#free.push(slot);
      return undefined;
    }
    // The texts were written before the version turned odd: harmless, the slot was not in use.
    Atomics.add(this.#words, slot * WORDS, 1);
    area[0] = id.written & 0xff;
    area[1] = id.written >> 8;
    area[2] = tok.written & 0xff;
    area[3] = tok.written >> 8;
    Atomics.store(this.#words, slot * WORDS + 1, 1);
    Atomics.add(this.#words, slot * WORDS, 1);
    return slot;
  }

  /** Frees a slot. */
  clear(slot: number): void {
    Atomics.add(this.#words, slot * WORDS, 1);
    Atomics.store(this.#words, slot * WORDS + 1, 0);
    Atomics.add(this.#words, slot * WORDS, 1);
    this.#free.push(slot);
  }

  /** The (job, token) pairs in use, skipping any slot being written right now. */
  read(): [job: string, token: string][] {
    const pairs: [string, string][] = [];
    for (let slot = 0; slot < this.#slots; slot++) {
      const before = Atomics.load(this.#words, slot * WORDS);
      if (before % 2 === 1 || Atomics.load(this.#words, slot * WORDS + 1) !== 1) continue;
      // A copy: text cannot be decoded from shared memory.
      const area = this.#bytes.slice(slot * SLOT_BYTES, (slot + 1) * SLOT_BYTES);
      if (Atomics.load(this.#words, slot * WORDS) !== before) continue;
      const idLength = area[0] | (area[1] << 8);
      const tokenLength = area[2] | (area[3] << 8);
      pairs.push([
        decoder.decode(area.subarray(4, 4 + idLength)),
        decoder.decode(area.subarray(4 + idLength, 4 + idLength + tokenLength)),
      ]);
    }
    return pairs;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The main thread's handle on the heartbeat thread.
 *
 * @example
 * ```ts ignore
 * // needs a Redis server
 * const heartbeat = await Heartbeat.start(settings);
 * heartbeat.track(job.id, token);
 * // … the job ends
 * heartbeat.untrack(job.id);
 * await heartbeat.close();
 * ```
 */
export class Heartbeat {
  /** Renewals that found a lock no longer held (the job went to another worker). */
  lostLocks = 0;
  readonly #thread: Worker;
  readonly #table: LockTable;
  /** Slots of the jobs kept through the table; others went by message. */
  readonly #slots = new Map<string, number>();
  #stopped?: PromiseWithResolvers<void>;

  private constructor(thread: Worker, table: LockTable) {
    this.#thread = thread;
    this.#table = table;
  }

  /** Starts the thread for `slots` jobs at once (more go by message); resolves once it is connected. */
  static async start(settings: HeartbeatSettings, slots: number): Promise<Heartbeat> {
    const thread = new Worker(ENTRY, { type: "module" });
    const buffer = new SharedArrayBuffer(LockTable.bytes(slots));
    const heartbeat = new Heartbeat(thread, new LockTable(buffer));
    const ready = Promise.withResolvers<void>();
    thread.onmessage = (event: MessageEvent<FromHeartbeat>) => {
      const message = event.data;
      if (message.t === "ready") ready.resolve();
      else if (message.t === "failed") ready.reject(new Error(message.message));
      else if (message.t === "lost") heartbeat.lostLocks += message.jobs.length;
      else if (message.t === "stopped") heartbeat.#stopped?.resolve();
    };
    thread.onerror = (event) => {
      // An error in the thread must not end the worker: report it, stop renewing.
      event.preventDefault();
      ready.reject(new Error(`The lock heartbeat thread failed: ${event.message}`));
      heartbeat.#stopped?.resolve();
    };
    thread.postMessage({ t: "start", settings, table: buffer } satisfies ToHeartbeat);
    try {
      await ready.promise;
    } catch (error) {
      thread.terminate();
      throw error;
    }
    return heartbeat;
  }

  /** Keeps the lock of `job`, taken with `token`, until {@linkcode untrack}. */
  track(job: string, token: string): void {
    const slot = this.#slots.has(job) ? undefined : this.#table.write(job, token);
    if (slot !== undefined) this.#slots.set(job, slot);
    else this.#post({ t: "track", job, token });
  }

  /** Stops renewing the lock of `job`. */
  untrack(job: string): void {
    const slot = this.#slots.get(job);
    if (slot === undefined) return this.#post({ t: "untrack", job });
    this.#slots.delete(job);
    this.#table.clear(slot);
  }

  /** Stops renewing, closes the thread's connection, and ends the thread. */
  async close(): Promise<void> {
    if (this.#stopped) return await this.#stopped.promise;
    this.#stopped = Promise.withResolvers();
    this.#post({ t: "stop" });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#stopped.promise,
      new Promise((resolve) => timer = setTimeout(resolve, 2_000)),
    ]);
    clearTimeout(timer);
    this.#thread.terminate();
  }

  #post(message: ToHeartbeat): void {
    try {
      this.#thread.postMessage(message);
    } catch { /* the thread is gone */ }
  }
}
