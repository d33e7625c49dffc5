/**
 * Flows: static graphs of jobs with requirements, critical and forever jobs,
 * a window, a timeout, nesting, graph editing, listings and Graphviz export.
 *
 * @module
 */
export {
  Job,
  job,
  type JobContext,
  type JobDefinition,
  type JobOptions,
  type JobSequence,
  type JobState,
  type Requirement,
  type RequiresOptions,
  TaskJob,
} from "./job.ts";
export { command, type CommandOptions, type CommandResult } from "./command.ts";
export {
  type ExitJobsOptions,
  Flow,
  type FlowItem,
  type FlowOptions,
  type IterateJobsOptions,
  type KeepOnlyBetweenOptions,
} from "./flow.ts";
export type { OutputStream } from "./events.ts";
export type { GraphicFormat } from "./dot.ts";
export { resultOf, ResultRef } from "./results.ts";
export {
  DurableRun,
  type DurableRunOptions,
  type FlowRunOptions,
  type JobOutput,
  type Reuse,
  reuseOf,
} from "./durable.ts";
export { Sequence } from "./sequence.ts";
export type { ListOptions } from "./report.ts";
export { CommandError, CycleError, JobCancelledError, TimeoutError } from "./errors.ts";
