/**
 * Son of Grid Engine (and its relatives) as an {@linkcode Engine}: `qsub`,
 * `qdel`, `qstat -xml` and `qacct`, and the parsing of what they print.
 *
 * @module
 */

import type { Engine, QueuedJob, ScriptContext } from "../hpc/engine.ts";
import { checkedOutput, runCommand } from "../hpc/commands.ts";
import type { ResolvedSgeOptions } from "./options.ts";
import { sgeScript } from "./script.ts";
import { formatDuration } from "../../units.ts";
import { SgeJobLostError } from "./errors.ts";

const MISSING = "is Grid Engine installed here, with SGE_ROOT set (source its settings.sh)?";

/** What `qstat` lists: every job that has not finished. */
const LISTED_STATES = new Set(["PENDING", "HELD", "RUNNING", "SUSPENDED", "DELETING", "ERROR"]);

/**
 * Grid Engine's state letters in the executor's words: `qw` → `PENDING`,
 * `hqw` → `HELD`, `r`/`t`/`Rr` → `RUNNING`, `s`/`S`/`T` → `SUSPENDED`,
 * `dr`… → `DELETING`, `Eqw` → `ERROR`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sgeState } from "./commands.ts";
 * assert.equal(sgeState("Eqw"), "ERROR");
 * assert.equal(sgeState("qw"), "PENDING");
 * ```
 */
export function sgeState(code: string): string {
  if (code.includes("E")) return "ERROR";
  if (code.includes("d")) return "DELETING";
  if (/[sST]/.test(code)) return "SUSPENDED";
  if (/[rt]/.test(code)) return "RUNNING";
  if (code.includes("h")) return "HELD";
  return "PENDING";
}

/**
 * Parses `qstat -xml`: the jobs named `jobName`, with their state, the
 * letters as the reason, and the host from the queue instance.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseQstat } from "./commands.ts";
 * const xml = `<job_info><queue_info><job_list state="running">
 *   <JB_job_number>12</JB_job_number><JB_name>baton-1a2b</JB_name>
 *   <state>r</state><queue_name>all.q@node3</queue_name>
 * </job_list></queue_info><job_info/></job_info>`;
 * assert.equal(parseQstat(xml, "baton-1a2b").get("12")?.state, "RUNNING");
 * ```
 */
export function parseQstat(xml: string, jobName: string): Map<string, QueuedJob> {
  if (!xml.includes("<job_info")) {
    throw new TypeError(
      `Unexpected qstat output ${JSON.stringify(xml.slice(0, 200))}; expected qstat -xml`,
    );
  }
  const jobs = new Map<string, QueuedJob>();
  for (const [, body] of xml.matchAll(/<job_list[^>]*>([\s\S]*?)<\/job_list>/g)) {
    const field = (name: string) =>
      new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1]?.trim() ?? "";
    if (field("JB_name") !== jobName) continue;
    const jobId = field("JB_job_number");
    const code = field("state");
    if (!jobId || !code) continue;
    const queue = field("queue_name");
    jobs.set(jobId, {
      jobId,
      state: sgeState(code),
      reason: code,
      node: queue.includes("@") ? queue.slice(queue.indexOf("@") + 1) : undefined,
    });
  }
  return jobs;
}

/**
 * Parses `qacct -j ID`: why the job ended. `failed 0` with exit status 0
 * is `COMPLETED`; a limit Grid Engine enforced (`failed 37`, e.g. `h_rt`)
 * is `TIMEOUT`; a job killed by a signal after it started (`failed 100`,
 * exit status above 128 — what `qdel` does) is `CANCELLED`; anything else
 * `FAILED`. The reason quotes `failed` and the exit status.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseQacct } from "./commands.ts";
 * const record = "jobnumber 7\nfailed 37 : qmaster enforced h_rt limit\nexit_status 137\n";
 * assert.equal(parseQacct(record, "7")?.state, "TIMEOUT");
 * ```
 */
export function parseQacct(text: string, jobId: string): QueuedJob | undefined {
  const fields = new Map<string, string>();
  // qacct prints one record per run of the job id; the last is the newest.
  for (const line of text.split("\n")) {
    const match = /^(\w+)\s+(.*)$/.exec(line.trim());
    if (match) fields.set(match[1], match[2].trim());
  }
  if (fields.get("jobnumber") !== jobId || !fields.has("failed")) return undefined;
  const failedText = fields.get("failed")!;
  const failed = Number.parseInt(failedText, 10);
  const exit = Number.parseInt(fields.get("exit_status") ?? "", 10);
  let state = "FAILED";
  if (failed === 0) state = exit === 0 ? "COMPLETED" : "FAILED";
  else if (failed === 37) state = "TIMEOUT";
  else if (failed === 100 && exit > 128) state = "CANCELLED";
  const host = fields.get("hostname");
  return {
    jobId,
    state,
    reason: `failed ${failedText.replace(/\s+:\s+/, ": ")}; exit status ${
      fields.get("exit_status") ?? "?"
    }`,
    node: host && host !== "undefined" ? host : undefined,
  };
}

