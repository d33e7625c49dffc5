/**
 * Routes of past runs, read from a {@linkcode RunSource}.
 *
 * @module
 */

// deno-lint-ignore no-import-prefix
import type { Context, Hono } from "npm:hono@4.13.19";
import { BadRequest, intParam } from "./params.ts";
import { rawText } from "./read_routes.ts";
import type { RunSource } from "./runs.ts";
import { cut } from "./text.ts";

const LINE_VIEW = 2000;

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new BadRequest(`no ${what}`, 404);
  return value;
}

/** Adds `GET /api/runs`, `/api/runs/:run/jobs`, `/events` and `/logs/:job`. */
export function addRunRoutes(app: Hono, runs: RunSource): void {
  const run = (c: Context) => c.req.param("run")!;
  app.get("/api/runs", async (c) => c.json(await runs.runs()));
  app.get("/api/runs/:run/jobs", async (c) => {
    return c.json(found(await runs.jobs(run(c)), `run ${JSON.stringify(run(c))}`));
  });
  app.get("/api/runs/:run/events", async (c) => {
    return c.json(found(await runs.events(run(c)), `run ${JSON.stringify(run(c))}`));
  });
  app.get("/api/runs/:run/logs/:job", async (c) => {
    const job = c.req.param("job")!;
    const raw = c.req.query("raw") === "1";
    const lines = found(
      await runs.logs(run(c), job, {
        after: intParam(c, "after", 0)!,
        limit: raw ? Number.MAX_SAFE_INTEGER : intParam(c, "limit", 500, 1, 5000)!,
      }),
      `log of job ${JSON.stringify(job)} in run ${JSON.stringify(run(c))}`,
    );
    if (raw) return rawText(c, lines.map((l) => `${l.text}\n`).join(""));
    return c.json(lines.map((line) => {
      const view = cut(line.text, LINE_VIEW);
      return { ...line, text: view.text, size: view.size, truncated: view.truncated };
    }));
  });
}
