/**
 * Validates a workflow against `schema/workflow.schema.json`, the published
 * JSON Schema, with a small interpreter of the keywords that schema uses
 * (so the schema is the single source of the format, and no validator
 * library is needed). Messages name the value and what is accepted.
 *
 * @module
 */

import schemaJson from "../../../schema/workflow.schema.json" with { type: "json" };
import { parseDuration, parseSize } from "../../units.ts";
import { didYouMean } from "../../similar.ts";
import type { Path } from "./parse.ts";

/** The subset of JSON Schema the workflow schema uses. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  required?: string[];
  minProperties?: number;
  minimum?: number;
  minLength?: number;
  minItems?: number;
  items?: Schema;
  pattern?: string;
  /** Human words for what the schema accepts (used in messages for `propertyNames`). */
  description?: string;
  $defs?: Record<string, Schema>;
}

/** The keywords {@linkcode validateAgainstSchema} understands; the tests check the schema uses no other. */
export const SUPPORTED_KEYWORDS: ReadonlySet<string> = new Set([
  "$schema",
  "$id",
  "title",
  "description",
  "$ref",
  "$defs",
  "type",
  "enum",
  "oneOf",
  "properties",
  "additionalProperties",
  "propertyNames",
  "required",
  "minProperties",
  "minimum",
  "minLength",
  "minItems",
  "items",
  "pattern",
]);

/** The published workflow schema. */
export const WORKFLOW_SCHEMA: Schema = schemaJson as Schema;

/** A schema violation at a path. */
export interface SchemaIssue {
  /** Where in the document. */
  readonly path: Path;
  /** What is wrong and what is accepted. */
  readonly message: string;
  /** Whether the position is the key (unknown keys) rather than the value. */
  readonly atKey?: boolean;
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (Number.isInteger(value)) return "integer";
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

export function pathName(path: Path): string {
  return path.length === 0 ? "the file" : path.map(String).join(".");
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  integer: "an integer",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  null: "nothing",
};

/** A short description of what a schema accepts. */
function accepted(schema: Schema, root: Schema): string {
  const resolved = resolve(schema, root);
  if (resolved.schema.enum) return `one of ${resolved.schema.enum.map(show).join(", ")}`;
  if (resolved.name === "duration") return 'a duration like "250ms", "10s", "5m", "1h"';
  if (resolved.name === "size") return 'a size like "512KB", "256MB", "2GB"';
  if (resolved.schema.oneOf) {
    return resolved.schema.oneOf.map((s) => accepted(s, root)).join(" or ");
  }
  const types = [resolved.schema.type ?? []].flat();
  return types.map((t) => TYPE_WORDS[t] ?? t).join(" or ") || "anything";
}

interface Resolved {
  readonly schema: Schema;
  /** The name under `$defs` when the schema was a `$ref`. */
  readonly name?: string;
}

const resolved = new WeakMap<Schema, Resolved>();

function resolve(schema: Schema, root: Schema): Resolved {
  let result = resolved.get(schema);
  if (result) return result;
  if (!schema.$ref) result = { schema };
  else {
    const match = /^#\/\$defs\/(.+)$/.exec(schema.$ref);
    const target = match && root.$defs?.[match[1]];
    if (!target) throw new Error(`workflow schema: unresolvable $ref ${schema.$ref}`);
    result = { schema: target, name: match[1] };
  }
  resolved.set(schema, result);
  return result;
}

/** Whether a branch's declared type (if any) admits `value`: others fail without a look. */
function admits(branch: Schema, value: unknown, root: Schema): boolean {
  const b = resolve(branch, root).schema;
  return b.type === undefined || [b.type].flat().some((t) => hasType(value, t));
}

const patterns = new Map<string, RegExp>();

/** Compiled once per pattern: a 20k-job file checks its names 20k times. */
function pattern(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) patterns.set(source, re = new RegExp(source));
  return re;
}

const UNITS = {
  duration: { examples: ["ms", "s", "m", "h"], base: "milliseconds" },
  size: { examples: ["B", "KB", "MB", "GB"], base: "bytes" },
};

/**
 * What is wrong with a duration or size in a workflow file, if anything. A
 * number without a unit is refused (0 excepted for durations): the API
 * would read it as milliseconds or bytes, and `wallTime: 5` meaning 5 ms
 * is never what a file's author meant.
 */
