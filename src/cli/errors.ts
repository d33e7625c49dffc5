/**
 * Errors of the command line and their exit codes.
 *
 * @module
 */

/** Exit codes of `baton`: the flow succeeded, failed, the input was bad, or Ctrl-C. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/**
 * Bad arguments or an unusable setup: printed as is, exit code 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError } from "@baton/baton/cli";
 * assert.equal(new UsageError("--workers must be a positive integer, got 0").exitCode, 2);
 * ```
 * @category CLI
 */
export class UsageError extends Error {
  /** Always 2. */
  readonly exitCode: number = EXIT.usage;

  /** Creates the error with its full message. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * One problem in a workflow file, at a line and column (1-based).
 *
 * @category CLI
 */
export interface WorkflowIssue {
  /** The file, as given or resolved. */
  readonly file: string;
  /** 1-based line, 0 when unknown. */
  readonly line: number;
  /** 1-based column, 0 when unknown. */
  readonly col: number;
  /** What is wrong and what is accepted. */
  readonly message: string;
}

/** Renders an issue as `file:line:col: message`. */
export function formatIssue(issue: WorkflowIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  return `${where}: ${issue.message}`;
}

/**
 * A workflow file is invalid: every problem found, each with its file, line
 * and column. Nothing runs; exit code 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowError } from "@baton/baton/cli";
 * const error = new WorkflowError([
 *   { file: "flow.yaml", line: 3, col: 5, message: 'unknown key "requries"' },
 * ]);
 * assert.equal(error.message, 'flow.yaml:3:5: unknown key "requries"');
 * ```
 * @category CLI
 */
export class WorkflowError extends Error {
  /** Always 2. */
  readonly exitCode: number = EXIT.usage;
  /** The problems, in file order. */
  readonly issues: readonly WorkflowIssue[];

  /** Creates the error from its issues. */
  constructor(issues: readonly WorkflowIssue[]) {
    super(issues.map(formatIssue).join("\n"));
    this.name = "WorkflowError";
    this.issues = issues;
  }
}

/** Library advice and what a command-line user types instead. */
const CLI_WORDS: readonly [RegExp, string][] = [
  [/Scheduler\.withProcesses\(n?\)/g, "--executor processes"],
  [/Scheduler\.withWorkers\(n?\)/g, "--executor workers"],
  [/Scheduler\.sequential\(\)/g, "--executor sequential"],
];

/**
 * A library message in command-line terms: advice such as "use
 * `Scheduler.withProcesses(n)`" becomes "use `--executor processes`". The
 * library's own messages stay as they are, for library users.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cliWording } from "./errors.ts";
 * assert.equal(
 *   cliWording("use Scheduler.withProcesses(n), which enforces CPU"),
 *   "use --executor processes, which enforces CPU",
 * );
 * ```
 */
export function cliWording(message: string): string {
  let text = message;
  for (const [pattern, words] of CLI_WORDS) text = text.replace(pattern, words);
  return text;
}

/**
 * How `baton` prints a usage error on stderr: prefixed with `baton: `
 * unless the message already names the command (`baton run needs …`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError, usageLine } from "./errors.ts";
 * const line = usageLine(new UsageError("baton run needs exactly one workflow file"));
 * assert.equal(line, "baton run needs exactly one workflow file"); // no "baton: baton"
 * assert.equal(usageLine(new UsageError("no such file")), "baton: no such file");
 * ```
 */
export function usageLine(error: UsageError): string {
  return /^baton\b/.test(error.message) ? error.message : `baton: ${error.message}`;
}
