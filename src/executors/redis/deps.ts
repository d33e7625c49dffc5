/**
 * BullMQ and ioredis, loaded on first use: importing baton (as task modules
 * do inside pool subprocesses, or a project that never uses Redis) must not
 * load, or even resolve, npm packages.
 *
 * @module
 */

import type { BullMQ, RedisClass } from "./npm_types.ts";

export type { BullMQ } from "./npm_types.ts";

/** What the Redis executor and worker use. */
export interface Deps {
  bullmq: BullMQ;
  Redis: RedisClass;
}

// A URL held in a variable is not followed by Deno's module graph, so the
// packages npm.ts imports are resolved only when this import runs.
// `deno compile` needs `--include src/executors/redis/npm.ts` to embed them.
const NPM = new URL("./npm.ts", import.meta.url).href;

let loaded: Promise<Deps> | undefined;

/** Loads both modules once. */
export function loadDeps(): Promise<Deps> {
  return loaded ??= (import(NPM) as Promise<{ bullmq: unknown; Redis: unknown }>).then(
    (npm) => npm as Deps,
  );
}
