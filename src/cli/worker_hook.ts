/**
 * Where `baton worker` goes. This build has no distributed executor, so the
 * command fails clearly. When `src/cli/worker_command.ts` is present, replace
 * this file's body with the one line:
 *
 *     export { workerCommand } from "./worker_command.ts";
 *
 * @module
 */

/** Runs `baton worker …`; returns the exit code (here always 2: not in this build). */
export function workerCommand(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(
      "Usage: baton worker [options]\n\nNot available in this build (no Redis executor).",
    );
    return Promise.resolve(0);
  }
  console.error(
    "baton worker is not available in this build: it needs the Redis executor " +
      "(src/cli/worker_command.ts), which this build does not include",
  );
  return Promise.resolve(2);
}
