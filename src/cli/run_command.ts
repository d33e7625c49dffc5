/**
 * `baton run`: load, build, watch, run, report; Ctrl-C stops gracefully.
 *
 * @module
 */

import { Flow } from "../flow/flow.ts";
import { HELP, parseRunArgs } from "./args.ts";
import { EXIT } from "./errors.ts";
import { err, out } from "./io.ts";
import { startMonitor } from "./monitor_hook.ts";
import type { MonitorServer } from "../monitor/mod.ts";
import { jsonView } from "./progress/json.ts";
import { plainView } from "./progress/plain.ts";
import { ttyView } from "./progress/tty.ts";
import { allJobs, errorLine, type ProgressView } from "./progress/watch.ts";
import { prepareWorkflow } from "./workflow/prepare.ts";

function failures(flow: Flow): string[] {
  return allJobs(flow)
    .filter(({ job }) => job.failed && !(job instanceof Flow))
    .map(({ job, path }) => `  ✖ ${path}: ${errorLine(job.error)}`);
}

/** Runs `baton run …`; returns the exit code. */
export async function runCommand(args: string[]): Promise<number> {
  const options = parseRunArgs(args);
  if (options.help) {
    out(HELP.run);
    return EXIT.ok;
  }
  const built = await prepareWorkflow(options.file, {
    executor: options.executor,
    workers: options.workers,
    timeout: options.timeout,
  });
  const { flow } = built;
  const context = { flow, limits: built.limits, write: out };
  const view: ProgressView = options.json
    ? jsonView(context)
    : Deno.stdout.isTerminal()
    ? ttyView(context)
    : plainView(context);

  let monitor: MonitorServer | undefined;
  if (options.monitor !== undefined) {
    monitor = await startMonitor(flow, options.monitor, (line) => err(`${line}\n`));
  }

  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) {
      err("\nbaton: second Ctrl-C, exiting now\n");
      Deno.exit(EXIT.interrupted);
    }
    err("\nbaton: interrupted, cancelling running jobs (Ctrl-C again to exit at once)\n");
    flow.stop("interrupted by Ctrl-C");
  };
  Deno.addSignalListener("SIGINT", onInterrupt);

  let ok = false;
  let failure: unknown;
  view.start();
  try {
    ok = await flow.run();
  } catch (error) {
    failure = error;
  } finally {
    view.stop();
    Deno.removeSignalListener("SIGINT", onInterrupt);
    await monitor?.shutdown();
  }
  const code = interrupts > 0 ? EXIT.interrupted : ok ? EXIT.ok : EXIT.failed;
  if (options.json) {
    out(
      JSON.stringify({
        time: new Date().toISOString(),
        event: "end",
        ok,
        code,
        why: flow.why(),
        ...(failure === undefined ? {} : { error: errorLine(failure) }),
        jobs: allJobs(flow).map(({ job, path }) => ({
          job: path,
          state: job.state,
          failed: job.failed,
          cancelled: job.cancelled,
          duration: job.duration === undefined ? null : Math.round(job.duration),
        })),
      }) + "\n",
    );
    return code;
  }
  out(`\n${flow.list()}\nflow ${flow.label}: ${flow.why()} (${flow.stats()})\n`);
  const failed = failures(flow);
  if (failed.length) err(`failed jobs:\n${failed.join("\n")}\n`);
  else if (failure !== undefined) err(`baton: ${errorLine(failure)}\n`);
  return code;
}
