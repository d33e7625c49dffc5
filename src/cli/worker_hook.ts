/**
 * `baton worker`: serves a distributed scheduler. `--connect HOST:PORT`
 * dials back to a Slurm scheduler's endpoint; `--redis URL --queue NAME`
 * takes jobs from a BullMQ queue. Both run calls on a local process pool.
 *
 * @module
 */

import { workerCommand as redisWorker } from "./worker_command.ts";
import { connectWorker, parseConnectArgs } from "./worker_connect.ts";

/**
 * Runs `baton worker …` with the arguments after `worker`; resolves with
 * the exit code (2 for bad arguments).
 *
 * @example
 * ```ts ignore
 * // needs a baton endpoint (an HPC scheduler's) at login1:40123
 * import { workerCommand } from "./worker_hook.ts";
 * Deno.exit(await workerCommand(["--connect", "login1:40123", "--concurrency", "4"]));
 * ```
 */
export async function workerCommand(args: string[]): Promise<number> {
  if (!args.some((a) => a === "--connect" || a.startsWith("--connect="))) {
    return await redisWorker(args);
  }
  let options;
  try {
    options = parseConnectArgs(args);
  } catch (error) {
    console.error(`baton worker: ${(error as Error)?.message ?? error}`);
    return 2;
  }
  return await connectWorker(options);
}
