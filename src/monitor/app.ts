/**
 * `monitor()`: the Hono app with the dashboard, status, events, metrics and
 * stop routes.
 *
 * @module
 */

// deno-lint-ignore no-import-prefix
import { type Context, Hono } from "npm:hono@4.13.19";
import { checkOptions, quote } from "../options.ts";
import { parseSize, type Size } from "../units.ts";
import { addActionRoutes } from "./actions.ts";
import { bearer } from "./auth.ts";
import type { MonitorContext } from "./context.ts";
import { dashboardHtml } from "./page/shell.ts";
import { EventHub } from "./events.ts";
import { DEFAULT_BUCKETS, Histograms, renderMetrics } from "./metrics.ts";
import { BadRequest } from "./params.ts";
import { fedQueueMonitor, type QueueMonitor, type QueueMonitorOptions } from "./queue_monitor.ts";
import { addReadRoutes } from "./read_routes.ts";
import { Recorder } from "./recorder.ts";
import { isRunSource, type RunSource } from "./runs.ts";
import { addRunRoutes } from "./runs_routes.ts";
import { buildStatus } from "./status.ts";
import { type MonitorTarget, Targets } from "./target.ts";

/**
 * Options of {@linkcode monitor} (and of {@linkcode serveMonitor}).
 *
 * @example
 * ```ts
 * import { monitor, type MonitorOptions, Scheduler } from "@baton/baton";
 * const options: MonitorOptions = { token: "s3cret", protectReads: true, bufferSize: 5000 };
 * const app = monitor(Scheduler.sequential(), options);
 * ```
 * @category Monitor
 */
export interface MonitorOptions {
  /**
   * Secret for `Authorization: Bearer <token>`. Without it every mutating
   * route (`POST /api/stop`) is absent (404).
   */
  token?: string;
  /**
   * Whether the read routes (`/`, `/api/status`, `/api/events`, `/metrics`)
   * need the token too (default `false`). They then also accept `?token=`,
   * which is how the dashboard page passes it on to its own requests.
   */
  protectReads?: boolean;
  /** Events kept for `Last-Event-ID` resume (default 1000). */
  bufferSize?: number;
  /** Bytes an SSE client may have queued before it is dropped (default 1 MiB). */
  clientBuffer?: number;
  /** Milliseconds between pushes to SSE clients (default 50). */
  flushInterval?: number;
  /**
   * Events per second sent to each SSE client at most (default 1000; a burst up to it goes out whole): past
   * it, a client gets the newest events and a `gap` event with the number
   * skipped, so a scheduler running flat out cannot turn the monitor into
   * its bottleneck. Counts in `/api/status` and `/metrics` stay exact.
   */
  maxEventRate?: number;
  /** Upper bounds (seconds) of the task-duration histogram buckets. */
  buckets?: number[];
  /** The dashboard's title (default `"baton monitor"`). */
  title?: string;
  /** When aborted, the monitor ends its SSE streams and unsubscribes from every emitter. */
  signal?: AbortSignal;
  /** How each scheduler's queue history (`GET /api/history`) is sampled. */
  history?: QueueMonitorOptions;
  /**
   * Finished futures the explorer keeps per scheduler (default 1000); beyond,
   * the oldest go (failures stay in the failures panel). Futures in flight
   * are always kept. Raise it (Flower keeps 10 000) to browse further back:
   * every kept call outlives the young generation, and on a scheduler running
   * trivial tasks flat out 10 000 of them made the garbage collector the
   * monitor's largest cost.
   */
  maxFutures?: number;
  /** Lines of output kept per future or job for the log tail (default 1000). */
  logLines?: number;
  /** Output kept for the log tail in all (default `"32MB"`); the oldest goes first. */
  logBytes?: Size;
  /** Past runs to browse (`GET /api/runs`…), e.g. the run store of `baton serve`. */
  runs?: RunSource;
}