function unitProblem(name: "duration" | "size", value: unknown): string | undefined {
  const bare = typeof value === "number"
    ? value
    : typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value)
    ? Number(value)
    : undefined;
  if (bare !== undefined && !(name === "duration" && bare === 0)) {
    const { examples, base } = UNITS[name];
    return `${show(value)} has no unit; write it with one: ${
      examples.map((u) => JSON.stringify(`${bare}${u}`)).join(", ")
    } (a bare number would mean ${base})`;
  }
  try {
    (name === "duration" ? parseDuration : parseSize)(value as string);
    return undefined;
  } catch (error) {
    // The unit parser's own message says what is wrong and what is accepted.
    return (error as Error).message;
  }
}

/** Validates `value` against `schema`; returns every violation found. */
export function validateAgainstSchema(
  value: unknown,
  schema: Schema = WORKFLOW_SCHEMA,
  root: Schema = schema,
  path: Path = [],
): SchemaIssue[] {
  const { schema: s, name } = resolve(schema, root);
  const issues: SchemaIssue[] = [];
  const fail = (message: string) => issues.push({ path, message });
  if (name === "duration" || name === "size") {
    const problem = unitProblem(name, value);
    return problem ? [{ path, message: `${pathName(path)}: ${problem}` }] : [];
  }
  if (s.oneOf) {
    let passing = 0;
    for (const branch of s.oneOf) {
      if (admits(branch, value, root) && !validateAgainstSchema(value, branch, root, path).length) {
        passing++;
      }
    }
    if (passing === 1) return [];
    // The value fails: now the messages of every branch are worth building.
    const results = s.oneOf.map((branch) => validateAgainstSchema(value, branch, root, path));
    // Report the branch of the value's own type: its message is the most specific.
    const typed = s.oneOf.findIndex((branch) => {
      const b = resolve(branch, root).schema;
      return b.type !== undefined && [b.type].flat().some((t) => hasType(value, t));
    });
    if (typed >= 0 && results[typed].length > 0) return results[typed];
    fail(`${pathName(path)} must be ${accepted(s, root)}, got ${show(value)}`);
    return issues;
  }
  if (s.enum && !s.enum.some((option) => option === value)) {
    const hint = typeof value === "string" ? didYouMean(value, s.enum.map(String)) : "";
    fail(`${pathName(path)} must be ${accepted(s, root)}, got ${show(value)}${hint}`);
    return issues;
  }
  if (s.type !== undefined && ![s.type].flat().some((t) => hasType(value, t))) {
    fail(`${pathName(path)} must be ${accepted(s, root)}, got ${show(value)}`);
    return issues;
  }
  if (typeof value === "number" && s.minimum !== undefined && value < s.minimum) {
    fail(`${pathName(path)} must be at least ${s.minimum}, got ${value}`);
  }
  if (typeof value === "string") {
    if (s.minLength !== undefined && value.length < s.minLength) {
      fail(`${pathName(path)} must not be empty`);
    }
    if (s.pattern !== undefined && !pattern(s.pattern).test(value)) {
      fail(`${pathName(path)} ${show(value)} does not match ${s.pattern}`);
    }
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems) {
      fail(`${pathName(path)} needs at least ${s.minItems} item(s)`);
    }
    if (s.items) {
      value.forEach((item, i) =>
        issues.push(...validateAgainstSchema(item, s.items!, root, [...path, i]))
      );
    }
  }
  if (typeOf(value) === "object") {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    for (const key of s.required ?? []) {
      if (!(key in object)) fail(`${pathName(path)} needs the key "${key}"`);
    }
    if (s.minProperties !== undefined && keys.length < s.minProperties) {
      fail(
        `${pathName(path)} needs at least ${s.minProperties} entr${
          s.minProperties === 1 ? "y" : "ies"
        }`,
      );
    }
    for (const key of keys) {
      const keyPath = [...path, key];
      if (s.propertyNames?.pattern && !pattern(s.propertyNames.pattern).test(key)) {
        issues.push({
          path: keyPath,
          atKey: true,
          message: `${pathName(path)}: the name ${show(key)} is not accepted; ` +
            `use ${s.propertyNames.description ?? `a name matching ${s.propertyNames.pattern}`}`,
        });
      }
      const sub = s.properties?.[key];
      if (sub) issues.push(...validateAgainstSchema(object[key], sub, root, keyPath));
      else if (s.additionalProperties === false) {
        issues.push({
          path: keyPath,
          atKey: true,
          message: `unknown key "${key}" in ${pathName(path)}${
            didYouMean(key, Object.keys(s.properties ?? {}))
          }; accepted: ${Object.keys(s.properties ?? {}).join(", ")}`,
        });
      } else if (typeof s.additionalProperties === "object") {
        issues.push(...validateAgainstSchema(object[key], s.additionalProperties, root, keyPath));
      }
    }
  }
  return issues;
}
