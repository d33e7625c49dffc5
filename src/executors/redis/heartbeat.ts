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
 * ```ts ignore
 * const settings: HeartbeatSettings = {
 *   connection: "redis://127.0.0.1:6379", lockPrefix: "bull:jobs:", stalledKey: "bull:jobs:stalled",
 *   lockDuration: 2000, interval: 500,
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
  | { t: "start"; settings: HeartbeatSettings }
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

/**
 * The main thread's handle on the heartbeat thread.
 *
 * @example
 * ```ts ignore
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
  #stopped?: PromiseWithResolvers<void>;

  private constructor(thread: Worker) {
    this.#thread = thread;
  }

  /** Starts the thread; resolves once it is connected to Redis. */
  static async start(settings: HeartbeatSettings): Promise<Heartbeat> {
    const thread = new Worker(ENTRY, { type: "module" });
    const heartbeat = new Heartbeat(thread);
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
    thread.postMessage({ t: "start", settings } satisfies ToHeartbeat);
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
    this.#post({ t: "track", job, token });
  }

  /** Stops renewing the lock of `job`. */
  untrack(job: string): void {
    this.#post({ t: "untrack", job });
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
