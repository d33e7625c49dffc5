/**
 * The part of BullMQ and ioredis that baton uses, declared here instead of
 * imported: an `import type` from `npm:` still puts the package in the module
 * graph, so `deno check` of any project importing baton would resolve (and
 * warn about) ioredis. tests/redis_types_test.ts checks the real packages fit.
 *
 * @module
 */

import type { Buffer } from "node:buffer";

/** A Redis connection (the slice of ioredis's `Redis` used). */
export interface RedisClient {
  on(event: "messageBuffer", listener: BufferListener): unknown;
  on(event: "error" | "close" | "ready", listener: () => void): unknown;
  subscribe(channel: string): Promise<unknown>;
  publish(channel: string, message: string): Promise<number>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
  set(key: string, value: string, ex: "EX", seconds: number): Promise<unknown>;
  xrevrange(
    key: string,
    end: string,
    start: string,
    count: "COUNT",
    n: number,
  ): Promise<[id: string, fields: string[]][]>;
  xread(...args: (string | number)[]): Promise<unknown>;
  multi(): RedisPipeline;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/** A MULTI transaction being queued. */
export interface RedisPipeline {
  xrange(key: string, start: string, end: string): RedisPipeline;
  xread(...args: (string | number)[]): RedisPipeline;
  exec(): Promise<[error: Error | null, result: unknown][] | null>;
}

/** ioredis's connection options, as baton fills them. */
export interface RedisClientOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  // deno-lint-ignore ban-types
  tls?: {};
  maxRetriesPerRequest: null;
  retryStrategy: (times: number) => number;
}

/** BullMQ's per-job options, as baton fills them. */
export interface JobOptions {
  attempts?: number;
  removeOnComplete?: { age: number };
  removeOnFail?: { age: number };
  backoff?: { type: string; delay: number };
  priority?: number;
  jobId?: string;
}

/** A BullMQ job. */
export interface BullJob<T> {
  id?: string;
  name: string;
  data: T;
  attemptsStarted: number;
  returnvalue: unknown;
  failedReason: string;
}

/** A BullMQ queue. */
export interface BullQueue<T> {
  readonly keys: Record<string, string>;
  on(event: "error", listener: (error: Error) => void): unknown;
  waitUntilReady(): Promise<unknown>;
  add(name: string, data: T, opts?: JobOptions): Promise<unknown>;
  addBulk(jobs: { name: string; data: T; opts?: JobOptions }[]): Promise<unknown>;
  remove(jobId: string): Promise<number>;
  getJobState(jobId: string): Promise<string>;
  close(): Promise<void>;
}

/** A BullMQ worker. */
export interface BullWorker {
  readonly keys: Record<string, string>;
  on(event: "error", listener: (error: Error) => void): unknown;
  waitUntilReady(): Promise<unknown>;
  toKey(type: string): string;
  run(): Promise<void>;
  close(force?: boolean): Promise<void>;
}

/** What `new Worker(...)` is given, as baton fills it. */
export interface BullWorkerOptions {
  connection: RedisClientOptions;
  concurrency: number;
  name: string;
  lockDuration: number;
  skipLockRenewal: boolean;
  stalledInterval: number;
  maxStalledCount: number;
  metrics: { maxDataPoints: number };
  autorun: boolean;
}

/** The BullMQ module's exports used. */
export interface BullMQ {
  Queue: new <T>(
    name: string,
    opts: { connection: RedisClientOptions; streams: { events: { maxLen: number } } },
  ) => BullQueue<T>;
  Worker: new <T>(
    name: string,
    processor: (job: BullJob<T>, token?: string) => Promise<string>,
    opts: BullWorkerOptions,
  ) => BullWorker;
  // `queue` is a BullQueue; `object` because BullMQ asks for its own MinimalQueue here.
  Job: { fromId<T>(queue: object, jobId: string): Promise<BullJob<T> | undefined> };
  MetricsTime: { ONE_WEEK: number };
  UnrecoverableError: new (message?: string) => Error;
}

/** ioredis's client class. */
export type RedisClass = new (options: RedisClientOptions) => RedisClient;

/** A `messageBuffer` listener. */
export type BufferListener = (channel: Buffer, message: Buffer) => void;
