/**
 * Whether this Deno process may give Web Workers their own permissions,
 * which needs `--unstable-worker-options`. Without it Deno ends the process
 * (exit code 70) when such a worker is created, so baton checks first.
 *
 * @module
 */

import { candidateConfigs, denoFlags, readCommandLine } from "./deno_config.ts";

let cached: boolean | undefined;

function configEnablesWorkerOptions(path: string): boolean {
  try {
    const text = Deno.readTextFileSync(path).replace(/^\s*\/\/.*$/gm, "");
    const config = JSON.parse(text) as { unstable?: string[] };
    return config.unstable?.includes("worker-options") ?? false;
  } catch {
    return false;
  }
}

/** True when worker permissions can be set without Deno ending the process. */
export function workerOptionsEnabled(): boolean {
  if (cached !== undefined) return cached;
  if (Deno.build.standalone) return cached = true; // `deno task compile` passes the flag
  const flags = denoFlags(readCommandLine());
  if (flags.some((a) => a === "--unstable-worker-options" || a === "--unstable")) {
    return cached = true;
  }
  return cached = candidateConfigs(flags).some(configEnablesWorkerOptions);
}

/** Throws a clear error when worker permissions cannot be used in this process. */
export function assertWorkerOptions(): void {
  if (workerOptionsEnabled()) return;
  throw new Error(
    "Web Worker permissions need Deno's --unstable-worker-options flag (or " +
      '"unstable": ["worker-options"] in deno.json); without it Deno would end the process. ' +
      "Run with that flag, or use Scheduler.withProcesses(n), whose permissions need no flag.",
  );
}
