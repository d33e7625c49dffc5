/**
 * The checks a JSON Schema cannot express: one kind per job, keys that only
 * make sense for some kinds, requirements on jobs that exist, no cycles,
 * files that exist, matrices and their placeholders, retries. Produces the
 * {@linkcode WorkflowSpec} of the jobs that passed, so that later checks
 * (modules, exports) can run on them and every problem is reported at once.
 *
 * @module
 */

import { dirname, resolve } from "./paths.ts";
import type { WorkflowIssue } from "../errors.ts";
import type { Limits } from "../../executors/limits.ts";
import { parseDuration } from "../../units.ts";
import { didYouMean } from "../../similar.ts";
import type { ParsedFile, Path } from "./parse.ts";
import type { SchemaIssue } from "./schema.ts";
import { type Combination, expandMatrix, matrixId } from "./matrix.ts";
import {
  type FileDefaults,
  fileExists,
  isObject,
  type JobCheck,
  type Raw,
  retrySpec,
} from "./job_check.ts";
import { moduleSpecs } from "./module_spec.ts";
import { runSpecs } from "./run_spec.ts";
import {
  type ExecutorKind,
  FromArg,
  type JobSpec,
  type RetrySpec,
  type WorkflowSpec,
} from "./types.ts";

const KINDS = ["run", "module", "flow"] as const;
type Kind = (typeof KINDS)[number];
/** Keys of the jobs that run something (run and module). */
const CALL_KEYS = [
  "timeout",
  "limits",
  "permissions",
  "retries",
  "backoff",
  "matrix",
  "cache",
];
/** Keys accepted per kind, besides the kind itself and the common ones. */
const KIND_KEYS: Record<Kind, readonly string[]> = {
  run: ["shell", "env", "cwd", ...CALL_KEYS],
  module: ["export", "args", "with", ...CALL_KEYS],
  flow: ["timeout"],
};
const COMMON_KEYS = ["requires", "critical", "forever"];
const ALLOWED: Record<Kind, ReadonlySet<string>> = {
  run: new Set(["run", ...COMMON_KEYS, ...KIND_KEYS.run]),
  module: new Set(["module", ...COMMON_KEYS, ...KIND_KEYS.module]),
  flow: new Set(["flow", ...COMMON_KEYS, ...KIND_KEYS.flow]),
};
/** Job lists longer than this are not spelt out in messages. */
const LISTED_JOBS = 20;

/** Loads a nested workflow file; returns undefined when it had issues (already reported). */
export type LoadNested = (
  file: string,
  at: WorkflowIssue,
) => Promise<WorkflowSpec | undefined>;

/** A job of the file as planned in the first pass: its kind and its ids. */
interface Plan {
  readonly kind: Kind;
  /** One per combination; `[undefined]` without a matrix. */
  readonly combinations: readonly (Combination | undefined)[];
  readonly ids: readonly string[];
}

/**
 * Checks one parsed file and builds the spec of its jobs that passed;
 * nested files go through `loadNested`. Pushes problems to `issues`.
 * `schemaIssues` (already reported) say which parts the schema refused:
 * those are skipped here. Returns `undefined` when the file has no usable
 * `jobs` mapping.
 */
