/**
 * `--monitor PORT`: serves the monitor for the run, and after it (until
 * Ctrl-C) for a post-mortem look, unless `--monitor-exit`.
 *
 * @module
 */

import type { Flow } from "../flow/flow.ts";
import { type MonitorServer, serveMonitor } from "../monitor/mod.ts";
import { err } from "./io.ts";

/**
 * Serves the monitor for `flow` on `port` (loopback) and prints its URL with `print`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job } from "@baton/baton";
 * import { startMonitor } from "./monitor_hook.ts";
 * const flow = new Flow(job(() => 1));
 * const lines: string[] = [];
 * const server = startMonitor(flow, 0, (line) => lines.push(line)); // 0: any free port
 * await flow.run();
 * await server.shutdown();
 * assert.match(lines[0], /^monitor: http:\/\//);
 * ```
 */
export function startMonitor(
  flow: Flow,
  port: number,
  print: (line: string) => void,
): MonitorServer {
  const server = serveMonitor(flow, { port });
  print(`monitor: ${server.url}`);
  return server;
}

/**
 * Keeps serving the finished run until Ctrl-C (or SIGTERM), saying so with
 * `print`; then shuts the server down.
 *
 * @example
 * ```ts ignore
 * // serves until Ctrl-C
 * import { servePostMortem } from "./monitor_hook.ts";
 * await flow.run();
 * await servePostMortem(server, console.error);
 * ```
 */
export async function servePostMortem(
  server: MonitorServer,
  print: (line: string) => void,
): Promise<void> {
  print(`monitor: the run is over; still serving it on ${server.url} — Ctrl-C to exit`);
  try {
    await untilInterrupted();
  } finally {
    await server.shutdown();
  }
}

/**
 * Resolves at the first Ctrl-C (or SIGTERM), then stops listening for them.
 *
 * @example
 * ```ts ignore
 * // waits for Ctrl-C
 * import { untilInterrupted } from "./monitor_hook.ts";
 * await untilInterrupted();
 * ```
 */
export function untilInterrupted(): Promise<void> {
  const { promise, resolve } = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const done = () => {
    for (const signal of signals) Deno.removeSignalListener(signal, done);
    resolve();
  };
  for (const signal of signals) Deno.addSignalListener(signal, done);
  return promise;
}

/**
 * Ends the monitor after the run's report: at once with `exit` (given
 * `--monitor-exit`, or after a Ctrl-C during the run, which means leave),
 * else after a post-mortem look. Resolves with `code`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job } from "@baton/baton";
 * import { afterRun, startMonitor } from "./monitor_hook.ts";
 * const flow = new Flow(job(() => 1));
 * const server = startMonitor(flow, 0, () => {});
 * const code = (await flow.run()) ? 0 : 1;
 * // exit = true: shut the monitor down now (false serves it until Ctrl-C)
 * assert.equal(await afterRun(server, true, code), 0);
 * ```
 */
export async function afterRun(
  server: MonitorServer | undefined,
  exit: boolean,
  code: number,
): Promise<number> {
  if (server && !exit) await servePostMortem(server, (line) => err(`${line}\n`));
  else await server?.shutdown();
  return code;
}
