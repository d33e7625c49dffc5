/**
 * Loads a workflow file and the files it nests: YAML, then the JSON Schema,
 * then the checks a schema cannot express. Every problem of every file is
 * collected before anything is reported, and nothing runs if there is one.
 *
 * @module
 */

import { WorkflowError, type WorkflowIssue } from "../errors.ts";
import { type ParsedFile, readWorkflowFile } from "./parse.ts";
import { relative, resolve } from "node:path";
import { validateAgainstSchema } from "./schema.ts";
import type { WorkflowSpec } from "./types.ts";
import { checkWorkflow } from "./validate.ts";

/** A workflow as far as it could be checked: the jobs that passed, and every problem found. */
export interface LoadedWorkflow {
  /** The spec of the jobs that passed; `undefined` when the file has no usable jobs. */
  readonly spec?: WorkflowSpec;
  /** Every problem found, in file order. */
  readonly issues: readonly WorkflowIssue[];
}

/**
 * Reads, validates and resolves the workflow `file` and its nested files.
 *
 * @throws {WorkflowError} listing every problem (file, line, column).
 */
export async function loadWorkflow(file: string): Promise<WorkflowSpec> {
  const { spec, issues } = await checkWorkflowFile(file);
  if (!spec || issues.length > 0) throw new WorkflowError(issues);
  return spec;
}

/**
 * Reads and checks `file` and its nested files, going on past problems so
 * that all of them are found in one go. Never throws a {@linkcode WorkflowError}.
 */
export async function checkWorkflowFile(file: string): Promise<LoadedWorkflow> {
  const issues: WorkflowIssue[] = [];
  const spec = await loadOne(file, issues, []);
  return { spec, issues: sortIssues(issues) };
}

async function loadOne(
  file: string,
  issues: WorkflowIssue[],
  chain: string[],
): Promise<WorkflowSpec | undefined> {
  let parsed: ParsedFile;
  try {
    parsed = await readWorkflowFile(file);
  } catch (error) {
    if (error instanceof WorkflowError) {
      issues.push(...error.issues);
      return undefined;
    }
    throw error;
  }
  issues.push(...parsed.issues);
  const schemaIssues = validateAgainstSchema(parsed.value);
  for (const s of schemaIssues) issues.push(parsed.issue(s.path, s.message, { key: s.atKey }));
  const here = [...chain, resolve(file)];
  return await checkWorkflow(parsed, issues, async (nested, at) => {
    if (here.includes(nested)) {
      const names = [...here.slice(here.indexOf(nested)), nested].map((p) => display(p));
      issues.push({
        ...at,
        message: `workflow files include each other in a loop: ${names.join(" → ")}`,
      });
      return undefined;
    }
    const before = issues.length;
    const spec = await loadOne(display(nested), issues, here);
    return issues.length > before ? undefined : spec;
  }, schemaIssues);
}

/** A path relative to the working directory when that is shorter, for messages. */
function display(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel.length < path.length && !rel.startsWith("../..") ? rel : path;
}

/** Files in discovery order, then by position; the same problem reported twice once. */
export function sortIssues(issues: readonly WorkflowIssue[]): WorkflowIssue[] {
  const order = new Map<string, number>();
  for (const i of issues) if (!order.has(i.file)) order.set(i.file, order.size);
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.file}\0${i.line}\0${i.col}\0${i.message}`;
    return !seen.has(key) && seen.add(key);
  }).sort((a, b) => order.get(a.file)! - order.get(b.file)! || a.line - b.line || a.col - b.col);
}
