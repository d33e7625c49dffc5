/**
 * The monitor: a Hono endpoint and a live explorer for schedulers and flows,
 * with queue history and past runs.
 *
 * @module
 */
export { monitor, type MonitorApp, type MonitorOptions } from "./app.ts";
export { type MonitorServer, serveMonitor, type ServeMonitorOptions } from "./serve.ts";
export type { MonitorTarget } from "./target.ts";
export { QueueMonitor, type QueueMonitorOptions, type QueueMonitorRow } from "./queue_monitor.ts";
export type { PastEvent, PastJob, PastLogLine, PastRun, RunSource } from "./runs.ts";
export type { MonitorEvent } from "./events.ts";
export type {
  FlowStatus,
  InFlightStatus,
  JobStatus,
  MonitorStatus,
  SchedulerStatus,
  TaskStatus,
} from "./status.ts";
