/**
 * The checks a JSON Schema cannot express: one kind per job, keys that only
 * make sense for some kinds, requirements on jobs that exist, no cycles,
 * files that exist. Produces the {@linkcode WorkflowSpec} when all is well.
 *
 * @module
 */

import { dirname, resolve, toFileUrl } from "./paths.ts";
import type { WorkflowIssue } from "../errors.ts";
import type { Limits, Permissions } from "../../executors/limits.ts";
import { parseDuration } from "../../units.ts";
import { didYouMean } from "../../similar.ts";
import type { ParsedFile, Path } from "./parse.ts";
import { splitCommand } from "./split.ts";
import {
  type ExecutorKind,
  isFromRef,
  type JobSpec,
  type ModuleJobSpec,
  type WorkflowSpec,
} from "./types.ts";

const KINDS = ["run", "module", "flow"] as const;
/** Keys accepted per kind, besides the kind itself and the common ones. */
const KIND_KEYS: Record<(typeof KINDS)[number], readonly string[]> = {
  run: ["shell", "env", "cwd", "limits", "permissions", "retries", "cache"],
  module: ["export", "args", "limits", "permissions", "retries", "cache"],
  flow: [],
};
const COMMON_KEYS = ["requires", "critical", "forever"];
const DENO_SUBCOMMANDS = ["run", "test", "bench", "serve"];

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

/**
 * Checks one parsed file (already valid against the schema) and builds its
 * spec; nested files go through `loadNested`. Pushes problems to `issues`.
 */
