/**
 * Turns a checked workflow into a {@linkcode Flow}: command jobs, module
 * jobs as calls of tasks on one scheduler, nested flows. Modules are
 * imported here, so a missing export or a limit the executor cannot enforce
 * is reported before anything runs.
 *
 * @module
 */

import { Flow } from "../../flow/flow.ts";
import type { Job } from "../../flow/job.ts";
import type { Limits } from "../../executors/limits.ts";
import { Scheduler } from "../../scheduler/scheduler.ts";
import type { Task } from "../../scheduler/task.ts";
import { cliWording, WorkflowError, type WorkflowIssue } from "../errors.ts";
import { sortIssues } from "./load.ts";
import { ModuleJob, RunJob } from "./jobs.ts";
import type { ExecutorKind, JobSpec, ModuleJobSpec, WorkflowSpec } from "./types.ts";

const REMOTE_MARK = Symbol.for("baton.remote");

/** How to build: the executor and its size. */
export interface BuildOptions {
  /** Overrides the file's `executor` (default `workers`). */
  executor?: ExecutorKind;
  /** Workers or processes in the pool. */
  workers: number;
  /** Overrides the top file's `timeout`, in milliseconds. */
  timeout?: number;
}

/** A flow ready to run, and what the progress views need to know about it. */
export interface BuiltWorkflow {
  /** The top flow. */
  readonly flow: Flow;
  /** The scheduler of module jobs, if there are any. */
  readonly scheduler?: Scheduler;
  /** The executor module jobs run on. */
  readonly executor: ExecutorKind;
  /** Limits of each job that has some. */
  readonly limits: ReadonlyMap<Job, Limits>;
}

/**
 * Builds the flow of `spec`.
 *
 * @throws {WorkflowError} when a module or export is unusable or a limit cannot be enforced.
 */
export async function buildWorkflow(
  spec: WorkflowSpec,
  options: BuildOptions,
): Promise<BuiltWorkflow> {
  const issues: WorkflowIssue[] = [];
  const built = await buildCollecting(spec, options, issues);
  if (issues.length > 0) throw new WorkflowError(sortIssues(issues));
  return built;
}

/**
 * Builds the flow of `spec`, pushing to `issues` instead of throwing, so
 * that they join the problems validation found.
 */
export async function buildCollecting(
  spec: WorkflowSpec,
  options: BuildOptions,
  issues: WorkflowIssue[],
): Promise<BuiltWorkflow> {
  const executor = options.executor ?? spec.executor ?? "workers";
  const limits = new Map<Job, Limits>();
  let scheduler: Scheduler | undefined;
  const schedulerFor = (): Scheduler => {
    // No echo: the run's output goes through the run store to the log files and the view,
    // which prefixes it by job (raw echo would print it twice, and break --json).
    const settings = { name: spec.name, echo: false };
    scheduler ??= executor === "sequential"
      ? Scheduler.sequential(settings)
      : executor === "processes"
      ? Scheduler.withProcesses(options.workers, settings)
      : Scheduler.withWorkers(options.workers, settings);
    return scheduler;
  };
  const modules = new Map<string, Promise<Record<string, unknown>>>();

  const buildFile = async (file: WorkflowSpec, timeout?: number): Promise<Flow> => {
    const flow = new Flow({ label: file.name, window: file.window, timeout });
    const jobs = new Map<string, Job>();
    for (const job of file.jobs) {
      const built = await buildJob(job, jobs);
      if (!built) continue;
      jobs.set(job.id, built);
      flow.add(built, { critical: job.critical, forever: job.forever, cache: job.cache });
    }
    for (const job of file.jobs) {
      const built = jobs.get(job.id);
      if (!built) continue;
      built.requires(...job.requires.map((id) => jobs.get(id)).filter((j) => j !== undefined));
    }
    return flow;
  };

  const buildJob = async (
    job: JobSpec,
    jobs: ReadonlyMap<string, Job>,
  ): Promise<Job | undefined> => {
    try {
      if (job.kind === "flow") {
        return await buildFile(job.workflow, job.workflow.timeout);
      }
      if (job.kind === "run") {
        const built = new RunJob(job);
        if (Object.keys(job.limits).length) limits.set(built, job.limits);
        return built;
      }
      const fn = await loadFunction(job);
      if (!fn) return undefined;
      let task: Task<unknown[], unknown>;
      try {
        task = schedulerFor().task(fn, {
          name: job.id,
          limits: job.limits,
          permissions: job.permissions,
        });
      } catch (error) {
        issues.push(job.issue(
          job.limits.memory !== undefined || job.limits.cpuTime !== undefined
            ? ["limits"]
            : ["permissions"],
          `job "${job.name}" cannot run on the ${executor} executor: ${
            cliWording((error as Error).message)
          }`,
        ));
        return undefined;
      }
      const built = new ModuleJob(task, job, jobs);
      if (Object.keys(job.limits).length) limits.set(built, job.limits);
      return built;
    } catch (error) {
      issues.push(job.issue([], `job "${job.name}": ${cliWording((error as Error).message)}`));
      return undefined;
    }
  };

  const loadFunction = async (
    job: ModuleJobSpec,
  ): Promise<((...args: unknown[]) => unknown) | undefined> => {
    let loading = modules.get(job.moduleUrl);
    if (!loading) {
      loading = import(job.moduleUrl);
      modules.set(job.moduleUrl, loading);
    }
    let mod: Record<string, unknown>;
    try {
      mod = await loading;
    } catch (error) {
      issues.push(job.issue(
        ["module"],
        `job "${job.name}": cannot import ${job.moduleUrl}: ${
          (error as Error).message.split("\n")[0]
        }`,
      ));
      return undefined;
    }
    const fn = mod[job.exportName];
    if (typeof fn !== "function") {
      const functions = Object.keys(mod).filter((k) => typeof mod[k] === "function");
      issues.push(job.issue(
        ["export"],
        `job "${job.name}": ${job.moduleUrl} has no exported function "${job.exportName}"` +
          (fn === undefined ? "" : ` (it is a ${typeof fn})`) +
          `; exported functions: ${functions.join(", ") || "none"}`,
      ));
      return undefined;
    }
    if (executor !== "sequential" && !(REMOTE_MARK in fn) && isNativeOrBound(fn)) {
      issues.push(job.issue(
        ["export"],
        `job "${job.name}": "${job.exportName}" cannot be shipped to a ${executor} executor: it is ` +
          `neither marked with remote(import.meta.url, fn) nor a plain function with source`,
      ));
      return undefined;
    }
    return fn as (...args: unknown[]) => unknown;
  };

  const flow = await buildFile(spec, options.timeout ?? spec.timeout);
  return { flow, scheduler, executor, limits };
}

function isNativeOrBound(fn: object): boolean {
  return /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(fn));
}
