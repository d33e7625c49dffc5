/**
 * Command jobs: a subprocess through `Deno.Command`.
 *
 * @module
 */

import { startTimer, stopTimer } from "../timers.ts";
import { WallTimeLimitError } from "../executors/errors.ts";
import { PERMISSION_KINDS, type Permissions, resolvePermissions } from "../executors/limits.ts";
import { type Duration, parseDuration } from "../units.ts";
import { CommandError } from "./errors.ts";
import { describe, Job, type JobDefinition } from "./job.ts";

/**
 * What a command job returns.
 *
 * @example
 * ```ts ignore
 * const result = (await flow.run(), build.result); // { code: 0, stdout: "...", stderr: "" }
 * ```
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
 * ```ts ignore
 * command(["deno", "run", "train.ts"], { cwd: "./models", limits: { wallTime: "1h" } });
 * ```
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
    const [program, ...args] = this.#argv;
    const child = new Deno.Command(program, {
      args,
      cwd: this.#cwd,
      env: this.#env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let timedOut = false;
    const kill = () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
    };
    const onAbort = () => kill();
    signal.addEventListener("abort", onAbort, { once: true });
    const startedAt = performance.now();
    const timer = this.#wallTime === undefined ? undefined : startTimer(() => {
      timedOut = true;
      kill();
    }, this.#wallTime);
    try {
      // output() reads both pipes to the end and waits for the exit: nothing is left open.
      const out = await child.output();
      const decoder = new TextDecoder();
      const outcome = {
        code: out.code,
        signal: out.signal,
        stdout: decoder.decode(out.stdout),
        stderr: decoder.decode(out.stderr),
      };
      if (timedOut) {
        throw new WallTimeLimitError(
          this.#wallTime!,
          performance.now() - startedAt,
          `: command ${JSON.stringify(this.#argv.join(" "))} was killed`,
        );
      }
      signal.throwIfAborted();
      if (!out.success) throw new CommandError(this.#argv, outcome);
      return { code: outcome.code, stdout: outcome.stdout, stderr: outcome.stderr };
    } finally {
      stopTimer(timer);
      signal.removeEventListener("abort", onAbort);
    }
  }
}

function resolveWallTime(limits: CommandOptions["limits"]): number | undefined {
  if (limits === undefined) return undefined;
  if (typeof limits !== "object" || limits === null) {
    throw new TypeError(`command limits must be an object like { wallTime: "5s" }, got ${limits}`);
  }
  for (const key of Object.keys(limits)) {
    if (key !== "wallTime") {
      throw new TypeError(
        `Unsupported command limit "${key}"; accepted: wallTime (for CPU and memory limits, ` +
          `run the code through a task of Scheduler.withProcesses(n))`,
      );
    }
  }
  return limits.wallTime === undefined ? undefined : parseDuration(limits.wallTime);
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
 * `CommandError`; `limits.wallTime` kills the process and fails the job with
 * a `WallTimeLimitError`; when the flow cancels the job, the process is
 * killed and awaited. `permissions` applies to `deno` commands only.
 *
 * @example
 * ```ts
 * import { command, Flow } from "@baton/baton";
 * const hello = command(["deno", "run", "data:,console.log('hi')"], {
 *   permissions: "none",
 *   limits: { wallTime: "30s" },
 * });
 * await new Flow(hello).run(); // true
 * hello.result?.stdout; // "hi\n"
 * ```
 */
export function command(argv: readonly string[], options: CommandOptions = {}): Job<CommandResult> {
  if (
    !Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === "string")
  ) {
    throw new TypeError(
      `command() needs a non-empty array of strings like ["ls", "-l"], got ${describe(argv)}`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`command options must be an object, got ${String(options)}`);
  }
  const known = new Set(["cwd", "env", "limits", "permissions"]);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new TypeError(
        `Unknown command option "${key}"; accepted: cwd, env, limits, permissions ` +
          `(label, requires, critical and forever go to flow.add(job, options))`,
      );
    }
  }
  return new CommandJob(argv, options);
}
