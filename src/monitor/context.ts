/**
 * What the monitor's routes share: the watched targets, the event hub, the
 * recorder and the queue monitors.
 *
 * @module
 */

import type { EventHub } from "./events.ts";
import type { Histograms } from "./metrics.ts";
import type { QueueMonitor } from "./queue_monitor.ts";
import type { Recorder } from "./recorder.ts";
import type { RunSource } from "./runs.ts";
import type { Targets } from "./target.ts";

/** The state behind one `monitor()` app. */
export interface MonitorContext {
  readonly targets: Targets;
  readonly hub: EventHub;
  readonly recorder: Recorder;
  readonly histograms: Histograms;
  /** By scheduler index. */
  readonly queues: QueueMonitor[];
  readonly runs?: RunSource;
}
