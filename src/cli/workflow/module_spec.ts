/**
 * The specs of a `module:` job, one per combination: the module and its
 * export, `args` and `with` with their `{ from }` and `{ matrix }`
 * placeholders, limits and permissions.
 *
 * @module
 */

import type { Permissions } from "../../executors/limits.ts";
import { resolve, toFileUrl } from "./paths.ts";
import { checkPlaceholders, substitute } from "./matrix.ts";
import type { Path } from "./parse.ts";
import { fileExists, isObject, type JobCheck, jobLimits, type Raw } from "./job_check.ts";
import { FromArg, isFromRef, type ModuleJobSpec, type RetrySpec } from "./types.ts";

/** The specs of a module job; none when it has problems (reported). */
export function moduleSpecs(job: JobCheck, retry: RetrySpec): ModuleJobSpec[] {
  const { raw, name, keys } = job;
  const before = job.problems();
  const limits = jobLimits(job);
  const path = resolve(job.dir, raw.module as string);
  if (!fileExists(path)) {
    job.report(
      ["module"],
      `job "${name}": no such module ${JSON.stringify(path)} (module paths are relative to the ` +
        `workflow file)`,
    );
    return [];
  }
  /** An argument as checked: `{ from }` becomes a FromArg; the rest is checked for placeholders. */
  const argument = (value: unknown, at: Path): unknown => {
    if (isFromRef(value)) return job.take(value.from, [...at, "from"]);
    if (isObject(value) && "from" in value) {
      job.reportAt(
        at,
        `job "${name}": an argument with "from" must be exactly { from: <job> }, got ${
          JSON.stringify(value)
        }`,
      );
      return value;
    }
    checkPlaceholders(name, value, at, keys, (p, m) => job.reportAt(p, m), true);
    return value;
  };
  const list = Array.isArray(raw.args);
  const args = (raw.args === undefined ? [] : list ? raw.args as unknown[] : [raw.args]).map(
    (arg, i) => argument(arg, ["jobs", name, "args", ...(list ? [i] : [])]),
  );
  const named = raw.with === undefined ? undefined : Object.fromEntries(
    Object.entries(raw.with as Raw).map(([k, v]) => [k, argument(v, ["jobs", name, "with", k])]),
  );
  if (job.problems() > before) return [];
  // A matrix job without arguments gets its combination, the shape of a configuration.
  const implicit = keys !== undefined && raw.args === undefined && raw.with === undefined;
  const moduleUrl = toFileUrl(path).href;
  const exportName = (raw.export as string | undefined) ?? "default";
  const permissions = (raw.permissions ?? job.defaults.raw.permissions) as Permissions | undefined;
  return job.combinations.map((combination, i) => {
    const place = (value: unknown) =>
      combination && !(value instanceof FromArg) ? substitute(value, combination, true) : value;
    const withHere = implicit
      ? { ...combination }
      : named && Object.fromEntries(Object.entries(named).map(([k, v]) => [k, place(v)]));
    return {
      ...job.base(i),
      kind: "module",
      moduleUrl,
      exportName,
      args: args.map(place),
      ...(withHere ? { with: withHere } : {}),
      limits,
      permissions,
      retry,
    };
  });
}
