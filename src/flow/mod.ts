/**
 * Flows: static graphs of jobs with requirements, critical and forever jobs,
 * a window, a timeout, nesting, listings and Graphviz export.
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
  TaskJob,
} from "./job.ts";
export { command, type CommandOptions, type CommandResult } from "./command.ts";
export { Flow, type FlowOptions } from "./flow.ts";
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
