/**
 * Command jobs: a subprocess through `Deno.Command`.
 *
 * @module
 */

import { startTimer, stopTimer } from "../timers.ts";
import { WallTimeLimitError } from "../executors/errors.ts";
import { PERMISSION_KINDS, type Permissions, resolvePermissions } from "../executors/limits.ts";
import { checkOptions, quote } from "../options.ts";
import { type Duration, formatDuration, parseDuration } from "../units.ts";
import { CommandError } from "./errors.ts";
import { describe, Job, type JobDefinition } from "./job.ts";
import { type GroupOutcome, spawnGroup } from "./process_group.ts";

/**
 * What a command job returns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { command, Flow } from "@baton/baton";
 * const build = command(["echo", "built"]);
 * await new Flow(build).run();
 * assert.deepEqual(build.result, { code: 0, stdout: "built\n", stderr: "" });
 * ```
 * @category Flow
 */
export interface CommandResult {
  /** The exit code (always 0: a non-zero exit fails the job). */
  code: number;
  /** What it wrote to stdout, decoded as UTF-8. */
  stdout: string;
  /** What it wrote to stderr, decoded as UTF-8. */
  stderr: string;
}

/**
 * Options of {@linkcode command}.
 *
 * @example
 * ```ts
 * import { command } from "@baton/baton";
 * command(["deno", "run", "train.ts"], { cwd: "./models", limits: { wallTime: "1h" } });
 * ```
 * @category Flow
 */
export interface CommandOptions {
  /** Working directory. */
  cwd?: string;
  /** Extra environment variables (added to the inherited environment). */
  env?: Record<string, string>;
  /** `wallTime`: the process is killed (SIGKILL) after this long and the job fails. */
  limits?: { wallTime?: Duration };
  /**
   * For `deno run|test|bench|serve …` only: the permissions to run the script
   * with, turned into `--allow-*` flags plus `--no-prompt` (what is not
   * granted is denied). `"none"` grants nothing; `"inherit"` adds nothing.
   */
  permissions?: Permissions;
}

// Not "eval" nor "repl": they always run with every permission.
const DENO_SUBCOMMANDS = new Set(["run", "test", "bench", "serve"]);

/** The job behind {@linkcode command}. */
class CommandJob extends Job<CommandResult> {
  readonly #argv: readonly string[];
  readonly #cwd?: string;
  readonly #env?: Record<string, string>;
  readonly #wallTime?: number;

  constructor(argv: readonly string[], options: CommandOptions) {
    super(argv.join(" "));
    this.#argv = withPermissions(argv, options.permissions);
    this.#cwd = options.cwd;
    this.#env = options.env;
    this.#wallTime = resolveWallTime(options.limits);
  }

  protected override get awaitsCancellation(): boolean {
    return true;
  }

