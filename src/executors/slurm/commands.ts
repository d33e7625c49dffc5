/**
 * Slurm as an {@linkcode Engine}: `sbatch`, `scancel`, `squeue` and
 * `sacct`, and the parsing of what they print.
 *
 * @module
 */

import type { Engine, QueuedJob, ScriptContext } from "../hpc/engine.ts";
import { checkedOutput, runCommand } from "../hpc/commands.ts";
import type { ResolvedSlurmOptions } from "./options.ts";
import { jobScript } from "./script.ts";
import { SlurmJobLostError } from "./errors.ts";

/** States in which a job may still run (or has not started yet): what plain `squeue` lists. */
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

const MISSING = "is Slurm installed on this machine?";

/**
 * Whether a job in `state` may still run; `false` for every terminal state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLive } from "./commands.ts";
 * assert.equal(isLive("RUNNING"), true);
 * assert.equal(isLive("TIMEOUT"), false);
 * ```
 */
export function isLive(state: string): boolean {
  return LIVE_STATES.has(state);
}

/**
 * The `squeue` arguments that list the jobs named `jobName`, in every state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { queueArgs } from "./commands.ts";
 * // runCommand(["squeue", ...queueArgs("baton-1a2b3c4d")]) lists the executor's jobs
 * assert.ok(queueArgs("baton-1a2b3c4d").some((arg) => arg.includes("baton-1a2b3c4d")));
 * ```
 */
export function queueArgs(jobName: string): string[] {
  return ["--noheader", "--states=all", `--name=${jobName}`, "--format=%i|%T|%r|%N"];
}

/**
 * Parses `squeue --format=%i|%T|%r|%N` output; throws on a line it does not understand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseQueue } from "./commands.ts";
 * assert.equal(parseQueue("42|RUNNING|None|node7\n").get("42")?.state, "RUNNING");
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
 * Parses `sacct -X -n -P -o JobID,State,Reason,NodeList` output for one job:
 * `State` may read `CANCELLED by 0`, of which the first word is kept.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAccounting } from "./commands.ts";
 * assert.equal(parseAccounting("42|CANCELLED by 0|None|node7\n", "42")?.state, "CANCELLED");
 * ```
 */
export function parseAccounting(text: string, jobId: string): QueuedJob | undefined {
  for (const raw of text.split("\n")) {
    const [id, state, reason, node] = raw.trim().split("|");
    if (id !== jobId || !state) continue;
    const word = state.split(/\s+/)[0];
    if (!/^[A-Z_]+$/.test(word)) continue;
    return {
      jobId,
      state: word,
      reason: reason || "None",
      node: node && node !== "None assigned" ? node : undefined,
    };
  }
  return undefined;
}

/**
 * Reads the job id from `sbatch --parsable` output (`id` or `id;cluster`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSubmitted } from "./commands.ts";
 * assert.equal(parseSubmitted("42;cluster\n"), "42");
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
 * Slurm for the HPC executor, with one executor's options and job name.
 *
 * @example
 * ```ts ignore
 * // needs a Slurm cluster (sbatch, scancel)
 * import { SlurmEngine } from "./commands.ts";
 * import { resolveSlurmOptions } from "./options.ts";
 * const engine = new SlurmEngine(resolveSlurmOptions({ workers: 2 }));
 * const id = await engine.submit(script);
 * await engine.cancel([id]);
 * ```
 */
export class SlurmEngine implements Engine {
  /** Always `"slurm"`. */
  readonly kind = "slurm";
  /** Always `"Slurm"`. */
  readonly title = "Slurm";
  /** `sacct` knows a job as soon as `squeue` forgets it. */
  readonly accountingLag = 5_000;
  readonly #options: ResolvedSlurmOptions;

  /** An engine for jobs made from `options`. */
  constructor(options: ResolvedSlurmOptions) {
    this.#options = options;
  }

  /** `sbatch --parsable` with the script on stdin; resolves with the job id. */
  async submit(script: string): Promise<string> {
    const argv = [...this.#options.submitCommand, "--parsable"];
    return parseSubmitted(await checkedOutput(argv, { stdin: script, missing: MISSING }));
  }

  /** `scancel`; ids Slurm no longer knows are not an error. */
  async cancel(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await runCommand([...this.#options.cancelCommand, ...jobIds], { missing: MISSING });
  }

  /** The jobs named like this executor's, in every state `squeue` still remembers. */
  async queue(): Promise<Map<string, QueuedJob>> {
    const argv = [...this.#options.queueCommand, ...queueArgs(this.#options.common.jobName)];
    return parseQueue(await checkedOutput(argv, { timeout: 30_000, missing: MISSING }));
  }

  /** `sacct` for a job `squeue` has forgotten; `undefined` where accounting is off. */
  async accounting(jobId: string): Promise<QueuedJob | undefined> {
    const argv = [
      ...this.#options.accountingCommand,
      "-X",
      "-n",
      "-P",
      "-j",
      jobId,
      "-o",
      "JobID,State,Reason,NodeList",
    ];
    const result = await runCommand(argv, { timeout: 30_000, missing: MISSING });
    return result.code === 0 ? parseAccounting(result.stdout, jobId) : undefined;
  }

  /** Whether `squeue` (without `--states`) lists a job in `state`. */
  isLive(state: string): boolean {
    return isLive(state);
  }

  /** Slurm jobs never wait in an error state: always `false`. */
  isStuck(_state: string): boolean {
    return false;
  }

  /** The `#SBATCH` script. */
  script(context: ScriptContext): string {
    return jobScript(this.#options, context);
  }

  /** `DIR/baton-ID.log` with a log directory, else Slurm's `slurm-ID.out` here. */
  logFile(jobId: string): string {
    const dir = this.#options.common.logDirectory;
    return dir
      ? `${dir.replace(/\/+$/, "")}/baton-${jobId}.log`
      : `${Deno.cwd()}/slurm-${jobId}.out`;
  }

  /** A {@linkcode SlurmJobLostError}. */
  lostError(jobId: string | undefined, state: string | undefined, why: string): SlurmJobLostError {
    return new SlurmJobLostError(jobId, state, why);
  }

  /** Partition, CPUs, memory and time. */
  info(): Record<string, unknown> {
    const o = this.#options;
    return {
      ...(o.partition ? { partition: o.partition } : {}),
      cpus: o.cpus,
      ...(o.common.memoryMegabytes ? { memory: `${o.common.memoryMegabytes}M` } : {}),
      ...(o.timeMinutes ? { time: `${o.timeMinutes}m` } : {}),
    };
  }
}
