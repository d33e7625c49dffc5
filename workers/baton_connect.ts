/**
 * Stand-alone entry of a remote worker, as run by Slurm jobs:
 *
 * ```sh
 * BATON_TOKEN=… deno run -A workers/baton_connect.ts --connect HOST:PORT --concurrency 4
 * ```
 *
 * It dials back to the scheduler and runs calls until the scheduler says
 * goodbye (exit 0) or the connection is lost (exit 1).
 *
 * @module
 */

import { connectWorker, parseConnectArgs } from "../src/cli/worker_connect.ts";

if (import.meta.main) {
  let code: number;
  try {
    code = await connectWorker(parseConnectArgs(Deno.args));
  } catch (error) {
    console.error(`baton worker: ${(error as Error)?.message ?? error}`);
    code = 2;
  }
  Deno.exit(code);
}
