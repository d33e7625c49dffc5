/**
 * Scale-out on Redis: calls become BullMQ jobs, run by `baton worker`s.
 *
 * @module
 */
export { RedisExecutor } from "./executor.ts";
export type { Backoff, RedisExecutorOptions } from "./options.ts";
export { RedisWorker, type RedisWorkerOptions } from "./worker.ts";
export type { RedisConnection, RedisConnectionOptions } from "./connection.ts";
