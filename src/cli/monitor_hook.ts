/**
 * `--monitor PORT`: serves the live monitor for the run.
 *
 * @module
 */

import type { Flow } from "../flow/flow.ts";
import { type MonitorServer, serveMonitor } from "../monitor/mod.ts";

/**
 * Serves the monitor for `flow` on `port` (loopback) and prints its URL with `print`.
 *
 * @example
 * ```ts ignore
 * const server = await startMonitor(flow, 8080, console.log);
 * await flow.run();
 * await server.shutdown();
 * ```
 */
export async function startMonitor(
  flow: Flow,
  port: number,
  print: (line: string) => void,
): Promise<MonitorServer> {
  const server = await serveMonitor(flow, { port });
  print(`monitor: ${server.url}`);
  return server;
}