/**
 * What {@linkcode monitor} returns: a `Hono` app (`instanceof Hono` holds),
 * typed by the two members most callers need so that the API documents
 * itself without the `hono` package's types. To mount it in your own Hono
 * app, name it as a `Hono`: `app.route("/monitor", monitor(s) as Hono)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { monitor, type MonitorApp, Scheduler } from "@baton/baton";
 * const app: MonitorApp = monitor(Scheduler.sequential());
 * const res = await app.request("/api/status");
 * assert.equal(res.status, 200);
 * await res.body?.cancel();
 * // app.fetch serves it: Deno.serve({ port: 8080 }, app.fetch)
 * ```
 * @category Monitor
 */
export interface MonitorApp {
  /** Answers an HTTP request (what `Deno.serve` calls). */
  fetch(request: Request, env?: unknown, ctx?: unknown): Response | Promise<Response>;
  /** Answers a request for `path` without a server, as in tests: `app.request("/api/status")`. */
  request(path: string | URL | Request, init?: RequestInit): Response | Promise<Response>;
}

/** The keys of {@linkcode MonitorOptions}. */
export const MONITOR_OPTION_KEYS: readonly string[] = [
  "token",
  "protectReads",
  "bufferSize",
  "clientBuffer",
  "flushInterval",
  "maxEventRate",
  "buckets",
  "title",
  "signal",
  "history",
  "maxFutures",
  "logLines",
  "logBytes",
  "runs",
];

/**
 * A Hono app that watches a `Scheduler`, a `Flow`, or an array of
 * them. Mount it in your own app (`app.route("/monitor", monitor(s))`) or
 * serve it with {@linkcode serveMonitor}.
 *
 * Routes: `GET /` (live dashboard), `GET /api/status` (JSON),
 * `GET /api/events` (server-sent events; resume with `Last-Event-ID` or
 * `?after=<id>`), `GET /metrics` (Prometheus text), and, only with a token,
 * `POST /api/stop`.
 *
 * The monitor learns of events through hidden handlers; recording one costs
 * a small object, and clients are fed from a timer, never awaited.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "npm:hono@4.13.19";
 * import { monitor, Scheduler } from "@baton/baton";
 *
 * const scheduler = Scheduler.sequential();
 * const app = new Hono();
 * app.route("/monitor", monitor(scheduler, { token: "s3cret" }) as Hono);
 * const res = await app.request("/monitor/api/status");
 * assert.equal((await res.json()).schedulers[0].name, "scheduler");
 * ```
 * @category Monitor
 */
