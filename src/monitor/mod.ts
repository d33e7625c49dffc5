/**
 * The monitor: a Hono endpoint and live dashboard for schedulers and flows.
 *
 * @module
 */
export { monitor, type MonitorApp, type MonitorOptions } from "./app.ts";
export { type MonitorServer, serveMonitor, type ServeMonitorOptions } from "./serve.ts";
export type { MonitorTarget } from "./target.ts";
export type { MonitorEvent } from "./events.ts";
export type {
  FlowStatus,
  InFlightStatus,
  JobStatus,
  MonitorStatus,
  SchedulerStatus,
  TaskStatus,
} from "./status.ts";