  /** Working directory, extra environment and wall-time limit, when set. */
  override details(): string | undefined {
    const lines: string[] = [];
    if (this.#argv.join(" ") !== this.label) {
      lines.push(`command: ${this.#argv.join(" ")}`);
    }
    if (this.#cwd !== undefined) lines.push(`cwd: ${this.#cwd}`);
    if (this.#env) lines.push(`env: ${Object.keys(this.#env).join(", ")}`);
    if (this.#wallTime !== undefined) lines.push(`wall time: ${formatDuration(this.#wallTime)}`);
    return lines.length ? lines.join("\n") : undefined;
  }

  /** Its argv (permission flags included), working directory, extra environment and wall time. */
  override definition(): JobDefinition {
    return {
      kind: "command",
      argv: this.#argv,
      cwd: this.#cwd,
      env: this.#env,
      wallTime: this.#wallTime,
    };
  }

  protected async execute(signal: AbortSignal): Promise<CommandResult> {
    signal.throwIfAborted();
    const startedAt = performance.now();
    const process = spawnGroup(
      this.#argv,
      { cwd: this.#cwd, env: this.#env },
      (text, stream) => this.output(text, stream),
    );
    let timedOut = false;
    const onAbort = () => process.kill();
    signal.addEventListener("abort", onAbort, { once: true });
    const timer = this.#wallTime === undefined ? undefined : startTimer(() => {
      timedOut = true;
      process.kill();
    }, this.#wallTime);
    let outcome: GroupOutcome;
    try {
      outcome = await process.done;
    } finally {
      stopTimer(timer);
      signal.removeEventListener("abort", onAbort);
    }
    if (timedOut) {
      throw new WallTimeLimitError(
        this.#wallTime!,
        performance.now() - startedAt,
        `: command ${JSON.stringify(this.#argv.join(" "))} was killed with its process group`,
      );
    }
    signal.throwIfAborted();
    const { status, stdout, stderr } = outcome;
    if (!status.success) {
      throw new CommandError(this.#argv, {
        code: status.code,
        signal: status.signal,
        stdout,
        stderr,
      });
    }
    return { code: status.code, stdout, stderr };
  }
}

const LIMIT_HINT = "commands take a wallTime limit only; for CPU and memory limits, run the " +
  "code through a task of Scheduler.withProcesses(n)";

function resolveWallTime(limits: CommandOptions["limits"]): number | undefined {
  checkOptions(limits, ["wallTime"], "command() limits", {
    cpuTime: LIMIT_HINT,
    memory: LIMIT_HINT,
  });
  return limits?.wallTime === undefined ? undefined : parseDuration(limits.wallTime);
}

/** Inserts permission flags after `deno <subcommand>`. */
function withPermissions(argv: readonly string[], permissions?: Permissions): readonly string[] {
  if (permissions === undefined || permissions === "inherit") return argv;
  const program = argv[0].split(/[\\/]/).pop();
  if (program !== "deno" && program !== "deno.exe" && argv[0] !== Deno.execPath()) {
    throw new TypeError(
      `command permissions apply to deno commands only (argv[0] "deno" or Deno.execPath()), ` +
        `got ${JSON.stringify(argv[0])}; drop the permissions option for other programs`,
    );
  }
  if (!DENO_SUBCOMMANDS.has(argv[1])) {
    throw new TypeError(
      `command permissions need an explicit deno subcommand (${
        [...DENO_SUBCOMMANDS].join(", ")
      }) as argv[1], got ${JSON.stringify(argv[1])}`,
    );
  }
  // Only deno's own flags count: they come before the script or code.
  const firstOperand = argv.findIndex((a, i) => i >= 2 && !a.startsWith("-"));
  const denoFlags = argv.slice(2, firstOperand < 0 ? undefined : firstOperand);
  const existing = denoFlags.find((a) => /^(-A$|--allow-|--deny-|--no-prompt)/.test(a));
  if (existing) {
    throw new TypeError(
      `command argv already has the permission flag ${JSON.stringify(existing)}; ` +
        `give permissions either in argv or in the permissions option, not both`,
    );
  }
  const full = resolvePermissions(permissions)!;
  const flags = ["--no-prompt"];
  for (const kind of PERMISSION_KINDS) {
    const value = full[kind];
    if (value === true) flags.push(`--allow-${kind}`);
    else if (Array.isArray(value) && value.length > 0) {
      flags.push(`--allow-${kind}=${value.join(",")}`);
    }
  }
  return [argv[0], argv[1], ...flags, ...argv.slice(2)];
}

/**
 * Makes a job that runs a subprocess with `Deno.Command` and returns
 * `{ code, stdout, stderr }`. A non-zero exit fails the job with a
 * `CommandError`. What it writes is also emitted while it runs, as flow
 * event `job-output` (job, text, stream).
 *
 * The process is its own process group: `limits.wallTime`, a cancellation
 * by the flow (timeout, critical failure, `stop()`, Ctrl-C in `baton run`)
 * and the end of the process itself kill the whole group (SIGKILL), so no
 * grandchild is left behind and the job never waits on pipes a dead
 * group's processes held; if baton itself dies, the group is killed too.
 * A wall-time kill fails the job with a `WallTimeLimitError`.
 * `permissions` applies to `deno` commands only.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { command, Flow } from "@baton/baton";
 * const hello = command(["deno", "run", "data:,console.log('hi')"], {
 *   permissions: "none",
 *   limits: { wallTime: "30s" },
 * });
 * const flow = new Flow(hello);
 * const seen: string[] = [];
 * flow.onJobOutput((_job, text, stream) => seen.push(`${stream}: ${text}`));
 * assert.equal(await flow.run(), true);
 * assert.equal(hello.result?.stdout, "hi\n");
 * assert.deepEqual(seen, ["stdout: hi\n"]);
 * ```
 * @category Flow
 */
export function command(argv: readonly string[], options: CommandOptions = {}): Job<CommandResult> {
  if (
    !Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === "string")
  ) {
    throw new TypeError(
      `command() needs a non-empty array of strings like ["ls", "-l"], got ${describe(argv)}`,
    );
  }
  const jobOption = "label, requires, critical and forever go to flow.add(job, options)";
  checkOptions(options ?? null, ["cwd", "env", "limits", "permissions"], "command()", {
    label: jobOption,
    requires: jobOption,
    critical: jobOption,
    forever: jobOption,
    timeout: `use limits: { wallTime }`,
  });
  if (options.cwd !== undefined && typeof options.cwd !== "string") {
    throw new TypeError(`command() option cwd must be a directory path, got ${quote(options.cwd)}`);
  }
  return new CommandJob(argv, options);
}