export function monitor(target: MonitorTarget, options: MonitorOptions = {}): MonitorApp {
  const opts = checkMonitorOptions(options);
  const targets = new Targets(target, opts.runs !== undefined);
  const histograms = new Histograms(opts.buckets);
  const recorder = new Recorder(histograms, {
    maxFutures: opts.maxFutures,
    logLines: opts.logLines,
    logBytes: opts.logBytes,
  }, (job) => targets.jobId(job));
  const hub = new EventHub(targets, recorder, {
    bufferSize: opts.bufferSize,
    clientBuffer: opts.clientBuffer,
    flushInterval: opts.flushInterval,
    maxEventRate: opts.maxEventRate,
  });
  const queues: QueueMonitor[] = [];
  targets.onScheduler = (scheduler, index) => {
    hub.watchScheduler(scheduler, index, (calls) => {
      const { queue, observe } = fedQueueMonitor(scheduler, opts.history, calls.inFlight);
      queues[index] = queue;
      return observe;
    });
  };
  targets.onFlow = (flow, index) => hub.watchFlow(flow, index);
  targets.adopt(target);
  const close = () => {
    hub.close();
    for (const queue of queues) queue.close();
  };
  if (opts.signal) {
    if (opts.signal.aborted) close();
    else opts.signal.addEventListener("abort", close, { once: true });
  }
  const ctx: MonitorContext = { targets, hub, recorder, histograms, queues, runs: opts.runs };

  const app = new Hono();
  app.onError((error, c) => {
    if (error instanceof BadRequest) return c.json({ error: error.message }, error.status);
    throw error;
  });
  const token = opts.token;
  app.use("*", async (c, next) => {
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
  });
  if (token !== undefined && opts.protectReads) app.use("*", bearer(token, true));

  app.get("/", (c) => {
    const nonce = crypto.randomUUID().replaceAll("-", "");
    c.header(
      "Content-Security-Policy",
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
        `connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; ` +
        `frame-ancestors 'none'`,
    );
    return c.html(dashboardHtml({
      nonce,
      title: opts.title,
      canAct: token !== undefined,
      hasRuns: opts.runs !== undefined,
    }));
  });

  app.get("/api/status", (c) => c.json(buildStatus(targets, hub)));

  app.get("/api/events", (c) => {
    const after = resumePoint(c);
    if (after instanceof Response) return after;
    return new Response(hub.stream(after), {
      headers: {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-store",
        "X-Accel-Buffering": "no",
      },
    });
  });

  app.get("/metrics", (c) => {
    return c.body(renderMetrics(buildStatus(targets, hub), histograms), 200, {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });

  addReadRoutes(app, ctx);
  if (opts.runs) addRunRoutes(app, opts.runs);
  if (token !== undefined) addActionRoutes(app, ctx, bearer(token, false));
  return app;
}

/** `Last-Event-ID` (what browsers send on reconnecting) wins over `?after=`. */
function resumePoint(c: Context): number | undefined | Response {
  const raw = c.req.header("Last-Event-ID") ?? c.req.query("after");
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) {
    return c.json(
      { error: `bad event id ${JSON.stringify(raw)}: expected a non-negative integer` },
      400,
    );
  }
  return n;
}

type CheckedOptions =
  & MonitorOptions
  & Required<
    Pick<
      MonitorOptions,
      "bufferSize" | "clientBuffer" | "flushInterval" | "maxEventRate" | "maxFutures" | "logLines"
    >
  >
  & { buckets: number[]; logBytes: number };

function checkMonitorOptions(options: MonitorOptions): CheckedOptions {
  checkOptions(options, MONITOR_OPTION_KEYS, "monitor()", {
    port: "monitor() returns an app; to listen on a port use serveMonitor(target, { port })",
    hostname: "monitor() returns an app; to listen use serveMonitor(target, { hostname })",
  });
  const { token, protectReads, title, signal, runs } = options ?? {};
  if (token !== undefined && (typeof token !== "string" || token.length === 0)) {
    throw new TypeError(`Monitor option token must be a non-empty string, got ${quote(token)}`);
  }
  if (protectReads !== undefined && typeof protectReads !== "boolean") {
    throw new TypeError(
      `Monitor option protectReads must be true or false, got ${quote(protectReads)}`,
    );
  }
  if (protectReads && token === undefined) {
    throw new TypeError("Monitor option protectReads: true needs a token to check against");
  }
  if (title !== undefined && typeof title !== "string") {
    throw new TypeError(`Monitor option title must be a string, got ${quote(title)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`Monitor option signal must be an AbortSignal, got ${quote(signal)}`);
  }
  if (runs !== undefined && !isRunSource(runs)) {
    throw new TypeError(
      `Monitor option runs must be a RunSource (an object with runs, jobs, events and logs ` +
        `methods), got ${quote(runs)}`,
    );
  }
  return {
    ...options,
    bufferSize: positiveInt("bufferSize", options?.bufferSize, 1000),
    clientBuffer: positiveInt("clientBuffer", options?.clientBuffer, 1024 * 1024),
    flushInterval: positiveInt("flushInterval", options?.flushInterval, 50),
    maxEventRate: positiveInt("maxEventRate", options?.maxEventRate, 1_000),
    maxFutures: positiveInt("maxFutures", options?.maxFutures, 1_000),
    logLines: positiveInt("logLines", options?.logLines, 1000),
    logBytes: parseSize(options?.logBytes ?? "32MB"),
    buckets: options?.buckets ?? [...DEFAULT_BUCKETS],
  };
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`Monitor option ${name} must be a positive integer, got ${quote(value)}`);
  }
  return value;
}
