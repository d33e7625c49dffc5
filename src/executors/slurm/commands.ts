/**
 * The Slurm commands the executor runs — `sbatch`, `scancel`, `squeue` —
 * and the parsing of what they print.
 *
 * @module
 */

/**
 * A job as `squeue` lists it.
 *
 * @example
 * ```ts ignore
 * const job: QueuedJob = { jobId: "42", state: "RUNNING", reason: "None", node: "node7" };
 * ```
 */
export interface QueuedJob {
  /** The job id. */
  readonly jobId: string;
  /** Slurm's state: `PENDING`, `RUNNING`, `COMPLETING`, `CANCELLED`, `TIMEOUT`… */
  readonly state: string;
  /** Why it waits or ended, e.g. `Resources`, `TimeLimit` (`None` if nothing). */
  readonly reason: string;
  /** The node it runs on, if any. */
  readonly node?: string;
}

/** States in which a job may still run (or has not started yet). */
const LIVE_STATES = new Set([
  "PENDING",
  "CONFIGURING",
  "RUNNING",
  "COMPLETING",
  "SUSPENDED",
  "REQUEUED",
  "REQUEUE_HOLD",
  "REQUEUE_FED",
  "RESIZING",
  "SIGNALING",
  "STAGE_OUT",
  "STOPPED",
  "RESV_DEL_HOLD",
]);

/**
 * Whether a job in `state` may still run; `false` for every terminal state.
 *
 * @example
 * ```ts ignore
 * isLive("RUNNING"); // true
 * isLive("TIMEOUT"); // false
 * ```
 */
export function isLive(state: string): boolean {
  return LIVE_STATES.has(state);
}

/**
 * The `squeue` arguments that list the jobs named `jobName`, in every state.
 *
 * @example
 * ```ts ignore
 * await runCommand(["squeue", ...queueArgs("baton-1a2b3c4d")]);
 * ```
 */
export function queueArgs(jobName: string): string[] {
  return ["--noheader", "--states=all", `--name=${jobName}`, "--format=%i|%T|%r|%N"];
}

/**
 * Parses `squeue --format=%i|%T|%r|%N` output; throws on a line it does not understand.
 *
 * @example
 * ```ts ignore
 * parseQueue("42|RUNNING|None|node7\n").get("42")?.state; // "RUNNING"
 * ```
 */
export function parseQueue(text: string): Map<string, QueuedJob> {
  const jobs = new Map<string, QueuedJob>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    const [jobId, state, reason, node] = line.split("|");
    if (!jobId || !state || !/^[A-Z_]+$/.test(state)) {
      throw new TypeError(
        `Unexpected squeue line ${JSON.stringify(line)}; expected "id|STATE|reason|node"`,
      );
    }
    jobs.set(jobId, {
      jobId,
      state,
      reason: reason || "None",
      node: node && node !== "(null)" ? node : undefined,
    });
  }
  return jobs;
}

/**
 * Reads the job id from `sbatch --parsable` output (`id` or `id;cluster`).
 *
 * @example
 * ```ts ignore
 * parseSubmitted("42;cluster\n"); // "42"
 * ```
 */
export function parseSubmitted(stdout: string): string {
  const line = stdout.trim().split("\n").at(-1)?.trim() ?? "";
  const id = line.split(";")[0];
  if (!/^[\w.-]+$/.test(id)) {
    throw new TypeError(
      `Could not read a job id from the submit command's output ${
        JSON.stringify(stdout.slice(0, 200))
      }; expected what sbatch --parsable prints, e.g. "42"`,
    );
  }
  return id;
}

/**
 * What a command printed and how it exited.
 *
 * @example
 * ```ts ignore
 * const { code, stdout } = await runCommand(["squeue", "--version"]);
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
 * Runs `argv` with optional stdin; a command that is missing or too slow throws, naming it.
 *
 * @example
 * ```ts ignore
 * const result = await runCommand(["sbatch", "--parsable"], { stdin: script, timeout: 30_000 });
 * ```
 */
export async function runCommand(
  argv: readonly string[],
  options: { stdin?: string; timeout?: number } = {},
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
        (error instanceof Deno.errors.NotFound ? "; is Slurm installed on this machine?" : ""),
    );
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
  }, options.timeout ?? 60_000);
  try {
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin)).catch(() => {});
      await writer.close().catch(() => {});
    }
    const output = await child.output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    if (output.signal === "SIGKILL") {
      throw new Error(`${argv.join(" ")} did not finish within ${options.timeout ?? 60_000}ms`);
    }
    return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The commands of one executor, with its job name.
 *
 * @example
 * ```ts ignore
 * const commands = new SlurmCommands({ submit: ["sbatch"], cancel: ["scancel"], queue: ["squeue"] }, "baton-1");
 * const id = await commands.submit(script);
 * await commands.cancel([id]);
 * ```
 */
export class SlurmCommands {
  readonly #submit: readonly string[];
  readonly #cancel: readonly string[];
  readonly #queue: readonly string[];
  readonly #jobName: string;

  /** Commands as given in the options. */
  constructor(
    commands: { submit: readonly string[]; cancel: readonly string[]; queue: readonly string[] },
    jobName: string,
  ) {
    this.#submit = commands.submit;
    this.#cancel = commands.cancel;
    this.#queue = commands.queue;
    this.#jobName = jobName;
  }

  /** Submits a job script; resolves with its job id. */
  async submit(script: string): Promise<string> {
    const argv = [...this.#submit, "--parsable"];
    const result = await runCommand(argv, { stdin: script });
    if (result.code !== 0) {
      throw new Error(
        `${argv.join(" ")} failed with code ${result.code}: ${
          result.stderr.trim() || result.stdout
        }`,
      );
    }
    return parseSubmitted(result.stdout);
  }

  /** Cancels jobs; ids Slurm no longer knows are not an error. */
  async cancel(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await runCommand([...this.#cancel, ...jobIds]);
  }

  /** The jobs of this executor as `squeue` lists them, in every state it still remembers. */
  async queue(): Promise<Map<string, QueuedJob>> {
    const argv = [...this.#queue, ...queueArgs(this.#jobName)];
    const result = await runCommand(argv, { timeout: 30_000 });
    if (result.code !== 0) {
      throw new Error(`${argv.join(" ")} failed with code ${result.code}: ${result.stderr.trim()}`);
    }
    return parseQueue(result.stdout);
  }
}
