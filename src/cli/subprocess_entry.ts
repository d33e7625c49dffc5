/**
 * The hidden `__worker` command: how a compiled `baton` binary serves as a
 * process-pool child. Inside a binary, `Deno.execPath()` is the binary, not
 * `deno`, so the process executor starts `<binary> __worker <deno args>`
 * (see `wrap()` in `src/executors/process_transport.ts`). The deno args end
 * with the `data:` main module a `deno run` child would have loaded; it only
 * imports the subprocess runtime and the modules of `remote` functions, then
 * calls `ready()`: this does the same with dynamic imports.
 *
 * @module
 */

import { UsageError } from "./errors.ts";

/** The modules a child's `data:` main module imports, in order (the runtime first). */
export function entryImports(args: readonly string[]): string[] {
  const main = args.find((a) => a.startsWith("data:"));
  if (!main) {
    throw new UsageError(
      "__worker is internal to the process executor (it needs the data: module it passes); " +
        "run a workflow with baton run FILE.yaml",
    );
  }
  const source = decodeURIComponent(main.slice(main.indexOf(",") + 1));
  return [...source.matchAll(/^import (?:\{ ready \} from )?("(?:[^"\\]|\\.)*");$/gm)].map((m) =>
    JSON.parse(m[1]) as string
  );
}

/**
 * Becomes a process-pool child: loads the runtime and the `remote` modules,
 * then tells the parent it is ready. The process then lives until its stdin
 * closes; do not exit after this resolves.
 *
 * @throws {UsageError} when the arguments are not a pool child's.
 */
export async function runSubprocessEntry(args: readonly string[]): Promise<void> {
  const [runtime, ...modules] = entryImports(args);
  if (!runtime) throw new UsageError("__worker: the data: module imports nothing");
  const entry = await import(runtime) as { ready(): void };
  for (const url of modules) await import(url);
  entry.ready();
}
