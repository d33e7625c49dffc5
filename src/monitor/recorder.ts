/**
 * What the explorer remembers of a run, fed by the event hub's observers:
 * the calls of each scheduler, when jobs ran, which future a task job
 * submitted, and the output of futures and jobs.
 *
 * @module
 */

import type { Scheduler } from "../scheduler/scheduler.ts";
import type { Future } from "../scheduler/future.ts";
import type { AnyTask } from "../scheduler/task.ts";
import type { Flow } from "../flow/flow.ts";
import { type Job, TaskJob } from "../flow/job.ts";
import { CallLog } from "./calls.ts";
import type { Histograms } from "./metrics.ts";
import { LogStore } from "./logs.ts";

/** When a job started and ended (milliseconds since the epoch), and its future for task jobs. */
export interface JobTimes {
  started?: number;
  ended?: number;
  future?: Future;
}

/** Limits of what the recorder keeps. */
export interface RecorderOptions {
  /** Finished calls kept per scheduler. */
  maxFutures: number;
  /** Lines kept per future or job. */
  logLines: number;
  /** Bytes of output kept in all. */
  logBytes: number;
}

/** The key of a future's output in the log store. */
export const futureKey = (id: number): string => `future:${id}`;
/** The key of a job's output in the log store. */
export const jobKey = (id: number): string => `job:${id}`;

/** Records calls, job times and output. */
export class Recorder {
  readonly logs: LogStore;
  readonly #histograms: Histograms;
  readonly #maxFutures: number;
  readonly #calls = new Map<Scheduler, CallLog>();
  readonly #byIndex: CallLog[] = [];
  readonly #jobs = new WeakMap<Job, JobTimes>();
  /** Task jobs that started and whose future is not known yet, per task, in start order. */
  readonly #awaiting = new Map<AnyTask, Job[]>();
  readonly #futureJobs = new WeakMap<Future, Job>();
  /** The monitor's job id of a job. */
  readonly #jobId: (job: Job) => number;

  constructor(histograms: Histograms, options: RecorderOptions, jobId: (job: Job) => number) {
    this.#histograms = histograms;
    this.#maxFutures = options.maxFutures;
    this.logs = new LogStore({ linesPerKey: options.logLines, maxBytes: options.logBytes });
    this.#jobId = jobId;
  }

  /** Starts a call log for `scheduler`. */
  addScheduler(scheduler: Scheduler, index: number): CallLog {
    let log = this.#calls.get(scheduler);
    if (!log) {
      log = new CallLog(index, this.#maxFutures);
      this.#calls.set(scheduler, log);
      this.#byIndex[index] = log;
    }
    return log;
  }

  /** The call log of the scheduler with `index`. */
  calls(index: number): CallLog | undefined {
    return this.#byIndex[index];
  }

  /** Every call log, by scheduler index. */
  allCalls(): readonly CallLog[] {
    return this.#byIndex;
  }

  /** When `job` ran, and its future. */
  job(job: Job): JobTimes | undefined {
    return this.#jobs.get(job);
  }

  /** The task job that submitted `future`, if one did. */
  jobOf(future: Future): Job | undefined {
    return this.#futureJobs.get(future);
  }

  /** A scheduler event. */
  onScheduler(
    scheduler: Scheduler,
    log: CallLog,
    name: string,
    args: readonly unknown[],
    now: number,
  ): void {
    switch (name) {
      case "future-submitted":
        log.submitted(args[0] as Future, now);
        break;
      case "future-done": {
        const future = args[0] as Future;
        const since = log.ended(future, now);
        if (!Number.isNaN(since)) {
          this.#histograms.observe(
            future.task ?? scheduler,
            scheduler.name,
            future.task?.name ?? "",
            (now - since) / 1000,
          );
        }
        break;
      }
      case "future-cancelled":
        log.ended(args[0] as Future, now);
        break;
    }
  }

  /** A task event: links task jobs to their futures, and keeps output. */
  onTask(task: AnyTask, name: string, args: readonly unknown[], now: number): void {
    // Most tasks have no job waiting for its future: the size check spares a lookup per call.
    if (name === "submitted") {
      if (this.#awaiting.size === 0) return;
      const waiting = this.#awaiting.get(task);
      const job = waiting?.shift();
      if (job) {
        if (waiting!.length === 0) this.#awaiting.delete(task);
        const future = args[0] as Future;
        this.#futureJobs.set(future, job);
        const times = this.#jobs.get(job);
        if (times) times.future = future;
      }
    } else if (name === "output") {
      const future = args[0] as Future | undefined;
      if (future && typeof future.id === "number") {
        this.logs.write(
          futureKey(future.id),
          String(args[1] ?? ""),
          String(args[2] ?? "stdout"),
          now,
        );
      }
    }
  }

  /** A flow event: job times and output. */
  onFlow(_flow: Flow, name: string, args: readonly unknown[], now: number): void {
    const job = args[0] as Job;
    switch (name) {
      case "job-started": {
        this.#jobs.set(job, { started: now });
        if (job instanceof TaskJob) {
          const list = this.#awaiting.get(job.task) ?? [];
          list.push(job);
          this.#awaiting.set(job.task, list);
        }
        break;
      }
      case "job-done":
      case "job-failed":
      case "job-cancelled": {
        const times = this.#jobs.get(job) ?? {};
        times.ended ??= now;
        this.#jobs.set(job, times);
        if (job instanceof TaskJob) {
          const list = this.#awaiting.get(job.task);
          const i = list?.indexOf(job) ?? -1;
          if (i >= 0) list!.splice(i, 1);
        }
        break;
      }
      case "job-output":
        if (job && typeof job === "object") {
          this.logs.write(
            jobKey(this.#jobId(job)),
            String(args[1] ?? ""),
            String(args[2] ?? "stdout"),
            now,
          );
        }
        break;
    }
  }
}
