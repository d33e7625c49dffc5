/**
 * BullMQ and ioredis, loaded on first use: importing baton (as task modules
 * do inside pool subprocesses) must not load, or even resolve, npm packages.
 *
 * @module
 */

// deno-lint-ignore no-import-prefix
import type { Redis } from "npm:ioredis@5.11.1";

/** The BullMQ module. */
export type BullMQ = typeof import("npm:bullmq@5.81.5");

/** What the Redis executor and worker use. */
export interface Deps {
  bullmq: BullMQ;
  Redis: typeof Redis;
}

let loaded: Promise<Deps> | undefined;

/** Loads both modules once. */
export function loadDeps(): Promise<Deps> {
  // deno-lint-ignore no-import-prefix
  return loaded ??= Promise.all([import("npm:bullmq@5.81.5"), import("npm:ioredis@5.11.1")]).then(
    ([bullmq, ioredis]) => ({ bullmq, Redis: ioredis.Redis }),
  );
}
