/**
 * From a file name to a flow ready to run, with every problem of the file
 * and the files it nests reported in one go: YAML, schema, jobs,
 * requirements, matrices, modules and exports, limits the executor cannot
 * enforce.
 *
 * @module
 */

import { WorkflowError } from "../errors.ts";
import { buildCollecting, type BuildOptions, type BuiltWorkflow } from "./build.ts";
import { checkWorkflowFile, sortIssues } from "./load.ts";
import type { WorkflowSpec } from "./types.ts";

/** A built workflow and the spec it was built from. */
export interface PreparedWorkflow extends BuiltWorkflow {
  /** The checked file. */
  readonly spec: WorkflowSpec;
}

/**
 * Loads, checks and builds `file`.
 *
 * @throws {WorkflowError} listing every problem found (file, line, column), in file order.
 */
export async function prepareWorkflow(
  file: string,
  options: BuildOptions,
): Promise<PreparedWorkflow> {
  const { spec, issues } = await checkWorkflowFile(file);
  const all = [...issues];
  // The jobs that passed are built too, so module and export problems join the others.
  const built = spec ? await buildCollecting(spec, options, all) : undefined;
  if (!spec || !built || all.length > 0) throw new WorkflowError(sortIssues(all));
  return { ...built, spec };
}
