// Workflow files checked and run in-process: written next to the CLI fixtures, so that
// `modules/…` paths resolve, and removed afterwards.
import { FIXTURES } from "./cli_helpers.ts";
import { checkWorkflowFile } from "../src/cli/workflow/load.ts";
import { type PreparedWorkflow, prepareWorkflow } from "../src/cli/workflow/prepare.ts";
import type { WorkflowIssue } from "../src/cli/errors.ts";
import type { WorkflowSpec } from "../src/cli/workflow/types.ts";
import type { ExecutorKind } from "../src/cli/workflow/types.ts";

export { FIXTURES };

/** Writes `yaml` to a fresh file beside the fixtures, calls `fn` with its path, removes it. */
export async function withWorkflow<T>(yaml: string, fn: (path: string) => Promise<T>): Promise<T> {
  const path = `${FIXTURES}/tmp_wf_${crypto.randomUUID().slice(0, 8)}.yaml`;
  await Deno.writeTextFile(path, yaml);
  try {
    return await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

/** A checked file: its spec, its issues, and each issue as "line:col: message". */
export interface Checked {
  spec?: WorkflowSpec;
  issues: readonly WorkflowIssue[];
  lines: string[];
}

/** Checks `yaml` as `baton validate` does before building. */
export function check(yaml: string): Promise<Checked> {
  return withWorkflow(yaml, async (path) => {
    const { spec, issues } = await checkWorkflowFile(path);
    return { spec, issues, lines: issues.map((i) => `${i.line}:${i.col}: ${i.message}`) };
  });
}

/** Lines of YAML joined, so tests can write a file one line per item. */
export function yaml(...lines: string[]): string {
  return lines.join("\n") + "\n";
}

/**
 * The lines of a job `flaky` whose first `failures` calls for `key` fail
 * (see `modules/flaky.ts`), with more `options` lines (`"retries: 2"`).
 */
export function flakyJob(key: string, failures: number, ...options: string[]): string[] {
  return [
    "  flaky:",
    "    module: modules/flaky.ts",
    "    export: flaky",
    `    args: ["${key}", ${failures}]`,
    ...options.map((line) => `    ${line}`),
  ];
}

/** Every flow event of a run, as [event, job label, ...args]. */
export type Recorded = [event: string, job: string, ...rest: unknown[]];

/** Builds and runs `text` on `executor`; returns the built workflow and the events of its top flow. */
export function runWorkflow(
  text: string,
  executor: ExecutorKind = "sequential",
): Promise<{ built: PreparedWorkflow; ok: boolean; events: Recorded[]; error?: unknown }> {
  return withWorkflow(text, async (path) => {
    const built = await prepareWorkflow(path, { executor, workers: 1 });
    const events: Recorded[] = [];
    built.flow.tap((event, args) => {
      const [job, ...rest] = args as [{ label?: string }, ...unknown[]];
      events.push([event, job?.label ?? String(job), ...rest]);
    });
    let ok = false;
    let error: unknown;
    try {
      ok = await built.flow.run();
    } catch (e) {
      error = e;
    }
    return { built, ok, events, error };
  });
}
