/**
 * Whether this Deno process may give Web Workers their own permissions,
 * which needs `--unstable-worker-options`. Without it Deno ends the process
 * (exit code 70) when such a worker is created, so baton checks first.
 *
 * @module
 */

let cached: boolean | undefined;

function readCommandLine(): string[] {
  try {
    return Deno.readTextFileSync("/proc/self/cmdline").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

function configEnablesWorkerOptions(path: string): boolean {
  try {
    const text = Deno.readTextFileSync(path).replace(/^\s*\/\/.*$/gm, "");
    const config = JSON.parse(text) as { unstable?: string[] };
    return config.unstable?.includes("worker-options") ?? false;
  } catch {
    return false;
  }
}

function findUpwards(start: string): string | undefined {
  let dir = start;
  while (true) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      try {
        if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
      } catch { /* keep looking upwards */ }
    }
    const parent = dir.replace(/\/[^/]+$/, "");
    if (parent === dir || parent === "") return undefined;
    dir = parent;
  }
}

/** The config files Deno may have used: the named one, else the nearest to the cwd or the main module. */
function candidateConfigs(args: string[]): string[] {
  const flag = args.findIndex((a) => a === "--config" || a === "-c");
  if (flag >= 0) return [args[flag + 1]];
  const inline = args.find((a) => a.startsWith("--config="));
  if (inline) return [inline.slice("--config=".length)];
  if (args.includes("--no-config")) return [];
  const found = [findUpwards(Deno.cwd())];
  if (Deno.mainModule.startsWith("file:")) {
    found.push(findUpwards(new URL(".", Deno.mainModule).pathname.replace(/\/$/, "")));
  }
  return found.filter((p): p is string => p !== undefined);
}

/** True when worker permissions can be set without Deno ending the process. */
export function workerOptionsEnabled(): boolean {
  if (cached !== undefined) return cached;
  if (Deno.build.standalone) return cached = true; // `deno task compile` passes the flag
  const args = readCommandLine();
  const scriptIndex = args.findIndex((a, i) => i > 1 && !a.startsWith("-") && /\.[jt]sx?$/.test(a));
  const flags = scriptIndex > 0 ? args.slice(0, scriptIndex) : args;
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
