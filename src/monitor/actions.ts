/**
 * The monitor's actions, all behind the token: stop everything, cancel or
 * retry one future, cancel one job.
 *
 * @module
 */

// deno-lint-ignore no-import-prefix
import type { Hono, MiddlewareHandler } from "npm:hono@4.13.19";
import { TaskJob } from "../flow/job.ts";
import type { MonitorContext } from "./context.ts";
import { findCall, findJob } from "./explorer.ts";
import { BadRequest, idParam } from "./params.ts";

/** Adds `POST /api/stop`, `/api/futures/:id/cancel|retry` and `/api/jobs/:id/cancel`. */
export function addActionRoutes(app: Hono, ctx: MonitorContext, auth: MiddlewareHandler): void {
  const { targets, recorder } = ctx;

  app.post("/api/stop", auth, (c) => {
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

  app.post("/api/futures/:id/cancel", auth, (c) => {
    const call = findCall(recorder.allCalls(), idParam(c));
    if (!call) throw new BadRequest(`no future ${c.req.param("id")} in this monitor`, 404);
    const { future } = call;
    if (future.done) {
      throw new BadRequest(
        `future ${future.id} is already ${future.status}: nothing to cancel`,
        409,
      );
    }
    return c.json({ id: future.id, cancelled: future.cancel(), status: future.status });
  });

  app.post("/api/futures/:id/retry", auth, (c) => {
    const call = findCall(recorder.allCalls(), idParam(c));
    if (!call) throw new BadRequest(`no future ${c.req.param("id")} in this monitor`, 404);
    const { future } = call;
    const scheduler = targets.schedulers[call.scheduler];
    if (!future.done) {
      throw new BadRequest(
        `future ${future.id} is still ${future.status}: cancel it first, or wait for it`,
        409,
      );
    }
    if (!scheduler.running()) {
      throw new BadRequest(
        `scheduler ${JSON.stringify(scheduler.name)} is not running: a retry is a new call, ` +
          `and only a running scheduler takes calls`,
        409,
      );
    }
    // The same call again, through its task so that its plugins and callbacks apply.
    const retried = future.task
      ? future.task.submit(...future.args)
      : scheduler.submit(future.fn as (...args: unknown[]) => unknown, ...future.args);
    if (!retried) {
      throw new BadRequest(
        `task ${JSON.stringify(future.task?.name)} refused the call: one of its plugins vetoed it`,
        409,
      );
    }
    return c.json({ id: future.id, retry: retried.id });
  });

  app.post("/api/jobs/:id/cancel", auth, (c) => {
    const found = findJob(targets, idParam(c));
    if (!found) throw new BadRequest(`no job ${c.req.param("id")} in this monitor`, 404);
    const { job } = found;
    if (job.state !== "running" || job.cancelled) {
      throw new BadRequest(
        `job ${JSON.stringify(job.label)} is not running (${job.state}): nothing to cancel`,
        409,
      );
    }
    const future = recorder.job(job)?.future;
    if (!(job instanceof TaskJob) || !future) {
      throw new BadRequest(
        `job ${JSON.stringify(job.label)} cannot be cancelled alone: only a task job's call can ` +
          `(a flow runs the others to the end); stop the whole run instead`,
        409,
      );
    }
    return c.json({ id: targets.jobId(job), future: future.id, cancelled: future.cancel() });
  });
}
