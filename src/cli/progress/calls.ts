/**
 * Whether a task job's call runs or waits in the executor's queue, and
 * since when it runs. Futures have no start event, so this looks at their
 * status when asked (each frame, each poll): a start is seen within one
 * poll of happening.
 *
 * @module
 */

import type { Future } from "../../scheduler/future.ts";
import { type Job, TaskJob } from "../../flow/job.ts";

/**
 * Where a task job's call is: `starting` (not submitted yet: the scheduler
 * is starting its workers), `queued` (submitted, waiting for a free
 * worker), `running`.
 */
export type CallPhase = "starting" | "queued" | "running";

/** Tracks the calls of running task jobs, given how to find a job's latest call. */
export class CallClock {
  readonly #futureOf?: (job: Job) => Future | undefined;
  readonly #startedAt = new WeakMap<Future, number>();
  readonly #now: () => number;

  /** Without `futureOf`, nothing is known (every running job shows as running). */
  constructor(
    futureOf?: (job: Job) => Future | undefined,
    now: () => number = () => performance.now(),
  ) {
    this.#futureOf = futureOf;
    this.#now = now;
  }

  /** The phase of a running task job's call; `undefined` for other jobs. */
  phase(job: Job): CallPhase | undefined {
    if (!this.#futureOf || !(job instanceof TaskJob) || job.state !== "running") return undefined;
    const future = this.#futureOf(job);
    if (!future) return "starting";
    if (future.status === "pending") return "queued";
    if (future.status === "running" && !this.#startedAt.has(future)) {
      this.#startedAt.set(future, this.#now());
    }
    return "running";
  }

  /** How long the job's current call has run (from when its start was seen). */
  runningFor(job: Job): number | undefined {
    if (this.phase(job) !== "running") return undefined;
    const started = this.#startedAt.get(this.#futureOf!(job)!);
    return started === undefined ? undefined : this.#now() - started;
  }
}