/**
 * Reads the job id from `qsub -terse` output (`12`, or `12.1-4:1` for an array).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseQsub } from "./commands.ts";
 * assert.equal(parseQsub("12\n"), "12");
 * ```
 */
export function parseQsub(stdout: string): string {
  const line = stdout.trim().split("\n").at(-1)?.trim() ?? "";
  const id = /^(\d+)(?:\.\S*)?$/.exec(line)?.[1];
  if (!id) {
    throw new TypeError(
      `Could not read a job id from the submit command's output ${
        JSON.stringify(stdout.slice(0, 200))
      }; expected what qsub -terse prints, e.g. "12"`,
    );
  }
  return id;
}

/**
 * Grid Engine for the HPC executor, with one executor's options and job name.
 *
 * @example
 * ```ts ignore
 * // needs a Grid Engine cell (qsub, qdel)
 * import { SgeEngine } from "./commands.ts";
 * import { resolveSgeOptions } from "./options.ts";
 * const engine = new SgeEngine(resolveSgeOptions({ workers: 2 }));
 * const id = await engine.submit(script);
 * await engine.cancel([id]);
 * ```
 */
export class SgeEngine implements Engine {
  /** Always `"sge"`. */
  readonly kind = "sge";
  /** Always `"Grid Engine"`. */
  readonly title = "Grid Engine";
  /** The qmaster writes accounting every `flush_time` of `reporting_params`, 15 s by default. */
  readonly accountingLag = 20_000;
  readonly #options: ResolvedSgeOptions;

  /** An engine for jobs made from `options`. */
  constructor(options: ResolvedSgeOptions) {
    this.#options = options;
  }

  /** `qsub -terse` with the script on stdin; resolves with the job id. */
  async submit(script: string): Promise<string> {
    const argv = [...this.#options.submitCommand, "-terse"];
    return parseQsub(await checkedOutput(argv, { stdin: script, missing: MISSING }));
  }

  /** `qdel`; ids Grid Engine no longer knows are not an error. */
  async cancel(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await runCommand([...this.#options.cancelCommand, ...jobIds], { missing: MISSING });
  }

  /** This executor's jobs that `qstat` lists (those not finished). */
  async queue(): Promise<Map<string, QueuedJob>> {
    const argv = [...this.#options.queueCommand, "-xml"];
    const xml = await checkedOutput(argv, { timeout: 30_000, missing: MISSING });
    return parseQstat(xml, this.#options.common.jobName);
  }

  /** `qacct -j` for a job `qstat` no longer lists; `undefined` until it is accounted. */
  async accounting(jobId: string): Promise<QueuedJob | undefined> {
    const argv = [...this.#options.accountingCommand, "-j", jobId];
    const result = await runCommand(argv, { timeout: 30_000, missing: MISSING });
    return result.code === 0 ? parseQacct(result.stdout, jobId) : undefined;
  }

  /** Whether `qstat` lists a job in `state`. */
  isLive(state: string): boolean {
    return LISTED_STATES.has(state);
  }

  /** Grid Engine's error state (`Eqw`): the job waits for someone to clear it. */
  isStuck(state: string): boolean {
    return state === "ERROR";
  }

  /** The `#$` script. */
  script(context: ScriptContext): string {
    return sgeScript(this.#options, context);
  }

  /** `DIR/baton-ID.log` with a log directory, else Grid Engine's `NAME.oID` here. */
  logFile(jobId: string): string {
    const dir = this.#options.common.logDirectory;
    return dir
      ? `${dir.replace(/\/+$/, "")}/baton-${jobId}.log`
      : `${Deno.cwd()}/${this.#options.common.jobName}.o${jobId}`;
  }

  /** An {@linkcode SgeJobLostError}. */
  lostError(jobId: string | undefined, state: string | undefined, why: string): SgeJobLostError {
    return new SgeJobLostError(jobId, state, why);
  }

  /** Queue, slots, memory and time. */
  info(): Record<string, unknown> {
    const o = this.#options;
    return {
      ...(o.queue ? { queue: o.queue } : {}),
      slots: o.slots,
      ...(o.common.memoryMegabytes ? { memory: `${o.common.memoryMegabytes}M` } : {}),
      ...(o.common.time !== undefined ? { time: formatDuration(o.common.time) } : {}),
    };
  }
}
