/**
 * Entry script of `baton worker` until the CLI dispatches to it:
 * `deno run -A workers/baton_worker.ts --redis URL --queue NAME`.
 *
 * @module
 */

import { workerCommand } from "../src/cli/worker_command.ts";

if (import.meta.main) Deno.exit(await workerCommand(Deno.args));
