/**
 * The npm packages behind the Redis executor; only `loadDeps` (./deps.ts)
 * imports this file, dynamically, when Redis is first used. Typing the
 * exports with ./npm_types.ts makes `deno check` prove the packages fit it.
 *
 * @module
 */

// deno-lint-ignore no-import-prefix
import * as BullMQModule from "npm:bullmq@5.81.5";
// deno-lint-ignore no-import-prefix
import { Redis as IORedis } from "npm:ioredis@5.11.1";
import type { BullMQ, RedisClass } from "./npm_types.ts";

/** BullMQ, as baton uses it. */
export const bullmq: BullMQ = BullMQModule;

/** ioredis's client, as baton uses it. */
export const Redis: RedisClass = IORedis;
