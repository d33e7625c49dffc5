/**
 * Keeps a scheduler running while flows and `map` calls need it: the first
 * to need a stopped scheduler runs it, later ones share that run, and the
 * last one to let go stops it. A scheduler someone else runs is only borrowed.
 *
 * @module
 */

import type { Scheduler } from "./scheduler.ts";

interface Lease {
  users: number;
  readonly ready: Promise<void>;
  readonly finished: Promise<unknown>;
}

/** Runs started by flows and maps, shared across them (nested flows included). */
const leases = new Map<Scheduler, Lease>();

/** Releases a lease; resolves once a scheduler the flows started has finished. */
export type Release = () => Promise<void>;

const NOTHING: Release = () => Promise.resolve();

/** Makes sure `scheduler` runs; returns how to let go of it. */
export async function acquireScheduler(scheduler: Scheduler): Promise<Release> {
  let lease = leases.get(scheduler);
  if (!lease) {
    if (scheduler.running()) return NOTHING;
    lease = startLease(scheduler);
    leases.set(scheduler, lease);
  } else {
    lease.users++;
  }
  const held = lease;
  let released = false;
  const release: Release = async () => {
    if (released) return;
    released = true;
    if (--held.users > 0) return;
    if (leases.get(scheduler) === held) leases.delete(scheduler);
    scheduler.stop({ reason: "the flows or maps that started it no longer need it" });
    await held.finished;
  };
  try {
    await held.ready;
  } catch (error) {
    await release();
    throw error;
  }
  return release;
}

function startLease(scheduler: Scheduler): Lease {
  const started = Promise.withResolvers<void>();
  started.promise.catch(() => {});
  const handler = scheduler.onStart(() => started.resolve(), { hidden: true, name: "lease" });
  // The flow or map decides what a failed or cancelled call means, so the scheduler goes on.
  const run = scheduler.run({
    endOnEmpty: false,
    onException: "continue",
    onCancelled: "continue",
  });
  const lease: Lease = {
    users: 1,
    ready: started.promise,
    finished: run.then(() => undefined, (error) => error).then((error) => {
      handler.remove();
      // Ended before anyone released it (stopped by someone else): forget it.
      if (leases.get(scheduler) === lease) leases.delete(scheduler);
      started.reject(error ?? new Error(`scheduler "${scheduler.name}" ended before it started`));
    }),
  };
  started.promise.then(() => handler.remove(), () => {});
  return lease;
}
