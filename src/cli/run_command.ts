/**
 * `baton run`: load, open the run store, build, watch, run (recorded, maybe
 * resuming), report; Ctrl-C stops gracefully.
 *
 * @module
 */

import { dirname, join, relative, resolve } from "node:path";
import { DurableRun, reuseOf } from "../flow/durable.ts";
import { Flow } from "../flow/flow.ts";
import { sha256 } from "../store/codec.ts";
import { RunStore } from "../store/run_store.ts";
import { HELP, parseRunArgs } from "./args.ts";
import { EXIT } from "./errors.ts";
import { err, out } from "./io.ts";
import { afterRun, startMonitor } from "./monitor_hook.ts";
import type { MonitorServer } from "../monitor/mod.ts";
import { jsonView } from "./progress/json.ts";
import { plainView } from "./progress/plain.ts";
import { ttyView } from "./progress/tty.ts";
import { allJobs, errorLine, type ProgressView } from "./progress/watch.ts";
import { isRetrying } from "./workflow/jobs.ts";
import { type PreparedWorkflow, prepareWorkflow } from "./workflow/prepare.ts";

function failures(flow: Flow): string[] {
  return allJobs(flow)
    .filter(({ job }) => job.failed && !(job instanceof Flow))
    .map(({ job, path }) => `  ✖ ${path}: ${errorLine(job.error)}`);
}

/** A path relative to the working directory when that is shorter, for messages. */
function display(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel.length < path.length ? rel : path;
}

/** Runs `baton run …`; returns the exit code. */
export async function runCommand(args: string[]): Promise<number> {
  const options = parseRunArgs(args);
  if (options.help) {
    out(HELP.run);
    return EXIT.ok;
  }
  // Every problem of the file first (modules and exports included), all at once.
  const built = await prepareWorkflow(options.file, {
    executor: options.executor,
    workers: options.workers,
    timeout: options.timeout,
  });
  const workflow = resolve(options.file);
  // Before anything is run: a store that cannot be used, or an unknown run, is exit 2.
  const store = RunStore.open(options.store ?? join(dirname(workflow), ".baton"));
  try {
    if (typeof options.resume === "string") store.requireRun(options.resume, workflow);
    return await runRecorded(options, built, workflow, store);
  } finally {
    store.close();
  }
}

async function runRecorded(
  options: ReturnType<typeof parseRunArgs>,
  built: PreparedWorkflow,
  workflow: string,
  store: RunStore,
): Promise<number> {
  const { flow } = built;
  // The view needs the run, and the run's output goes to the view: bound once both exist.
  const shown: { view?: ProgressView } = {};
  const early: string[] = [];
  const durable = DurableRun.open(flow, {
    store,
    workflow,
    workflowHash: sha256(Deno.readFileSync(workflow)),
    resume: options.resume,
    cache: options.cache,
    onOutput: ({ key, text, stream }) => shown.view?.output(key, text, stream),
    onWarning: (message) =>
      shown.view ? shown.view.message(`baton: ${message}`) : early.push(message),
  });
  const context = { flow, limits: built.limits, write: out, run: durable };
  const view: ProgressView = shown.view = options.json
    ? jsonView(context)
    : Deno.stdout.isTerminal()
    ? ttyView(context)
    : plainView(context, { message: err });
  if (!options.json) {
    err(
      `baton: run ${durable.id}${
        durable.resumedFrom ? ` (resumes run ${durable.resumedFrom})` : ""
      }, logs in ${display(durable.logsFolder)}\n`,
    );
  }
  for (const message of early) view.message(`baton: ${message}`);

  let monitor: MonitorServer | undefined;
  if (options.monitor !== undefined) {
    monitor = startMonitor(flow, options.monitor, (line) => err(`${line}\n`));
  }

  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) {
      err("\nbaton: second Ctrl-C, exiting now\n");
      Deno.exit(EXIT.interrupted);
    }
    view.message("baton: interrupted, cancelling running jobs (Ctrl-C again to exit at once)");
    flow.stop("interrupted by Ctrl-C");
  };
  Deno.addSignalListener("SIGINT", onInterrupt);

  let ok = false;
  let failure: unknown;
  view.start();
  try {
    ok = await durable.run();
  } catch (error) {
    failure = error;
  } finally {
    view.stop();
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
  const code = interrupts > 0 ? EXIT.interrupted : ok ? EXIT.ok : EXIT.failed;
  const incomplete = durable.incompleteLogs;
  if (options.json) {
    out(
      JSON.stringify({
        time: new Date().toISOString(),
        event: "end",
        ok,
        code,
        why: flow.why(),
        run: durable.id,
        ...(failure === undefined ? {} : { error: errorLine(failure) }),
        ...(incomplete.length ? { logsIncomplete: incomplete } : {}),
        jobs: allJobs(flow).map(({ job, path }) => ({
          job: path,
          state: job.state,
          failed: job.failed,
          cancelled: job.cancelled,
          ...(reuseOf(job) ? { skipped: true, from: reuseOf(job)!.run } : {}),
          ...(isRetrying(job) && !reuseOf(job) ? { attempts: job.retry.attempts } : {}),
          duration: job.duration === undefined ? null : Math.round(job.duration),
        })),
      }) + "\n",
    );
    return await afterRun(monitor, options.monitorExit || interrupts > 0, code);
  }
  out(`\n${flow.list()}\nflow ${flow.label}: ${flow.why()} (${flow.stats()})\n`);
  const failed = failures(flow);
  if (failed.length) err(`failed jobs:\n${failed.join("\n")}\n`);
  else if (failure !== undefined) err(`baton: ${errorLine(failure)}\n`);
  if (incomplete.length) {
    err(
      `baton: the logs of run ${durable.id} are incomplete (output of ${
        incomplete.join(", ")
      } could not be written)\n`,
    );
  }
  if (durable.recordIncomplete) {
    err(`baton: the run store could not record all of run ${durable.id}\n`);
  }
  if (!ok) {
    err(
      `baton: run ${durable.id} is recorded; to rerun only what did not succeed: ` +
        `baton run ${display(workflow)} --resume ${durable.id}${
          options.store ? ` --store ${options.store}` : ""
        }\n`,
    );
  }
  return await afterRun(monitor, options.monitorExit || interrupts > 0, code);
}
