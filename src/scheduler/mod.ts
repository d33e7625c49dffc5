/**
 * Scheduler, tasks and futures.
 *
 * @module
 */
export {
  type ErrorClass,
  type ExceptionAction,
  type ExceptionPolicy,
  type ExitCode,
  type ExitState,
  type LaterHandle,
  type MapResult,
  type MapSettled,
  type MapTarget,
  type RunOptions,
  Scheduler,
  type SchedulerOptions,
  type StopOptions,
} from "./scheduler.ts";
export { type AnyTask, Task, type TaskOptions } from "./task.ts";
export { Future, type FutureStatus } from "./future.ts";
export type { MapOptions } from "./map.ts";
export type { TrialReport, TrialStatus } from "./report.ts";
export { SchedulerNotRunningError, SubmitRefusedError } from "./errors.ts";
export { CancelledError, ThrownValueError } from "../wire/errors.ts";
