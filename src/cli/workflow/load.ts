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

/**
 * Reads, validates and resolves the workflow `file` and its nested files.
 *
 * @throws {WorkflowError} listing every problem (file, line, column).
 */
export async function loadWorkflow(file: string): Promise<WorkflowSpec> {
  const issues: WorkflowIssue[] = [];
  const spec = await loadOne(file, issues, []);
  if (!spec || issues.length > 0) throw new WorkflowError(sortIssues(issues));
  return spec;
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
  const schemaIssues = validateAgainstSchema(parsed.value);
  if (schemaIssues.length > 0) {
    for (const s of schemaIssues) issues.push(parsed.issue(s.path, s.message, { key: s.atKey }));
    return undefined;
  }
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
    return await loadOne(display(nested), issues, here);
  });
}

/** A path relative to the working directory when that is shorter, for messages. */
function display(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel.length < path.length && !rel.startsWith("../..") ? rel : path;
}

function sortIssues(issues: WorkflowIssue[]): WorkflowIssue[] {
  // Stable: files in discovery order, then by position.
  const order = new Map<string, number>();
  for (const i of issues) if (!order.has(i.file)) order.set(i.file, order.size);
  return issues.slice().sort((a, b) =>
    order.get(a.file)! - order.get(b.file)! || a.line - b.line || a.col - b.col
  );
}
