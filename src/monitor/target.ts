/**
 * What a monitor watches: schedulers and flows, normalised and discovered
 * (nested flows, and the schedulers that a flow's task jobs submit to).
 *
 * @module
 */

import { Scheduler } from "../scheduler/scheduler.ts";
import { Flow } from "../flow/flow.ts";
import { type Job, TaskJob } from "../flow/job.ts";

/**
 * What `monitor()` and `serveMonitor()` watch: a scheduler, a flow, or a list of them.
 *
 * @category Monitor
 */
export type MonitorTarget = Scheduler | Flow | ReadonlyArray<Scheduler | Flow>;

/** The schedulers and flows of a target, each with a stable index, plus job ids. */
export class Targets {
  /** Schedulers in discovery order; the index is the `scheduler` field of events. */
  readonly schedulers: Scheduler[] = [];
  /** Flows (nested ones after their parents); the index is the `flow` field of events. */
  readonly flows: Flow[] = [];
  readonly #jobIds = new WeakMap<Job, number>();
  #nextJobId = 1;
  /** Called with each scheduler or flow the first time it is found. */
  onScheduler: (scheduler: Scheduler, index: number) => void = () => {};
  /** Called with each flow the first time it is found. */
  onFlow: (flow: Flow, index: number) => void = () => {};

  /** Checks `target`; an empty list is accepted with `allowEmpty` (a monitor of past runs only). */
  constructor(target: MonitorTarget, allowEmpty = false) {
    const items = Array.isArray(target) ? target : [target];
    if (items.length === 0 && !allowEmpty) {
      throw new TypeError(
        "monitor() needs a Scheduler, a Flow, or a non-empty array of them " +
          "(an empty array only with the runs option, to browse past runs)",
      );
    }
    for (const item of items) {
      if (!(item instanceof Scheduler) && !(item instanceof Flow)) {
        throw new TypeError(
          `monitor() watches a Scheduler, a Flow or an array of them, got ${describe(item)}`,
        );
      }
    }
  }

  /** Adds the items of `target` (checked by the constructor) and what they lead to. */
  adopt(target: MonitorTarget): void {
    for (const item of Array.isArray(target) ? target : [target]) {
      if (item instanceof Scheduler) this.addScheduler(item);
      else this.addFlow(item as Flow);
    }
  }

  /** The index of `scheduler`, adding it if new. */
  addScheduler(scheduler: Scheduler): number {
    const known = this.schedulers.indexOf(scheduler);
    if (known >= 0) return known;
    this.schedulers.push(scheduler);
    const index = this.schedulers.length - 1;
    this.onScheduler(scheduler, index);
    return index;
  }

  /** Adds `flow`, its nested flows and the schedulers of its task jobs, when new. */
  addFlow(flow: Flow): void {
    if (!this.flows.includes(flow)) {
      this.flows.push(flow);
      this.onFlow(flow, this.flows.length - 1);
    }
    this.rescanFlow(flow);
  }

  /** Looks again for nested flows and task-job schedulers (jobs can be added later). */
  rescanFlow(flow: Flow): void {
    for (const job of flow.jobs) {
      this.jobId(job);
      if (job instanceof Flow) this.addFlow(job);
      else if (job instanceof TaskJob) this.addScheduler(job.task.scheduler);
    }
  }

  /** A stable numeric id for `job`, unique within this monitor. */
  jobId(job: Job): number {
    let id = this.#jobIds.get(job);
    if (id === undefined) {
      id = this.#nextJobId++;
      this.#jobIds.set(job, id);
    }
    return id;
  }
}

function describe(value: unknown): string {
  if (value === null || typeof value !== "object") {
    return typeof value === "function" ? `function ${value.name || "anonymous"}` : String(value);
  }
  return Object.prototype.toString.call(value);
}
