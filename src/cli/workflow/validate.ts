/**
 * The checks a JSON Schema cannot express: one kind per job, keys that only
 * make sense for some kinds, requirements on jobs that exist, no cycles,
 * files that exist, matrices and their placeholders, retries. Produces the
 * {@linkcode WorkflowSpec} of the jobs that passed, so that later checks
 * (modules, exports) can run on them and every problem is reported at once.
 *
 * @module
 */

import { dirname, resolve, toFileUrl } from "./paths.ts";
import type { WorkflowIssue } from "../errors.ts";
import type { Limits, Permissions } from "../../executors/limits.ts";
import { parseDuration } from "../../units.ts";
import { type BackoffOptions, resolveBackoff } from "../../plugins/backoff.ts";
import { didYouMean } from "../../similar.ts";
import type { ParsedFile, Path } from "./parse.ts";
import type { SchemaIssue } from "./schema.ts";
import { splitCommand } from "./split.ts";
import {
  checkPlaceholders,
  type Combination,
  expandMatrix,
  interpolate,
  matrixId,
  splitWithPlaceholders,
  substitute,
} from "./matrix.ts";
import {
  type ExecutorKind,
  isFromRef,
  type JobSpec,
  type MatrixValue,
  ResultRef,
  type RetrySpec,
  type WorkflowSpec,
} from "./types.ts";

const KINDS = ["run", "module", "flow"] as const;
type Kind = (typeof KINDS)[number];
const TIMING_KEYS = ["timeout", "limits", "permissions", "retries", "backoff", "matrix"];
/** Keys accepted per kind, besides the kind itself and the common ones. */
const KIND_KEYS: Record<Kind, readonly string[]> = {
  run: ["shell", "env", "cwd", ...TIMING_KEYS],
  module: ["export", "args", "with", ...TIMING_KEYS],
  flow: ["timeout"],
};
const COMMON_KEYS = ["requires", "critical", "forever"];
const ALLOWED: Record<Kind, ReadonlySet<string>> = {
  run: new Set(["run", ...COMMON_KEYS, ...KIND_KEYS.run]),
  module: new Set(["module", ...COMMON_KEYS, ...KIND_KEYS.module]),
  flow: new Set(["flow", ...COMMON_KEYS, ...KIND_KEYS.flow]),
};
const DENO_SUBCOMMANDS = ["run", "test", "bench", "serve"];
/** Job lists longer than this are not spelt out in messages. */
const LISTED_JOBS = 20;

type Raw = Record<string, unknown>;

/** Loads a nested workflow file; returns undefined when it had issues (already reported). */
export type LoadNested = (
  file: string,
  at: WorkflowIssue,
) => Promise<WorkflowSpec | undefined>;

