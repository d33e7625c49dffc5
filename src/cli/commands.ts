/**
 * The command dispatcher: `baton <command> …` → exit code.
 *
 * @module
 */

import config from "../../deno.json" with { type: "json" };
import { COMMANDS, HELP, MAIN_HELP, parseFileArgs } from "./args.ts";
import { EXIT, UsageError, usageLine, WorkflowError } from "./errors.ts";
import { err, out } from "./io.ts";
import { runCommand } from "./run_command.ts";
import { storeCommand } from "./store_commands.ts";
import { serveCommand } from "./serve_command.ts";
import { StoreError, UnknownRunError } from "../store/errors.ts";
import { didYouMean } from "../similar.ts";
import { prepareWorkflow } from "./workflow/prepare.ts";
import type { WorkflowSpec } from "./workflow/types.ts";
import { defaultWorkers } from "./args.ts";
import { workerCommand } from "./worker_hook.ts";

function countJobs(spec: WorkflowSpec): { jobs: number; flows: number } {
  let jobs = 0, flows = 0;
  for (const job of spec.jobs) {
    if (job.kind === "flow") {
      const inner = countJobs(job.workflow);
      flows += 1 + inner.flows;
      jobs += inner.jobs;
    } else jobs++;
  }
  return { jobs, flows };
}

async function fileCommand(command: "validate" | "list" | "dot", args: string[]): Promise<number> {
  const { file, help } = parseFileArgs(command, args);
  if (help) {
    out(HELP[command]);
    return EXIT.ok;
  }
  // Building imports modules and creates tasks, so export and limit errors show here too.
  const { flow, spec } = await prepareWorkflow(file, { workers: defaultWorkers() });
  if (command === "validate") {
    const { jobs, flows } = countJobs(spec);
    out(
      `ok: ${file} (${jobs} job${jobs === 1 ? "" : "s"}${
        flows ? `, ${flows} nested flow${flows === 1 ? "" : "s"}` : ""
      })\n`,
    );
  } else if (command === "list") out(`${flow.list()}\n`);
  else out(flow.toDot());
  return EXIT.ok;
}

/**
 * Runs `baton` with `args` (without the program name); returns the exit code.
 * Bad arguments and bad files are printed on stderr with exit code 2.
 */
export async function dispatch(args: string[]): Promise<number> {
  try {
    const [command, ...rest] = args;
    if (command === undefined) {
      err(MAIN_HELP);
      return EXIT.usage;
    }
    if (command === "-h" || command === "--help" || command === "help") {
      if (rest[0] && HELP[rest[0]]) out(HELP[rest[0]]);
      else out(MAIN_HELP);
      return EXIT.ok;
    }
    if (command === "-V" || command === "--version") {
      out(`baton ${config.version}\n`);
      return EXIT.ok;
    }
    switch (command) {
      case "run":
        return await runCommand(rest);
      case "validate":
      case "list":
      case "dot":
        return await fileCommand(command, rest);
      case "runs":
      case "show":
      case "logs":
        return await storeCommand(command, rest);
      case "serve":
        return await serveCommand(rest);
      case "worker":
        return await workerCommand(rest);
    }
    throw new UsageError(
      `unknown command ${JSON.stringify(command)}${didYouMean(command, Object.keys(COMMANDS))}; ` +
        `commands: ${Object.keys(COMMANDS).join(", ")} (baton --help)`,
    );
  } catch (error) {
    if (error instanceof UsageError || error instanceof WorkflowError) {
      err(
        `${
          error instanceof WorkflowError ? `invalid workflow:\n${error.message}` : usageLine(error)
        }\n`,
      );
      if (error instanceof WorkflowError) err("nothing was run\n");
      return EXIT.usage;
    }
    // A store that cannot be used, or a run it does not know: before anything ran.
    if (error instanceof StoreError || error instanceof UnknownRunError) {
      err(`baton: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}
