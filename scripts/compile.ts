/**
 * `deno task compile`: `deno compile` of the CLI into one binary (default
 * `dist/baton`; `--output PATH` to change it), with the worker entries and
 * the Redis packages it loads at run time. When deno cannot fetch its
 * compile runtime (`denort`), says how to give it one instead of only
 * printing deno's network error.
 *
 * @module
 */

/** The arguments of `deno` that build the binary at `output`. */
export function compileArgs(output = "dist/baton"): string[] {
  return [
    "compile",
    "-A",
    // The lock that pins the Redis packages too (see tests/README.md).
    "--lock=tests/deno.lock",
    "--unstable-worker-options",
    "--include",
    "workers/web_worker.ts",
    "--include",
    "workers/subprocess.ts",
    "--include",
    "workers/redis_heartbeat.ts",
    // Imported by a computed URL (so that nothing resolves bullmq up front): named here.
    "--include",
    "src/executors/redis/npm.ts",
    "--output",
    output,
    "cli.ts",
  ];
}

/**
 * What to tell the user when `deno compile` failed for want of its runtime,
 * given deno's stderr and the `DENORT_BIN` in effect; `undefined` when the
 * failure is something else.
 */
export function runtimeHint(stderr: string, denortBin: string | undefined): string | undefined {
  const version = Deno.version.deno;
  const download = stderr.match(/https:\/\/dl\.deno\.land\/\S+?denort-[\w-]+\.zip/)?.[0];
  if (denortBin && /DENORT_BIN|No such file|not found|os error 2/i.test(stderr)) {
    return `baton: deno compile could not use DENORT_BIN=${denortBin}: set it to the path of a ` +
      `denort ${version} binary (unzipped), or unset it to download one`;
  }
  if (!download && !/Setting up base binary|denort/i.test(stderr)) return undefined;
  return `baton: deno compile could not download its runtime${
    download ? ` (${download})` : ""
  }: no network here? Download that zip elsewhere, unzip it, and run again with ` +
    `DENORT_BIN=/path/to/denort (it must be denort ${version}, the version of this deno).`;
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--output");
  const output = at >= 0 ? Deno.args[at + 1] : undefined;
  const root = new URL("../", import.meta.url);
  const child = new Deno.Command(Deno.execPath(), {
    args: compileArgs(output),
    cwd: root,
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  // deno's messages pass through as they come; kept to explain a failure.
  let stderr = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stderr) {
    stderr += decoder.decode(chunk, { stream: true });
    await Deno.stderr.write(chunk);
  }
  const { code } = await child.status;
  if (code !== 0) {
    const hint = runtimeHint(stderr, Deno.env.get("DENORT_BIN"));
    if (hint) console.error(`\n${hint}`);
  }
  Deno.exit(code);
}
