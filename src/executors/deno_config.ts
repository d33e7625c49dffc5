/**
 * Which Deno config file this process runs with, as far as can be told from
 * its command line and the file system: worker permissions depend on its
 * `unstable` list, and subprocesses need it to resolve the same import map.
 *
 * @module
 */

/** This process's command line, or `[]` where it cannot be read. */
export function readCommandLine(): string[] {
  try {
    return Deno.readTextFileSync("/proc/self/cmdline").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** The flags of a Deno command line: everything before the script. */
export function denoFlags(args: string[]): string[] {
  const scriptIndex = args.findIndex((a, i) => i > 1 && !a.startsWith("-") && /\.[jt]sx?$/.test(a));
  return scriptIndex > 0 ? args.slice(0, scriptIndex) : args;
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

/**
 * The config files Deno may be using: the one named by `--config`, else the
 * nearest to the main module (where `deno run` looks), then to the cwd.
 */
export function candidateConfigs(flags: string[]): string[] {
  const flag = flags.findIndex((a) => a === "--config" || a === "-c");
  if (flag >= 0) return [flags[flag + 1]];
  const inline = flags.find((a) => a.startsWith("--config="));
  if (inline) return [inline.slice("--config=".length)];
  if (flags.includes("--no-config")) return [];
  const found: Array<string | undefined> = [];
  if (Deno.mainModule.startsWith("file:")) {
    found.push(findUpwards(new URL(".", Deno.mainModule).pathname.replace(/\/$/, "")));
  }
  try {
    found.push(findUpwards(Deno.cwd()));
  } catch { /* no read access to the cwd */ }
  return [...new Set(found.filter((p): p is string => p !== undefined))];
}

let active: { path?: string } | undefined;

/** The config file this process most likely runs with, if any (cached). */
export function activeConfig(): string | undefined {
  active ??= { path: candidateConfigs(denoFlags(readCommandLine()))[0] };
  return active.path;
}
