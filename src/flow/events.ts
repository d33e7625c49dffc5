/**
 * The events of a flow, in a module of their own so that jobs can emit
 * `job-output` on their flows without importing the flow.
 *
 * @module
 */

import { Event } from "../events/event.ts";
import type { OutputStream } from "../wire/messages.ts";
import type { Job } from "./job.ts";

export type { OutputStream };

/** A job has its requirements done and waits for a window slot or starts: (job). */
export const JOB_SCHEDULED: Event<[job: Job]> = new Event<[job: Job]>("job-scheduled");
/** A job started running: (job). */
export const JOB_STARTED: Event<[job: Job]> = new Event<[job: Job]>("job-started");
/** A job returned: (job, result). */
export const JOB_DONE: Event<[job: Job, result: unknown]> = new Event<
  [job: Job, result: unknown]
>("job-done");
/** A job threw: (job, error); anything thrown that is not an `Error` is a `ThrownValueError`. */
export const JOB_FAILED: Event<[job: Job, error: Error]> = new Event<[job: Job, error: Error]>(
  "job-failed",
);
/** A running job was cancelled (timeout, critical failure, forever job at the end): (job). */
export const JOB_CANCELLED: Event<[job: Job]> = new Event<[job: Job]>("job-cancelled");
/** A running job wrote output: (job, text, stream); emitted on its flow and every outer flow. */
export const JOB_OUTPUT: Event<[job: Job, text: string, stream: OutputStream]> = new Event<
  [job: Job, text: string, stream: OutputStream]
>("job-output");
/** The run is over: (ok, why). */
export const FLOW_DONE: Event<[ok: boolean, why: string]> = new Event<[ok: boolean, why: string]>(
  "flow-done",
);
