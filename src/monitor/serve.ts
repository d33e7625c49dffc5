/**
 * `serveMonitor()`: the monitor on its own HTTP server, loopback by default.
 *
 * @module
 */

import { checkOptions } from "../options.ts";
import { monitor, MONITOR_OPTION_KEYS, type MonitorOptions } from "./app.ts";
import type { MonitorTarget } from "./target.ts";

/**
 * Options of {@linkcode serveMonitor}: where to listen, plus every
 * {@linkcode MonitorOptions}.
 *
 * @example
 * ```ts
 * import type { ServeMonitorOptions } from "@baton/baton";
 * const options: ServeMonitorOptions = { hostname: "0.0.0.0", port: 8080, token: "s3cret" };
 * ```
 * @category Monitor
 */
export interface ServeMonitorOptions extends MonitorOptions {
  /**
   * Address to bind (default `"127.0.0.1"`). Anything but loopback needs a
   * `token`, and then the read routes need it too unless `protectReads` is
   * set to `false`.
   */
  hostname?: string;
  /** Port (default `0`: any free port; see `url`). */
  port?: number;
}

/**
 * A running monitor server.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type MonitorServer, Scheduler, serveMonitor } from "@baton/baton";
 * const server: MonitorServer = serveMonitor(Scheduler.sequential());
 * assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/); // a free port
 * await server.shutdown();
 * ```
 * @category Monitor
 */
export interface MonitorServer {
  /** The dashboard's address, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  /** Ends the SSE streams, unsubscribes from the emitters and closes the server. */
  shutdown(): Promise<void>;
}

/**
 * Serves {@linkcode monitor} with `Deno.serve`, on `127.0.0.1` and a free
 * port by default.
 *
 * Safety: it refuses a non-loopback `hostname` without a `token`; on
 * loopback it answers only requests whose `Host` is a loopback name (which
 * defeats DNS rebinding); the dashboard renders user text as text only.
 *
 * @throws {TypeError} on a non-loopback hostname without a token, or a bad port.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler, serveMonitor } from "@baton/baton";
 *
 * const scheduler = Scheduler.sequential();
 * const task = scheduler.task((n: number) => n * 2);
 * scheduler.onStart(() => task.submit(21));
 * const server = serveMonitor(scheduler); // open server.url in a browser
 * await scheduler.run();
 * const status = await (await fetch(`${server.url}api/status`)).json();
 * assert.equal(status.schedulers[0].name, "scheduler");
 * await server.shutdown();
 * ```
 * @category Monitor
 */
export function serveMonitor(
  target: MonitorTarget,
  options: ServeMonitorOptions = {},
): MonitorServer {
  checkOptions(options, [...MONITOR_OPTION_KEYS, "hostname", "port"], "serveMonitor()");
  const { hostname = "127.0.0.1", port = 0, ...rest } = options ?? {};
  if (typeof hostname !== "string" || hostname.length === 0) {
    throw new TypeError(
      `serveMonitor option hostname must be a non-empty string, got ${JSON.stringify(hostname)}`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(
      `serveMonitor option port must be an integer from 0 to 65535 (0: any free port), got ${
        JSON.stringify(port)
      }`,
    );
  }
  const loopback = isLoopback(hostname);
  if (!loopback && rest.token === undefined) {
    throw new TypeError(
      `serveMonitor refuses to listen on "${hostname}" without a token: anyone on the network ` +
        `could read it. Accepted: a loopback hostname (127.0.0.1, ::1, localhost), or pass ` +
        `{ token } (then send Authorization: Bearer <token>)`,
    );
  }
  const controller = new AbortController();
  const app = monitor(target, {
    ...rest,
    protectReads: rest.protectReads ?? (!loopback && rest.token !== undefined),
    signal: rest.signal ? AbortSignal.any([rest.signal, controller.signal]) : controller.signal,
  });
  const server = Deno.serve({ hostname, port, onListen: () => {} }, (request, info) => {
    if (loopback && !loopbackHost(request.headers.get("host"))) {
      return new Response("Forbidden: this monitor answers loopback host names only\n", {
        status: 403,
      });
    }
    return app.fetch(request, info);
  });
  const address = server.addr as Deno.NetAddr;
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}/`,
    shutdown() {
      // SSE responses never end by themselves: end them first, or shutdown() would wait forever.
      closing ??= (async () => {
        controller.abort();
        await server.shutdown();
      })();
      return closing;
    },
  };
}

function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

function loopbackHost(header: string | null): boolean {
  if (header === null) return true;
  const name = header.startsWith("[")
    ? header.slice(0, header.indexOf("]") + 1)
    : header.replace(/:\d+$/, "");
  return isLoopback(name) || name.toLowerCase().endsWith(".localhost");
}
