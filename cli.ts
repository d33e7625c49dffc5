/**
 * The `baton` command line: run workflow YAML files of jobs (commands,
 * module functions, nested files) with a live progress view.
 *
 * ```sh
 * deno task baton run examples/workflows/pipeline.yaml --executor processes
 * deno task baton validate flow.yaml
 * deno task baton list flow.yaml
 * deno task baton dot flow.yaml | dot -Tsvg > flow.svg
 * ```
 *
 * Exit codes: 0 the flow succeeded, 1 it failed, 2 a bad file or bad
 * arguments, 130 interrupted by Ctrl-C.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@baton/baton/cli";
 * const flow = await Deno.makeTempFile({ suffix: ".yaml" });
 * await Deno.writeTextFile(flow, 'name: hello\njobs:\n  hi:\n    run: "true"\n');
 * assert.equal(await main(["validate", flow]), 0);
 * await Deno.remove(flow);
 * ```
 *
 * @module
 */

import { dispatch } from "./src/cli/commands.ts";
import { runSubprocessEntry } from "./src/cli/subprocess_entry.ts";

export { UsageError, WorkflowError, type WorkflowIssue } from "./src/cli/errors.ts";

/** The hidden command a compiled binary's process-pool children are started with. */
const WORKER_ENTRY = "__worker";

/**
 * Runs the command line with `args` (what follows the program name) and
 * returns the exit code; does not exit. Output goes to stdout and stderr.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@baton/baton/cli";
 * assert.equal(await main(["--help"]), 0);
 * ```
 * @category CLI
 */
export function main(args: string[]): Promise<number> {
  return dispatch(args);
}

/**
 * For programs compiled with `deno compile` that use `Scheduler.withProcesses`:
 * inside a binary the process executor starts children as
 * `<binary> __worker …`. Call this first in such a program's main module; it
 * returns `true` (and the process then serves as a pool child until its
 * stdin closes) when this process is such a child. The `baton` binary
 * does it already.
 *
 * @example
 * ```ts
 * import { serveAsProcessChild } from "@baton/baton/cli";
 * if (!(await serveAsProcessChild(Deno.args))) {
 *   // the program's own work
 * }
 * ```
 * @category CLI
 */
export async function serveAsProcessChild(args: readonly string[]): Promise<boolean> {
  if (args[0] !== WORKER_ENTRY) return false;
  await runSubprocessEntry(args.slice(1));
  return true;
}

if (import.meta.main) {
  if (!(await serveAsProcessChild(Deno.args))) Deno.exit(await main(Deno.args));
}
