/**
 * Entry module of a Redis worker's heartbeat thread: renews the locks of
 * the jobs its worker runs, every `interval` ms, whatever its worker's event
 * loop is doing.
 *
 * @module
 */

// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@5.11.1";
import { resolveConnection } from "../src/executors/redis/connection.ts";
import {
  type FromHeartbeat,
  type HeartbeatSettings,
  LockTable,
  RENEW_LOCKS,
  type ToHeartbeat,
} from "../src/executors/redis/heartbeat.ts";

const scope = self as unknown as {
  postMessage(message: FromHeartbeat): void;
  onmessage: ((event: MessageEvent<ToHeartbeat>) => void) | null;
  close(): void;
};

const jobs = new Map<string, string>();
let redis: Redis | undefined;
let settings: HeartbeatSettings | undefined;
let table: LockTable | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;
let stopping = false;

async function renew(): Promise<void> {
  if (!redis || !settings || stopping) return;
  const held = [...(table?.read() ?? []), ...jobs];
  if (held.length > 0) {
    const pairs = held.flat();
    try {
      const lost = await redis.eval(
        RENEW_LOCKS,
        1,
        settings.stalledKey,
        String(settings.lockDuration),
        settings.lockPrefix,
        ...pairs,
      ) as string[];
      if (lost.length > 0) {
        for (const job of lost) jobs.delete(job);
        scope.postMessage({ t: "lost", jobs: lost });
      }
    } catch { /* Redis is away: ioredis reconnects, the next beat tries again */ }
  }
  if (!stopping) timer = setTimeout(renew, settings.interval);
}

scope.onmessage = async (event) => {
  const message = event.data;
  if (message.t === "track") jobs.set(message.job, message.token);
  else if (message.t === "untrack") jobs.delete(message.job);
  else if (message.t === "start") {
    settings = message.settings;
    table = new LockTable(message.table);
    try {
      redis = new Redis({
        ...resolveConnection(settings.connection),
        connectionName: "baton-heartbeat",
      });
      redis.on("error", () => {});
      await redis.ping();
    } catch (error) {
      scope.postMessage({
        t: "failed",
        message: `The lock heartbeat could not reach Redis: ${error}`,
      });
      return;
    }
    timer = setTimeout(renew, settings.interval);
    scope.postMessage({ t: "ready" });
  } else if (message.t === "stop") {
    stopping = true;
    clearTimeout(timer);
    await redis?.quit().catch(() => {});
    redis?.disconnect();
    scope.postMessage({ t: "stopped" });
    scope.close();
  }
};