function isObject(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fileExists(path: string, directory = false): boolean {
  try {
    const info = Deno.statSync(path);
    return directory ? info.isDirectory : info.isFile;
  } catch {
    return false;
  }
}

/** Whether `argv` is `deno <run|test|bench|serve> …`, the commands that take permissions. */
export function isDenoCommand(argv: readonly string[]): boolean {
  const program = argv[0]?.split(/[\\/]/).pop();
  return (program === "deno" || program === "deno.exe") && DENO_SUBCOMMANDS.includes(argv[1]);
}

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
  const defaults = (refused.has("defaults") ? {} : top.defaults ?? {}) as Raw;
  const defaultLimits = (defaults.limits ?? {}) as Limits;
  const defaultCwd = typeof defaults.cwd === "string" ? resolve(dir, defaults.cwd) : dir;
  if (defaults.cwd !== undefined && !fileExists(defaultCwd, true)) {
    report(["defaults", "cwd"], `defaults.cwd: no such directory ${JSON.stringify(defaultCwd)}`);
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
  ): ResultRef | undefined => {
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
    if (!nameSet.has(ref)) return new ResultRef([ref], false);
    const plan = plans.get(ref);
    return new ResultRef(plan?.ids ?? [], plan !== undefined && plan.combinations[0] !== undefined);
  };

  // Pass 2: the specs, one per combination.
  let fileRetry: RetrySpec | undefined; // shared by the jobs that set neither retries nor backoff
  const jobs: JobSpec[] = [];
  const edges = new Map<string, Set<string>>();
  for (const name of names) {
    const raw = rawJobs[name];
    const requiresRaw = [raw.requires ?? []].flat();
    const needs = new Set<string>();
    const needNames = new Set<string>();
    requiresRaw.forEach((r, i) => {
      if (typeof r !== "string") return; // the schema said so
      const path = [
        "jobs",
        name,
        ...(Array.isArray(raw.requires) ? ["requires", i] : ["requires"]),
      ];
      const ref = lookUp(name, r, path, "requires");
      if (!ref) return;
      for (const id of ref.ids) needs.add(id);
      needNames.add(nameSet.has(r) ? r : idOwner.get(r)!);
    });
    edges.set(name, needNames);
    const plan = plans.get(name);
    if (!plan) continue;
    const before = issues.length;
    const at = (path: Path, message: string) => parsed.issue(["jobs", name, ...path], message);
    const here = (path: Path, message: string, key = false) =>
      report(["jobs", name, ...path], message, key);
    const keys = raw.matrix === undefined ? undefined : Object.keys(raw.matrix as Raw);
    const common = (combination: Combination | undefined, id: string) => ({
      id,
      name,
      ...(combination ? { matrix: combination as Readonly<Record<string, MatrixValue>> } : {}),
      requires: [...needs],
      critical: raw.critical as boolean | undefined,
      forever: raw.forever as boolean | undefined,
      issue: at,
    });

    if (plan.kind === "flow") {
      const path = resolve(dir, raw.flow as string);
      if (!fileExists(path)) {
        here(
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
      jobs.push({
        ...common(undefined, name),
        kind: "flow",
        workflow: { ...nested, name, timeout },
      });
      continue;
    }

    const limits = jobLimits(name, raw, defaultLimits, here);
    const retry = raw.retries === undefined && raw.backoff === undefined
      ? fileRetry ??= retrySpec(name, {}, defaults, here)
      : retrySpec(name, raw, defaults, here);
    let permissions = (raw.permissions ?? undefined) as Permissions | undefined;

    if (plan.kind === "run") {
      let argvOf: (c: Combination | undefined) => string[];
      if (typeof raw.run === "string") {
        const script = raw.run;
        checkPlaceholders(name, script, ["jobs", name, "run"], keys, report);
        if (raw.shell === true) argvOf = (c) => ["sh", "-c", c ? interpolate(script, c) : script];
        else {
          let words: string[];
          try {
            words = splitCommand(script);
          } catch (error) {
            here(["run"], `job "${name}": ${(error as Error).message}`);
            continue;
          }
          if (words.length === 0) {
            here(["run"], `job "${name}": the command is empty`);
            continue;
          }
          argvOf = (c) => c ? splitWithPlaceholders(script, c, splitCommand) : words;
        }
      } else {
        if (raw.shell === true) {
          here(
            ["shell"],
            `job "${name}": shell: true needs run as one string (the script for sh -c), ` +
              `not a list`,
          );
          continue;
        }
        const words = (raw.run as unknown[]).map(String);
        words.forEach((w, i) => checkPlaceholders(name, w, ["jobs", name, "run", i], keys, report));
        argvOf = (c) => c ? words.map((w) => interpolate(w, c)) : words;
      }
      for (const key of ["cpuTime", "memory"] as const) {
        if ((raw.limits as Limits | undefined)?.[key] !== undefined) {
          here(
            ["limits", key],
            `job "${name}": a run job accepts limits.wallTime only; for ${key} make it a ` +
              `module job and use --executor processes`,
            true,
          );
        }
        delete limits[key]; // a default cpu/memory limit is for module jobs
      }
      if (issues.length > before) continue;
      const firstArgv = argvOf(plan.combinations[0]);
      if (permissions !== undefined && !isDenoCommand(firstArgv)) {
        here(
          ["permissions"],
          `job "${name}": permissions apply to module jobs and to deno commands ` +
            `(deno run|test|bench|serve …), not to ${JSON.stringify(firstArgv[0])}`,
          true,
        );
        continue;
      }
      if (permissions === undefined && isDenoCommand(firstArgv)) {
        permissions = defaults.permissions as Permissions | undefined;
      }
      const cwd = typeof raw.cwd === "string" ? resolve(dir, raw.cwd) : defaultCwd;
      if (raw.cwd !== undefined && !fileExists(cwd, true)) {
        here(["cwd"], `job "${name}": no such directory ${JSON.stringify(cwd)}`);
        continue;
      }
      const env = { ...stringEnv(defaults.env), ...stringEnv(raw.env) };
      for (const [k, v] of Object.entries(env)) {
        checkPlaceholders(name, v, ["jobs", name, "env", k], keys, report);
      }
      if (issues.length > before) continue;
      plan.combinations.forEach((combination, i) => {
        const envHere = Object.fromEntries(
          Object.entries(env).map(([k, v]) => [k, combination ? interpolate(v, combination) : v]),
        );
        jobs.push({
          ...common(combination, plan.ids[i]),
          kind: "run",
          argv: argvOf(combination),
          cwd,
          env: Object.keys(envHere).length ? envHere : undefined,
          limits,
          permissions,
          retry,
        });
      });
      continue;
    }

    // A module job.
    const path = resolve(dir, raw.module as string);
    if (!fileExists(path)) {
      here(
        ["module"],
        `job "${name}": no such module ${JSON.stringify(path)} (module paths are relative to ` +
          `the workflow file)`,
      );
      continue;
    }
    /** An argument as checked: `{ from }` becomes a ResultRef; the rest is checked for placeholders. */
    const argument = (value: unknown, argPath: Path): unknown => {
      if (isFromRef(value)) {
        const ref = lookUp(name, value.from, [...argPath, "from"], "takes the result of");
        if (ref) { for (const id of ref.ids) needs.add(id); }
        if (ref && nameSet.has(value.from)) needNames.add(value.from);
        else if (ref) needNames.add(idOwner.get(value.from)!);
        return ref;
      }
      if (isObject(value) && "from" in value) {
        report(
          argPath,
          `job "${name}": an argument with "from" must be exactly { from: <job> }, got ${
            JSON.stringify(value)
          }`,
        );
        return value;
      }
      checkPlaceholders(name, value, argPath, keys, report, true);
      return value;
    };
    const argsRaw = raw.args === undefined ? [] : Array.isArray(raw.args) ? raw.args : [raw.args];
    const args = argsRaw.map((arg, i) =>
      argument(arg, ["jobs", name, "args", ...(Array.isArray(raw.args) ? [i] : [])])
    );
    const withRaw = raw.with as Raw | undefined;
    const withChecked = withRaw === undefined ? undefined : Object.fromEntries(
      Object.entries(withRaw).map(([k, v]) => [k, argument(v, ["jobs", name, "with", k])]),
    );
    if (issues.length > before) continue;
    const implicitWith = keys !== undefined && raw.args === undefined && withRaw === undefined;
    const moduleUrl = toFileUrl(path).href;
    const exportName = (raw.export as string | undefined) ?? "default";
    permissions ??= defaults.permissions as Permissions | undefined;
    plan.combinations.forEach((combination, i) => {
      const place = (value: unknown) =>
        combination && !(value instanceof ResultRef) ? substitute(value, combination, true) : value;
      const withHere = implicitWith ? { ...combination } : withChecked && Object.fromEntries(
        Object.entries(withChecked).map(([k, v]) => [k, place(v)]),
      );
      jobs.push({
        ...common(combination, plan.ids[i]),
        requires: [...needs],
        kind: "module",
        moduleUrl,
        exportName,
        args: args.map(place),
        ...(withHere ? { with: withHere } : {}),
        limits,
        permissions,
        retry,
      });
    });
  }

  const cycle = findCycle(names, edges);
  if (cycle) {
    report(
      ["jobs", cycle[0], "requires"],
      `the requirements form a cycle: ${cycle.join(" → ")}; remove one of these requirements`,
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

/** The job's limits over the defaults, with `timeout` as `limits.wallTime`. */
function jobLimits(
  name: string,
  raw: Raw,
  defaults: Limits,
  here: (path: Path, message: string, key?: boolean) => void,
): Limits {
  const own = (raw.limits ?? {}) as Limits;
  const limits: Limits = { ...defaults, ...own };
  if (raw.timeout !== undefined) {
    if (own.wallTime !== undefined) {
      here(
        ["timeout"],
        `job "${name}" has both timeout and limits.wallTime, which mean the same; keep one`,
        true,
      );
    } else limits.wallTime = raw.timeout as string;
  }
  return limits;
}

/** The job's retries and backoff, over the file's defaults. */
function retrySpec(
  name: string,
  raw: Raw,
  defaults: Raw,
  here: (path: Path, message: string, key?: boolean) => void,
): RetrySpec {
  const retries = (raw.retries ?? defaults.retries ?? 0) as number;
  if (raw.backoff !== undefined && retries === 0) {
    here(
      ["backoff"],
      `job "${name}": backoff has no effect without retries; add retries: <n> (or remove backoff)`,
      true,
    );
  }
  const options = {
    ...(defaults.backoff as BackoffOptions | undefined),
    ...(raw.backoff as BackoffOptions | undefined),
  };
  try {
    return { retries, backoff: resolveBackoff(options, `job "${name}" backoff`) };
  } catch (error) {
    here(["backoff"], (error as Error).message);
    return { retries, backoff: resolveBackoff({}, "") };
  }
}

function stringEnv(env: unknown): Record<string, string> {
  if (!isObject(env)) return {};
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
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
