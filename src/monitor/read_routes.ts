/**
 * The explorer's read routes: futures and jobs (paged, filtered), their
 * detail and whole texts, failures, queue history, timeline, durations and
 * the log tail.
 *
 * @module
 */

// deno-lint-ignore no-import-prefix
import type { Context, Hono } from "npm:hono@4.13.19";
import type { MonitorContext } from "./context.ts";
import {
  failures,
  findCall,
  findJob,
  FUTURE_STATES,
  futureDetail,
  JOB_STATES,
  jobDetail,
  queryFutures,
  queryJobs,
} from "./explorer.ts";
import { BadRequest, idParam, intParam, newestFirst, statesParam } from "./params.ts";
import { futureKey, jobKey } from "./recorder.ts";
import { buildTimeline, durations } from "./timeline.ts";
import { cut, errorText, fullText } from "./text.ts";

/** Characters of one log line the tail shows; the raw route has the rest. */
const LINE_VIEW = 2000;

/** Whole text as a plain-text download that no browser renders as markup. */
export function rawText(c: Context, text: string): Response {
  return c.body(text, 200, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "no-store",
  });
}

function schedulerParam(ctx: MonitorContext, c: Context): number | undefined {
  const n = ctx.targets.schedulers.length;
  return intParam(c, "scheduler", undefined, 0, Math.max(0, n - 1));
}

/** Adds the read routes to `app`. */
export function addReadRoutes(app: Hono, ctx: MonitorContext): void {
  const { targets, recorder } = ctx;
  const jobId = (job: Parameters<typeof targets.jobId>[0]) => targets.jobId(job);

  app.get("/api/futures", (c) => {
    const page = queryFutures(
      recorder.allCalls(),
      {
        scheduler: schedulerParam(ctx, c),
        states: statesParam(c, FUTURE_STATES),
        group: c.req.query("task") || undefined,
        offset: intParam(c, "offset", 0)!,
        limit: intParam(c, "limit", 100, 1, 1000)!,
        newestFirst: newestFirst(c),
      },
      recorder,
      jobId,
    );
    return c.json(page);
  });

  app.get("/api/futures/:id", (c) => {
    const call = findCall(recorder.allCalls(), idParam(c));
    if (!call) throw new BadRequest(`no future ${c.req.param("id")} in this monitor`, 404);
    return c.json(futureDetail(call, recorder, jobId));
  });

  app.get("/api/futures/:id/raw/:part", (c) => {
    const call = findCall(recorder.allCalls(), idParam(c));
    if (!call) throw new BadRequest(`no future ${c.req.param("id")} in this monitor`, 404);
    const part = c.req.param("part");
    const { future } = call;
    if (part === "args") return rawText(c, fullText(future.args));
    if (part === "result" && future.status === "fulfilled") {
      return rawText(c, fullText(future.value));
    }
    if (part === "error" && (future.status === "rejected" || future.status === "cancelled")) {
      return rawText(c, errorText(future.error));
    }
    throw new BadRequest(
      `future ${future.id} (${future.status}) has no ${JSON.stringify(part)}: expected args, ` +
        `result (fulfilled) or error (rejected, cancelled)`,
      404,
    );
  });

  app.get("/api/jobs", (c) => {
    const flow = intParam(c, "flow", undefined, 0, Math.max(0, targets.flows.length - 1));
    for (const f of [...targets.flows]) targets.rescanFlow(f);
    return c.json(queryJobs(targets, {
      flow,
      states: statesParam(c, JOB_STATES),
      group: c.req.query("flowLabel") || undefined,
      offset: intParam(c, "offset", 0)!,
      limit: intParam(c, "limit", 100, 1, 1000)!,
      // Jobs list in the order they were defined unless asked otherwise.
      newestFirst: c.req.query("order") === undefined ? false : newestFirst(c),
    }, recorder));
  });

  app.get("/api/jobs/:id", (c) => {
    const found = findJob(targets, idParam(c));
    if (!found) throw new BadRequest(`no job ${c.req.param("id")} in this monitor`, 404);
    return c.json(jobDetail(found.job, found.flow, targets, recorder));
  });

  app.get("/api/jobs/:id/raw/:part", (c) => {
    const found = findJob(targets, idParam(c));
    if (!found) throw new BadRequest(`no job ${c.req.param("id")} in this monitor`, 404);
    const { job } = found;
    const part = c.req.param("part");
    if (part === "result" && job.isDone() && !job.failed) return rawText(c, fullText(job.result));
    if (part === "error" && job.failed) return rawText(c, errorText(job.error));
    throw new BadRequest(
      `job ${c.req.param("id")} has no ${
        JSON.stringify(part)
      }: expected result (done) or error (failed)`,
      404,
    );
  });

  app.get("/api/failures", (c) => {
    return c.json(
      failures(recorder.allCalls(), targets, recorder, intParam(c, "limit", 50, 1, 500)!),
    );
  });

  app.get("/api/history", (c) => {
    if (ctx.queues.length === 0) return c.json([]);
    const index = schedulerParam(ctx, c) ?? 0;
    return c.json(ctx.queues[index]?.rows() ?? []);
  });

  app.get("/api/timeline", (c) => {
    const index = schedulerParam(ctx, c) ?? 0;
    return c.json(buildTimeline(recorder.calls(index), targets, recorder, {
      from: intParam(c, "from", undefined),
      to: intParam(c, "to", undefined),
      window: intParam(c, "window", 60_000, 1)!,
      limit: intParam(c, "limit", 2000, 1, 20_000)!,
    }));
  });

  app.get("/api/durations", (c) => {
    const index = schedulerParam(ctx, c);
    const logs = index === undefined ? recorder.allCalls() : [recorder.calls(index)!];
    return c.json(durations(logs, c.req.query("task") || undefined));
  });

  app.get("/api/logs", (c) => {
    const key = logKey(c);
    const page = recorder.logs.read(
      key,
      intParam(c, "after", 0)!,
      intParam(c, "limit", 500, 1, 5000)!,
    );
    return c.json({
      dropped: page.dropped,
      lines: page.lines.map((line) => {
        const view = cut(line.text, LINE_VIEW);
        return {
          seq: line.seq,
          time: Math.round(line.time),
          stream: line.stream,
          text: view.text,
          size: view.size,
          truncated: view.truncated,
          open: line.open,
        };
      }),
    });
  });

  app.get("/api/logs/raw", (c) => rawText(c, recorder.logs.text(logKey(c)) ?? ""));
}

function logKey(c: Context): string {
  const future = intParam(c, "future", undefined);
  const job = intParam(c, "job", undefined);
  if ((future === undefined) === (job === undefined)) {
    throw new BadRequest("the log tail needs one of ?future=ID or ?job=ID");
  }
  return future !== undefined ? futureKey(future) : jobKey(job!);
}
