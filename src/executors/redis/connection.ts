/**
 * Where Redis is: a `redis://` URL or host/port options, turned into the
 * options BullMQ and ioredis take, and the names baton uses on the server.
 *
 * @module
 */

import type { RedisClientOptions } from "./npm_types.ts";
import { checkOptions, quote } from "../../options.ts";

/**
 * How to reach Redis: a URL (`redis://[user:password@]host[:port][/db]`, `rediss://` for TLS) or options.
 *
 * @category Distributed
 */
export type RedisConnection = string | RedisConnectionOptions;

/**
 * Host, port and credentials of a Redis server.
 *
 * @category Distributed
 */
export interface RedisConnectionOptions {
  /** Default `"127.0.0.1"`. */
  host?: string;
  /** Default `6379`. */
  port?: number;
  /** ACL user name. */
  username?: string;
  /** Password (`requirepass` or the ACL user's). */
  password?: string;
  /** Database number, default 0. */
  db?: number;
  /** Connect with TLS. */
  tls?: boolean;
}

/** Turns a {@linkcode RedisConnection} into ioredis options; throws `TypeError` naming a bad value. */
export function resolveConnection(connection: RedisConnection): RedisClientOptions {
  if (typeof connection !== "string" && (typeof connection !== "object" || connection === null)) {
    throw new TypeError(
      `connection must be a redis:// URL or { host, port }, got ${quote(connection)}`,
    );
  }
  if (typeof connection !== "string") {
    checkOptions(
      connection,
      ["host", "port", "username", "password", "db", "tls"],
      "the connection",
    );
  }
  const options = typeof connection === "string" ? parseUrl(connection) : { ...connection };
  const port = options.port ?? 6379;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`The Redis port must be an integer from 1 to 65535, got ${port}`);
  }
  const db = options.db ?? 0;
  if (!Number.isInteger(db) || db < 0) {
    throw new RangeError(`The Redis database must be a non-negative integer, got ${db}`);
  }
  return {
    host: options.host ?? "127.0.0.1",
    port,
    username: options.username,
    password: options.password,
    db,
    tls: options.tls ? {} : undefined,
    // BullMQ's blocking commands need this; commands wait for a reconnection instead of failing.
    maxRetriesPerRequest: null,
    // Reconnect forever, at most 1 s apart, so a restarted server is found quickly.
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
  };
}

function parseUrl(text: string): RedisConnectionOptions {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`Not a Redis URL: "${text}"; expected redis://host:port or rediss://...`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new TypeError(
      `Not a Redis URL: "${text}" (protocol ${url.protocol}); expected redis:// or rediss://`,
    );
  }
  const db = url.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d+$/.test(db)) {
    throw new TypeError(`The database in "${text}" must be a number, got "${db}"`);
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: db === "" ? 0 : Number(db),
    tls: url.protocol === "rediss:",
  };
}

/** Checks a queue name: BullMQ uses it in keys, so no `:` and not empty. */
export function checkQueueName(queue: unknown): string {
  if (typeof queue !== "string" || !/^[A-Za-z0-9_.-]{1,100}$/.test(queue)) {
    throw new TypeError(
      `The queue name must be 1-100 letters, digits, "_", "." or "-", got ${JSON.stringify(queue)}`,
    );
  }
  return queue;
}

/** Pub/sub channels for comm frames and cancellation. */
export const channels = {
  /** Main side → every worker of the queue: comm frames and cancellations, by job id. */
  control: (queue: string): string => `baton:${queue}:control`,
  /** Workers → one scheduler: comm frames of its jobs. */
  origin: (queue: string, origin: string): string => `baton:${queue}:origin:${origin}`,
  /** Where a worker leaves the full error of a failed job for its scheduler. */
  error: (queue: string, jobId: string): string => `baton:${queue}:error:${jobId}`,
};
