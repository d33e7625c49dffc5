/**
 * `--monitor PORT`: serves the live monitor for the run. The monitor module
 * is optional in a build, so it is imported only when asked for.
 *
 * @module
 */

import type { Flow } from "../flow/flow.ts";
import { UsageError } from "./errors.ts";

/** A running monitor server. */
export interface MonitorHandle {
  /** Where it listens. */
  readonly url: string;
  /** Stops the server. */
  shutdown(): Promise<void> | void;
}

interface MonitorModule {
  serveMonitor(target: Flow, options: { port: number }): Promise<MonitorHandle> | MonitorHandle;
}

/** The monitor module, relative to this file; a variable keeps it optional at type-check time. */
const MONITOR_MODULE = "../monitor/mod.ts";

/**
 * Serves the monitor for `flow` on `port` and prints its URL with `print`.
 *
 * @throws {UsageError} (exit 2) when this build has no monitor module.
 */
export async function startMonitor(
  flow: Flow,
  port: number,
  print: (line: string) => void,
): Promise<MonitorHandle> {
  let mod: MonitorModule;
  try {
    mod = await import(new URL(MONITOR_MODULE, import.meta.url).href) as MonitorModule;
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    if (/Module not found|Cannot find module|No such file/i.test(message)) {
      throw new UsageError(
        `--monitor is not available in this build: the monitor module (src/monitor/mod.ts) ` +
          `is missing; run without --monitor`,
      );
    }
    throw error;
  }
  if (typeof mod.serveMonitor !== "function") {
    throw new UsageError(
      "--monitor: the monitor module has no serveMonitor(); run without --monitor",
    );
  }
  const handle = await mod.serveMonitor(flow, { port });
  print(`monitor: ${handle.url}`);
  return handle;
}
