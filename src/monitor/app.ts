/**
 * `monitor()`: the Hono app with the dashboard, status, events, metrics and
 * stop routes.
 *
 * @module
 */

// deno-lint-ignore no-import-prefix
import { type Context, Hono, type MiddlewareHandler } from "npm:hono@4.13.19";
import { dashboardHtml } from "./dashboard.ts";
import { EventHub } from "./events.ts";
import { DEFAULT_BUCKETS, Histograms, renderMetrics } from "./metrics.ts";
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
}

/**
 * What {@linkcode monitor} returns: a `Hono` app (`instanceof Hono` holds),
 * typed by the two members most callers need so that the API documents
 * itself without the `hono` package's types. To mount it in your own Hono
 * app, name it as a `Hono`: `app.route("/monitor", monitor(s) as Hono)`.
 *
 * @example
 * ```ts
 * import { monitor, type MonitorApp, Scheduler } from "@baton/baton";
 * const app: MonitorApp = monitor(Scheduler.sequential());
 * const res = await app.request("/metrics");
 * Deno.serve({ port: 0, onListen() {} }, app.fetch).shutdown();
 * ```
 */
export interface MonitorApp {
  /** Answers an HTTP request (what `Deno.serve` calls). */
  fetch(request: Request, env?: unknown, ctx?: unknown): Response | Promise<Response>;
  /** Answers a request for `path` without a server, as in tests: `app.request("/api/status")`. */
  request(path: string | URL | Request, init?: RequestInit): Response | Promise<Response>;
}

const OPTION_KEYS = [
  "token",
  "protectReads",
  "bufferSize",
  "clientBuffer",
  "flushInterval",
  "maxEventRate",
  "buckets",
  "title",
  "signal",
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
 * import { Hono } from "npm:hono@4.13.19";
 * import { monitor, Scheduler } from "@baton/baton";
 *
 * const scheduler = Scheduler.sequential();
 * const app = new Hono();
 * app.route("/monitor", monitor(scheduler, { token: "s3cret" }) as Hono);
 * const res = await app.request("/monitor/api/status");
 * console.log((await res.json()).schedulers[0].name); // "scheduler"
 * ```
 */
export function monitor(target: MonitorTarget, options: MonitorOptions = {}): MonitorApp {
  const opts = checkOptions(options);
  const targets = new Targets(target);
  const histograms = new Histograms(opts.buckets);
  const hub = new EventHub(targets, histograms, {
    bufferSize: opts.bufferSize,
    clientBuffer: opts.clientBuffer,
    flushInterval: opts.flushInterval,
    maxEventRate: opts.maxEventRate,
  });
  targets.onScheduler = (scheduler, index) => hub.watchScheduler(scheduler, index);
  targets.onFlow = (flow, index) => hub.watchFlow(flow, index);
  targets.adopt(target);
  if (opts.signal) {
    if (opts.signal.aborted) hub.close();
    else opts.signal.addEventListener("abort", () => hub.close(), { once: true });
  }

  const app = new Hono();
  const token = opts.token;
  if (token !== undefined && opts.protectReads) app.use("*", bearer(token, true));

  app.get("/", (c) => {
    const nonce = crypto.randomUUID().replaceAll("-", "");
    c.header(
      "Content-Security-Policy",
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
        `connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; ` +
        `frame-ancestors 'none'`,
    );
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Cache-Control", "no-store");
    return c.html(dashboardHtml({ nonce, title: opts.title, canStop: token !== undefined }));
  });

  app.get("/api/status", (c) => {
    c.header("Cache-Control", "no-store");
    return c.json(buildStatus(targets, hub));
  });

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
      "Cache-Control": "no-store",
    });
  });

  if (token !== undefined) {
    app.post("/api/stop", bearer(token, false), (c) => {
      const stopped: string[] = [];
      for (const scheduler of targets.schedulers) {
        if (!scheduler.running()) continue;
        scheduler.stop({ reason: "stopped from the monitor" });
        stopped.push(`scheduler ${scheduler.name}`);
      }
      for (const flow of targets.flows) {
        if (!flow.running() || flow.flow) continue;
        flow.stop("stopped from the monitor");
        stopped.push(`flow ${flow.label}`);
      }
      return c.json({ stopped });
    });
  }
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

function bearer(token: string, allowQuery: boolean): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header("Authorization");
    let given: string | undefined;
    if (header !== undefined) {
      const match = /^Bearer\s+(.+)$/i.exec(header.trim());
      given = match?.[1];
    } else if (allowQuery && c.req.method === "GET") {
      given = c.req.query("token");
    }
    if (given === undefined || !sameSecret(given, token)) {
      c.header("WWW-Authenticate", 'Bearer realm="baton monitor"');
      return c.json(
        {
          error: given === undefined
            ? "missing token: send Authorization: Bearer <token>"
            : "wrong token",
        },
        401,
      );
    }
    await next();
  };
}

/** Compares in time that depends on the length only. */
function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < y.length; i++) diff |= (x[i] ?? 0) ^ y[i];
  return diff === 0;
}

type CheckedOptions =
  & Required<Pick<MonitorOptions, "bufferSize" | "clientBuffer" | "flushInterval" | "maxEventRate">>
  & MonitorOptions
  & { buckets: number[] };

function checkOptions(options: MonitorOptions): CheckedOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Monitor options must be an object, got ${String(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key) && key !== "hostname" && key !== "port") {
      throw new TypeError(
        `Unknown monitor option "${key}"; accepted: ${OPTION_KEYS.join(", ")}` +
          " (and hostname, port for serveMonitor)",
      );
    }
  }
  const { token, protectReads, title, signal } = options;
  if (token !== undefined && (typeof token !== "string" || token.length === 0)) {
    throw new TypeError(
      `Monitor option token must be a non-empty string, got ${JSON.stringify(token)}`,
    );
  }
  if (protectReads !== undefined && typeof protectReads !== "boolean") {
    throw new TypeError(
      `Monitor option protectReads must be true or false, got ${JSON.stringify(protectReads)}`,
    );
  }
  if (protectReads && token === undefined) {
    throw new TypeError("Monitor option protectReads: true needs a token to check against");
  }
  if (title !== undefined && typeof title !== "string") {
    throw new TypeError(`Monitor option title must be a string, got ${JSON.stringify(title)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`Monitor option signal must be an AbortSignal, got ${String(signal)}`);
  }
  return {
    ...options,
    bufferSize: positiveInt("bufferSize", options.bufferSize, 1000),
    clientBuffer: positiveInt("clientBuffer", options.clientBuffer, 1024 * 1024),
    flushInterval: positiveInt("flushInterval", options.flushInterval, 50),
    maxEventRate: positiveInt("maxEventRate", options.maxEventRate, 1_000),
    buckets: options.buckets ?? [...DEFAULT_BUCKETS],
  };
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(
      `Monitor option ${name} must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