export async function checkWorkflow(
  parsed: ParsedFile,
  issues: WorkflowIssue[],
  loadNested: LoadNested,
): Promise<WorkflowSpec | undefined> {
  const file = parsed.file;
  const dir = dirname(resolve(file));
  const top = parsed.value as Raw;
  const before = issues.length;
  const report = (path: Path, message: string, key = false) =>
    issues.push(parsed.issue(path, message, { key }));
  const rawJobs = top.jobs as Record<string, Raw>;
  const ids = Object.keys(rawJobs);
  const defaults = (top.defaults ?? {}) as Raw;
  const defaultLimits = (defaults.limits ?? {}) as Limits;
  const defaultCwd = typeof defaults.cwd === "string" ? resolve(dir, defaults.cwd) : dir;
  if (defaults.cwd !== undefined && !fileExists(defaultCwd, true)) {
    report(["defaults", "cwd"], `defaults.cwd: no such directory ${JSON.stringify(defaultCwd)}`);
  }

  const jobs: JobSpec[] = [];
  const edges = new Map<string, string[]>();
  for (const id of ids) {
    const raw = rawJobs[id];
    const at = (path: Path, message: string) => parsed.issue(["jobs", id, ...path], message);
    const kinds = KINDS.filter((k) => k in raw);
    if (kinds.length !== 1) {
      report(
        ["jobs", id],
        kinds.length === 0
          ? `job "${id}" has no kind; give exactly one of run (a command), module with export ` +
            `(a function) or flow (a nested workflow file)`
          : `job "${id}" has ${kinds.join(" and ")}; give exactly one of run, module or flow`,
        true,
      );
      continue;
    }
    const kind = kinds[0];
    const allowed = new Set([kind, ...COMMON_KEYS, ...KIND_KEYS[kind]]);
    let misplaced = false;
    for (const key of Object.keys(raw)) {
      if (!allowed.has(key)) {
        misplaced = true;
        report(
          ["jobs", id, key],
          `"${key}" does not apply to a ${kind} job ("${id}"); a ${kind} job accepts: ${
            [...allowed].join(", ")
          }`,
          true,
        );
      }
    }
    if (misplaced) continue;

    const requires = [raw.requires ?? []].flat() as string[];
    for (const [i, r] of requires.entries()) {
      const path = Array.isArray(raw.requires) ? ["requires", i] : ["requires"];
      if (r === id) report(["jobs", id, ...path], `job "${id}" cannot require itself`);
      else if (!ids.includes(r)) {
        report(
          ["jobs", id, ...path],
          `job "${id}" requires "${r}", which is not a job of this file${
            didYouMean(r, ids)
          }; jobs: ${ids.join(", ")}`,
        );
      }
    }
    const common = {
      id,
      requires,
      critical: raw.critical as boolean | undefined,
      forever: raw.forever as boolean | undefined,
      cache: raw.cache as boolean | undefined,
      issue: at,
    };

    if (kind === "run") {
      let argv: string[];
      if (typeof raw.run === "string") {
        if (raw.shell === true) argv = ["sh", "-c", raw.run];
        else {
          try {
            argv = splitCommand(raw.run);
          } catch (error) {
            report(["jobs", id, "run"], `job "${id}": ${(error as Error).message}`);
            continue;
          }
          if (argv.length === 0) {
            report(["jobs", id, "run"], `job "${id}": the command is empty`);
            continue;
          }
        }
      } else {
        if (raw.shell === true) {
          report(
            ["jobs", id, "shell"],
            `job "${id}": shell: true needs run as one string (the script for sh -c), ` +
              `not a list`,
          );
          continue;
        }
        argv = (raw.run as unknown[]).map(String);
      }
      const limits = { ...defaultLimits, ...(raw.limits as Limits | undefined) };
      for (const key of ["cpuTime", "memory"] as const) {
        if ((raw.limits as Limits | undefined)?.[key] !== undefined) {
          report(
            ["jobs", id, "limits", key],
            `job "${id}": a run job accepts limits.wallTime only; for ${key} make it a module ` +
              `job and use --executor processes`,
            true,
          );
        }
        delete limits[key]; // a default cpu/memory limit is for module jobs
      }
      let permissions = raw.permissions as Permissions | undefined;
      if (permissions !== undefined && !isDenoCommand(argv)) {
        report(
          ["jobs", id, "permissions"],
          `job "${id}": permissions apply to module jobs and to deno commands ` +
            `(deno run|test|bench|serve …), not to ${JSON.stringify(argv[0])}`,
          true,
        );
        continue;
      }
      if (permissions === undefined && isDenoCommand(argv)) {
        permissions = defaults.permissions as Permissions | undefined;
      }
      const cwd = typeof raw.cwd === "string" ? resolve(dir, raw.cwd) : defaultCwd;
      if (raw.cwd !== undefined && !fileExists(cwd, true)) {
        report(["jobs", id, "cwd"], `job "${id}": no such directory ${JSON.stringify(cwd)}`);
      }
      const env = { ...stringEnv(defaults.env), ...stringEnv(raw.env) };
      jobs.push({
        ...common,
        kind,
        argv,
        cwd,
        env: Object.keys(env).length ? env : undefined,
        limits,
        permissions,
        retries: (raw.retries as number | undefined) ?? 0,
      });
      edges.set(id, requires);
    } else if (kind === "module") {
      const path = resolve(dir, raw.module as string);
      if (!fileExists(path)) {
        report(
          ["jobs", id, "module"],
          `job "${id}": no such module ${JSON.stringify(path)} (module paths are relative to ` +
            `the workflow file)`,
        );
        continue;
      }
      let args: unknown[] = raw.args === undefined
        ? []
        : Array.isArray(raw.args)
        ? raw.args
        : [raw.args];
      const needs = [...requires];
      args = args.map((arg, i) => {
        if (!isFromRef(arg)) {
          if (isObject(arg) && "from" in arg) {
            report(
              ["jobs", id, "args", ...(Array.isArray(raw.args) ? [i] : [])],
              `job "${id}": an argument with "from" must be exactly { from: <job id> }, got ${
                JSON.stringify(arg)
              }`,
            );
          }
          return arg;
        }
        const argPath = ["jobs", id, "args", ...(Array.isArray(raw.args) ? [i] : []), "from"];
        if (arg.from === id) report(argPath, `job "${id}" cannot take its own result`);
        else if (!ids.includes(arg.from)) {
          report(
            argPath,
            `job "${id}" takes the result of "${arg.from}", which is not a job of this file${
              didYouMean(arg.from, ids)
            }; jobs: ${ids.join(", ")}`,
          );
        } else if (!needs.includes(arg.from)) needs.push(arg.from);
        return arg;
      });
      const spec: ModuleJobSpec = {
        ...common,
        requires: needs,
        kind,
        moduleUrl: toFileUrl(path).href,
        exportName: (raw.export as string | undefined) ?? "default",
        args,
        limits: { ...defaultLimits, ...(raw.limits as Limits | undefined) },
        permissions: (raw.permissions ?? defaults.permissions) as Permissions | undefined,
        retries: (raw.retries as number | undefined) ?? 0,
      };
      jobs.push(spec);
      edges.set(id, needs);
    } else {
      const path = resolve(dir, raw.flow as string);
      if (!fileExists(path)) {
        report(
          ["jobs", id, "flow"],
          `job "${id}": no such workflow file ${JSON.stringify(path)} (paths are relative to ` +
            `the workflow file)`,
        );
        continue;
      }
      const nested = await loadNested(path, at(["flow"], ""));
      if (!nested) continue;
      jobs.push({ ...common, kind, workflow: { ...nested, name: id } });
      edges.set(id, requires);
    }
  }

  const cycle = findCycle(ids, edges);
  if (cycle) {
    report(
      ["jobs", cycle[0], "requires"],
      `the requirements form a cycle: ${cycle.join(" → ")}; remove one of these requirements`,
      true,
    );
  }
  if (issues.length > before) return undefined;
  return {
    file,
    name: typeof top.name === "string" ? top.name : file.split("/").pop()!.replace(/\.ya?ml$/, ""),
    window: (top.window as number | undefined) ?? 0,
    timeout: top.timeout === undefined ? undefined : parseDuration(top.timeout as string),
    executor: top.executor as ExecutorKind | undefined,
    jobs,
  };
}

function stringEnv(env: unknown): Record<string, string> {
  if (!isObject(env)) return {};
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

/** A cycle among `ids` through `edges` (job → what it requires), first id repeated last. */
function findCycle(ids: string[], edges: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 1);
    stack.push(id);
    for (const next of edges.get(id) ?? []) {
      if (!edges.has(next)) continue;
      if (state.get(next) === 1) {
        // Print it in the direction work flows: required job first.
        const loop = stack.slice(stack.indexOf(next));
        return [...loop, next].reverse();
      }
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 2);
    return undefined;
  };
  for (const id of ids) {
    if (!state.has(id)) {
      const found = visit(id);
      if (found) return found;
    }
  }
  return undefined;
}
