/**
 * BullMQ and ioredis, loaded on first use: importing baton (as task modules
 * do inside pool subprocesses) must not load, or even resolve, npm packages.
 *
 * @module
 */

import type { Redis } from "ioredis";

/** The BullMQ module. */
export type BullMQ = typeof import("bullmq");

/** What the Redis executor and worker use. */
export interface Deps {
  bullmq: BullMQ;
  Redis: typeof Redis;
}

let loaded: Promise<Deps> | undefined;

/** Loads both modules once. */
export function loadDeps(): Promise<Deps> {
  return loaded ??= Promise.all([import("bullmq"), import("ioredis")]).then(
    ([bullmq, ioredis]) => ({ bullmq, Redis: ioredis.Redis }),
  );
}
