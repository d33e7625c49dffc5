/**
 * The specs of a `run:` job, one per combination: the command line (split
 * without a shell, or for `sh -c`), environment, working directory, the
 * wall-time limit, and permissions for `deno` commands.
 *
 * @module
 */

import type { Limits, Permissions } from "../../executors/limits.ts";
import { resolve } from "./paths.ts";
import {
  checkPlaceholders,
  type Combination,
  interpolate,
  splitWithPlaceholders,
} from "./matrix.ts";
import { splitCommand } from "./split.ts";
import { fileExists, isObject, type JobCheck, jobLimits } from "./job_check.ts";
import type { RetrySpec, RunJobSpec } from "./types.ts";

const DENO_SUBCOMMANDS = ["run", "test", "bench", "serve"];

/** Whether `argv` is `deno <run|test|bench|serve> …`, the commands that take permissions. */
export function isDenoCommand(argv: readonly string[]): boolean {
  const program = argv[0]?.split(/[\\/]/).pop();
  return (program === "deno" || program === "deno.exe") && DENO_SUBCOMMANDS.includes(argv[1]);
}

function stringEnv(env: unknown): Record<string, string> {
  if (!isObject(env)) return {};
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

/** How to get the argv of a combination, or `undefined` after reporting why there is none. */
function commandLine(job: JobCheck): ((c: Combination | undefined) => string[]) | undefined {
  const { raw, name, keys } = job;
  if (typeof raw.run === "string") {
    const script = raw.run;
    checkPlaceholders(name, script, ["jobs", name, "run"], keys, (p, m) => job.reportAt(p, m));
    if (raw.shell === true) return (c) => ["sh", "-c", c ? interpolate(script, c) : script];
    let words: string[];
    try {
      words = splitCommand(script);
    } catch (error) {
      job.report(["run"], `job "${name}": ${(error as Error).message}`);
      return undefined;
    }
    if (words.length === 0) {
      job.report(["run"], `job "${name}": the command is empty`);
      return undefined;
    }
    return (c) => c ? splitWithPlaceholders(script, c, splitCommand) : words;
  }
  if (raw.shell === true) {
    job.report(
      ["shell"],
      `job "${name}": shell: true needs run as one string (the script for sh -c), not a list`,
    );
    return undefined;
  }
  const words = (raw.run as unknown[]).map(String);
  words.forEach((w, i) =>
    checkPlaceholders(name, w, ["jobs", name, "run", i], keys, (p, m) => job.reportAt(p, m))
  );
  return (c) => c ? words.map((w) => interpolate(w, c)) : words;
}

/** The specs of a run job; none when it has problems (reported). */
export function runSpecs(job: JobCheck, retry: RetrySpec): RunJobSpec[] {
  const { raw, name, defaults } = job;
  const before = job.problems();
  const limits: Limits = jobLimits(job);
  const argvOf = commandLine(job);
  for (const key of ["cpuTime", "memory"] as const) {
    if ((raw.limits as Limits | undefined)?.[key] !== undefined) {
      job.report(
        ["limits", key],
        `job "${name}": a run job accepts limits.wallTime only; for ${key} make it a module job ` +
          `and use --executor processes`,
        true,
      );
    }
    delete limits[key]; // a default cpu/memory limit is for module jobs
  }
  if (!argvOf || job.problems() > before) return [];
  const first = argvOf(job.combinations[0]);
  let permissions = raw.permissions as Permissions | undefined;
  if (permissions !== undefined && !isDenoCommand(first)) {
    job.report(
      ["permissions"],
      `job "${name}": permissions apply to module jobs and to deno commands ` +
        `(deno run|test|bench|serve …), not to ${JSON.stringify(first[0])}`,
      true,
    );
    return [];
  }
  if (permissions === undefined && isDenoCommand(first)) {
    permissions = defaults.raw.permissions as Permissions | undefined;
  }
  const cwd = typeof raw.cwd === "string" ? resolve(job.dir, raw.cwd) : defaults.cwd;
  if (raw.cwd !== undefined && !fileExists(cwd, true)) {
    job.report(["cwd"], `job "${name}": no such directory ${JSON.stringify(cwd)}`);
    return [];
  }
  const env = { ...stringEnv(defaults.raw.env), ...stringEnv(raw.env) };
  for (const [k, v] of Object.entries(env)) {
    checkPlaceholders(name, v, ["jobs", name, "env", k], job.keys, (p, m) => job.reportAt(p, m));
  }
  if (job.problems() > before) return [];
  return job.combinations.map((combination, i) => {
    const envHere = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [k, combination ? interpolate(v, combination) : v]),
    );
    return {
      ...job.base(i),
      kind: "run",
      argv: argvOf(combination),
      cwd,
      env: Object.keys(envHere).length ? envHere : undefined,
      limits,
      permissions,
      retry,
    };
  });
}
