/**
 * Running a batch scheduler's command line tools (`sbatch`, `qsub`, …).
 *
 * @module
 */

/**
 * What a command printed and how it exited.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCommand } from "./commands.ts";
 * const { code, stdout } = await runCommand(["echo", "slurm 24.05"]);
 * assert.deepEqual([code, stdout], [0, "slurm 24.05\n"]);
 * ```
 */
export interface CommandResult {
  /** The exit code. */
  readonly code: number;
  /** Its standard output. */
  readonly stdout: string;
  /** Its standard error. */
  readonly stderr: string;
}

/**
 * Runs `argv` with optional stdin; a command that is missing or too slow
 * throws, naming it (`missing` is added to the message of a missing one).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCommand } from "./commands.ts";
 * // e.g. ["sbatch", "--parsable"] with the job script on stdin
 * const script = "#!/bin/sh\necho hello\n";
 * const result = await runCommand(["cat"], { stdin: script, timeout: 30_000 });
 * assert.equal(result.stdout, script);
 * ```
 */
export async function runCommand(
  argv: readonly string[],
  options: { stdin?: string; timeout?: number; missing?: string } = {},
): Promise<CommandResult> {
  const [program, ...args] = argv;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    throw new Error(
      `Could not run ${JSON.stringify(program)}: ${(error as Error).message}` +
        (error instanceof Deno.errors.NotFound && options.missing ? `; ${options.missing}` : ""),
    );
  }
  const timeout = options.timeout ?? 60_000;
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
  }, timeout);
  try {
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin)).catch(() => {});
      await writer.close().catch(() => {});
    }
    const output = await child.output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    if (output.signal === "SIGKILL") {
      throw new Error(`${argv.join(" ")} did not finish within ${timeout}ms`);
    }
    return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `argv` and returns its stdout; a non-zero exit throws with its stderr.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkedOutput } from "./commands.ts";
 * // e.g. ["qstat", "-xml"]; a missing command's error ends with the hint
 * const text = await checkedOutput(["echo", "<job_info/>"], { missing: "is Grid Engine installed?" });
 * assert.equal(text, "<job_info/>\n");
 * await assert.rejects(
 *   checkedOutput(["no-such-qstat"], { missing: "is Grid Engine installed?" }),
 *   /is Grid Engine installed\?/,
 * );
 * ```
 */
export async function checkedOutput(
  argv: readonly string[],
  options: { stdin?: string; timeout?: number; missing?: string } = {},
): Promise<string> {
  const result = await runCommand(argv, options);
  if (result.code !== 0) {
    throw new Error(
      `${argv.join(" ")} failed with code ${result.code}: ${
        result.stderr.trim() || result.stdout.trim()
      }`,
    );
  }
  return result.stdout;
}

/**
 * Quotes a word for the shell, unless it is plainly safe.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellQuote } from "./commands.ts";
 * assert.equal(shellQuote("it's"), `'it'\\''s'`);
 * ```
 */
export function shellQuote(word: string): string {
  if (/^[\w.,:@%+=\/-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The last lines of every job script: the token in the environment (never
 * on a command line, where `ps` shows it to every user of the node), then
 * the worker that dials back; `tail` is shell text appended as it is (e.g.
 * `--job-id "$JOB_ID"`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workerLaunch } from "./commands.ts";
 * const token = "0123456789abcdef";
 * const lines = workerLaunch({ connect: "login1:4000", token, workerCommand: ["baton", "worker"] }, 4);
 * assert.deepEqual(lines, [
 *   "export BATON_TOKEN=0123456789abcdef",
 *   "exec baton worker --connect login1:4000 --concurrency 4",
 * ]);
 * ```
 */
export function workerLaunch(
  context: {
    readonly connect: string;
    readonly token: string;
    readonly workerCommand: readonly string[];
  },
  concurrency: number,
  tail = "",
): string[] {
  const command = [
    ...context.workerCommand,
    "--connect",
    context.connect,
    "--concurrency",
    String(concurrency),
  ];
  return [
    `export BATON_TOKEN=${shellQuote(context.token)}`,
    `exec ${command.map(shellQuote).join(" ")}${tail ? ` ${tail}` : ""}`,
  ];
}
