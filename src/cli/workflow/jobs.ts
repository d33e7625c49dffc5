/**
 * The two job kinds a workflow file adds to the library's: a command with
 * retries, and a module function with retries and `{ from }` arguments.
 *
 * @module
 */

import { command, type CommandOptions, type CommandResult } from "../../flow/command.ts";
import {
  functionIdentity,
  Job,
  type JobDefinition,
  jobInternals,
  TaskJob,
} from "../../flow/job.ts";
import type { Task } from "../../scheduler/task.ts";
import { isFromRef, type ModuleJobSpec, type RunJobSpec } from "./types.ts";

/** A `run:` job: a fresh `command()` job per attempt, so retries start a new process. */
export class RunJob extends Job<CommandResult> {
  /** The command line. */
  readonly argv: readonly string[];
  readonly #options: CommandOptions;
  readonly #retries: number;
  /** Attempts made so far. */
  attempts = 0;

  /**
   * Creates the job; builds one command job now so that bad options fail here.
   *
   * @throws {TypeError} when the command options are refused (see `command()`).
   */
  constructor(spec: RunJobSpec) {
    super(spec.id);
    this.argv = spec.argv;
    this.#options = {
      cwd: spec.cwd,
      env: spec.env,
      limits: spec.limits.wallTime === undefined ? undefined : { wallTime: spec.limits.wallTime },
      permissions: spec.permissions,
    };
    this.#retries = spec.retries;
    this.#definition = { ...command(this.argv, this.#options).definition(), kind: "run" };
  }

  readonly #definition: JobDefinition;

  /** Its command's argv, working directory, extra environment and wall time (not retries). */
  override definition(): JobDefinition {
    return this.#definition;
  }

  /** Its process must be killed and reaped before the flow ends. */
  protected override get awaitsCancellation(): boolean {
    return true;
  }

  protected async execute(signal: AbortSignal): Promise<CommandResult> {
    for (;;) {
      this.attempts++;
      try {
        return await jobInternals.execute(
          command(this.argv, this.#options),
          signal,
        ) as CommandResult;
      } catch (error) {
        if (signal.aborted || this.attempts > this.#retries) throw error;
      }
    }
  }
}

/**
 * A `module:` job: one call of a task on the run's scheduler, with the
 * results of other jobs in place of `{ from: <id> }` arguments.
 */
export class ModuleJob extends TaskJob<unknown[], unknown> {
  readonly #args: readonly unknown[];
  readonly #retries: number;
  readonly #resultOf: (id: string) => unknown;
  readonly #spec: ModuleJobSpec;
  /** Attempts made so far. */
  attempts = 0;

  /** Creates the job; `resultOf(id)` gives a finished job's result. */
  constructor(
    task: Task<unknown[], unknown>,
    spec: ModuleJobSpec,
    resultOf: (id: string) => unknown,
  ) {
    super(task, []);
    this.label = spec.id;
    this.#args = spec.args;
    this.#retries = spec.retries;
    this.#resultOf = resultOf;
    this.#spec = spec;
  }

  /**
   * The module URL, the export and its source (the function's own code, not
   * the rest of the module), the arguments (`{ from }` as written: their
   * values are inputs), limits and permissions.
   */
  override definition(): JobDefinition {
    const spec = this.#spec;
    return {
      kind: "module",
      module: spec.moduleUrl,
      source: functionIdentity(this.task.fn)?.source,
      export: spec.exportName,
      args: spec.args,
      limits: spec.limits,
      permissions: spec.permissions,
    };
  }

  protected override async execute(signal: AbortSignal): Promise<unknown> {
    // Requirements are done by now, so their results are there to pass on.
    const args = this.#args.map((arg) => isFromRef(arg) ? this.#resultOf(arg.from) : arg);
    for (;;) {
      signal.throwIfAborted();
      this.attempts++;
      const future = this.task.submit(...args);
      if (!future) throw new Error(`task "${this.task.name}" did not accept the call`);
      const cancel = () => future.cancel();
      signal.addEventListener("abort", cancel, { once: true });
      try {
        return await future;
      } catch (error) {
        if (signal.aborted || this.attempts > this.#retries) throw error;
      } finally {
        signal.removeEventListener("abort", cancel);
      }
    }
  }
}