export async function checkWorkflow(
  parsed: ParsedFile,
  issues: WorkflowIssue[],
  loadNested: LoadNested,
  schemaIssues: readonly SchemaIssue[] = [],
): Promise<WorkflowSpec | undefined> {
  const file = parsed.file;
  const dir = dirname(resolve(file));
  const top = parsed.value as Raw;
  const refused = new Set(schemaIssues.map((i) => String(i.path[0] ?? "")));
  if (!isObject(top) || !isObject(top.jobs)) return undefined;
  const brokenJobs = new Set(
    schemaIssues.filter((i) => i.path[0] === "jobs" && i.path.length >= 2).map((i) =>
      String(i.path[1])
    ),
  );
  const report = (path: Path, message: string, key = false) =>
    issues.push(parsed.issue(path, message, { key }));
  const rawJobs = top.jobs as Record<string, Raw>;
  const names = Object.keys(rawJobs);
  const nameSet = new Set(names);
  const defaultsRaw = (refused.has("defaults") ? {} : top.defaults ?? {}) as Raw;
  const defaults: FileDefaults = {
    raw: defaultsRaw,
    limits: (defaultsRaw.limits ?? {}) as Limits,
    cwd: typeof defaultsRaw.cwd === "string" ? resolve(dir, defaultsRaw.cwd) : dir,
  };
  if (defaultsRaw.cwd !== undefined && !fileExists(defaults.cwd, true)) {
    report(["defaults", "cwd"], `defaults.cwd: no such directory ${JSON.stringify(defaults.cwd)}`);
  }
  const listed = names.length <= LISTED_JOBS ? `; jobs: ${names.join(", ")}` : "";

  // Pass 1: each job's kind and ids, so that requirements can name any job of the file.
  const plans = new Map<string, Plan>();
  const idOwner = new Map<string, string>();
  for (const name of names) {
    const raw = rawJobs[name];
    if (brokenJobs.has(name)) continue;
    const kinds = KINDS.filter((k) => k in raw);
    if (kinds.length !== 1) {
      report(
        ["jobs", name],
        kinds.length === 0
          ? `job "${name}" has no kind; give exactly one of run (a command), module with export ` +
            `(a function) or flow (a nested workflow file)`
          : `job "${name}" has ${kinds.join(" and ")}; give exactly one of run, module or flow`,
        true,
      );
      continue;
    }
    const kind = kinds[0];
    const allowed = ALLOWED[kind];
    let misplaced = false;
    for (const key of Object.keys(raw)) {
      if (!allowed.has(key)) {
        misplaced = true;
        report(
          ["jobs", name, key],
          `"${key}" does not apply to a ${kind} job ("${name}"); a ${kind} job accepts: ${
            [...allowed].join(", ")
          }`,
          true,
        );
      }
    }
    if (misplaced) continue;
    let combinations: (Combination | undefined)[] = [undefined];
    if (raw.matrix !== undefined) {
      const expanded = expandMatrix(
        name,
        raw.matrix as Record<string, unknown[]>,
        (path, message) => report(["jobs", name, ...path], message),
      );
      if (!expanded) continue;
      combinations = expanded;
    }
    const ids = combinations.map((c) => c ? matrixId(name, c) : name);
    for (const id of ids) idOwner.set(id, name);
    plans.set(name, { kind, combinations, ids });
  }

  /** The ids a reference stands for, or `undefined` after reporting it. */
  const lookUp = (
    name: string,
    ref: string,
    path: Path,
    what: "requires" | "takes the result of",
  ): FromArg | undefined => {
    const owner = nameSet.has(ref) ? ref : idOwner.get(ref);
    if (owner === name) {
      report(
        path,
        what === "requires"
          ? `job "${name}" cannot require itself`
          : `job "${name}" cannot take its own result`,
      );
      return undefined;
    }
    if (owner === undefined) {
      report(
        path,
        `job "${name}" ${what} "${ref}", which is not a job of this file${
          didYouMean(ref, names)
        }${listed}`,
      );
      return undefined;
    }
    if (!nameSet.has(ref)) return new FromArg([ref], false);
    const plan = plans.get(ref);
    return new FromArg(plan?.ids ?? [], plan !== undefined && plan.combinations[0] !== undefined);
  };

  // Pass 2: the specs, one per combination.
  let fileRetry: RetrySpec | undefined; // shared by the jobs that set neither retries nor backoff
  const jobs: JobSpec[] = [];
  const edges = new Map<string, Set<string>>();
  for (const name of names) {
    const raw = rawJobs[name];
    const needs = new Set<string>();
    const needNames = new Set<string>();
    edges.set(name, needNames);
    const need = (ref: string, path: Path, what: "requires" | "takes the result of") => {
      const found = lookUp(name, ref, path, what);
      if (!found) return undefined;
      for (const id of found.ids) needs.add(id);
      needNames.add(nameSet.has(ref) ? ref : idOwner.get(ref)!);
      return found;
    };
    [raw.requires ?? []].flat().forEach((r, i) => {
      if (typeof r !== "string") return; // the schema said so
      const list = Array.isArray(raw.requires);
      need(r, ["jobs", name, "requires", ...(list ? [i] : [])], "requires");
    });
    const plan = plans.get(name);
    if (!plan) continue;
    const before = issues.length;
    const at = (path: Path, message: string) => parsed.issue(["jobs", name, ...path], message);
    const job: JobCheck = {
      name,
      raw,
      dir,
      defaults,
      combinations: plan.combinations,
      ids: plan.ids,
      keys: raw.matrix === undefined ? undefined : Object.keys(raw.matrix as Raw),
      report: (path, message, key = false) => report(["jobs", name, ...path], message, key),
      reportAt: (path, message) => report(path, message),
      take: (ref, path) => need(ref, path, "takes the result of"),
      base: (index) => {
        const combination = plan.combinations[index];
        return {
          id: plan.ids[index],
          name,
          ...(combination ? { matrix: combination } : {}),
          requires: [...needs],
          critical: raw.critical as boolean | undefined,
          forever: raw.forever as boolean | undefined,
          cache: raw.cache as boolean | undefined,
          issue: at,
        };
      },
      problems: () => issues.length - before,
    };
    if (plan.kind === "flow") {
      const path = resolve(dir, raw.flow as string);
      if (!fileExists(path)) {
        job.report(
          ["flow"],
          `job "${name}": no such workflow file ${JSON.stringify(path)} (paths are relative to ` +
            `the workflow file)`,
        );
        continue;
      }
      const nested = await loadNested(path, at(["flow"], ""));
      if (!nested) continue;
      const timeout = raw.timeout === undefined
        ? nested.timeout
        : parseDuration(raw.timeout as string);
      jobs.push({ ...job.base(0), kind: "flow", workflow: { ...nested, name, timeout } });
      continue;
    }
    const retry = raw.retries === undefined && raw.backoff === undefined
      ? fileRetry ??= retrySpec({ ...job, raw: {} })
      : retrySpec(job);
    jobs.push(...(plan.kind === "run" ? runSpecs(job, retry) : moduleSpecs(job, retry)));
  }

  const cycle = findCycle(names, edges);
  if (cycle) {
    report(
      ["jobs", cycle[0], "requires"],
      `the requirements form a cycle: ${shorten(cycle).join(" → ")}; remove one of these ` +
        `requirements`,
      true,
    );
  }
  return {
    file,
    name: typeof top.name === "string" ? top.name : file.split("/").pop()!.replace(/\.ya?ml$/, ""),
    window: refused.has("window") ? 0 : (top.window as number | undefined) ?? 0,
    timeout: top.timeout === undefined || refused.has("timeout")
      ? undefined
      : parseDuration(top.timeout as string),
    executor: refused.has("executor") ? undefined : top.executor as ExecutorKind | undefined,
    jobs,
  };
}

/** A long cycle with its middle left out, so that the message stays readable. */
function shorten(cycle: string[]): string[] {
  if (cycle.length <= 12) return cycle;
  return [...cycle.slice(0, 5), `… ${cycle.length - 10} more …`, ...cycle.slice(-5)];
}

/**
 * A cycle among `ids` through `edges` (job → what it requires), first id
 * repeated last. Iterative, so a chain of 100k jobs does not overflow the stack.
 */
function findCycle(ids: string[], edges: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  for (const start of ids) {
    if (state.has(start)) continue;
    const stack: { id: string; next: Iterator<string> }[] = [];
    const enter = (id: string) => {
      state.set(id, 1);
      stack.push({ id, next: (edges.get(id) ?? new Set()).values() });
    };
    enter(start);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const step = top.next.next();
      if (step.done) {
        state.set(top.id, 2);
        stack.pop();
        continue;
      }
      const next = step.value;
      if (!edges.has(next)) continue;
      if (state.get(next) === 1) {
        // Print it in the direction work flows: required job first.
        const path = stack.map((f) => f.id);
        const loop = path.slice(path.indexOf(next));
        return [...loop, next].reverse();
      }
      if (!state.has(next)) enter(next);
    }
  }
  return undefined;
}
