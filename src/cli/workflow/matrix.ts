/**
 * `matrix:` on a job: one job per combination of its values, and the
 * placeholders that reach those values — `{ matrix: key }` as a whole
 * argument (the value keeps its type) and `${{ matrix.key }}` inside any
 * string (its text).
 *
 * Ids: `name[k1=v1,k2=v2]`, keys in the order the file gives them; numbers
 * and booleans as JavaScript prints them (`0.1`, `1e-7`, `true`), strings
 * as they are when made only of letters, digits and `_.+-/:@%`, otherwise
 * in JSON quotes (`"a b"`, `""`).
 *
 * @module
 */

import { didYouMean } from "../../similar.ts";
import type { Path } from "./parse.ts";
import type { MatrixValue } from "./types.ts";

/** The most combinations one job's matrix may have. */
export const MAX_COMBINATIONS = 1000;

/** One combination: a value per matrix key. */
export type Combination = Readonly<Record<string, MatrixValue>>;

/** Reports a problem at `path` below the job. */
export type Report = (path: Path, message: string) => void;

const BARE = /^[A-Za-z0-9_.+\-\/:@%]+$/;
const PLACEHOLDER = /\$\{\{(.*?)\}\}/g;
const MATRIX_KEY = /^\s*matrix\.([A-Za-z_][A-Za-z0-9_-]*)\s*$/;

/** How a matrix value appears in job ids. */
export function idText(value: MatrixValue): string {
  if (typeof value === "string") return BARE.test(value) ? value : JSON.stringify(value);
  return String(value);
}

/** The id of combination `combination` of job `name`: `train[lr=0.1,depth=4]`. */
export function matrixId(name: string, combination: Combination): string {
  const parts = Object.entries(combination).map(([k, v]) => `${k}=${idText(v)}`);
  return `${name}[${parts.join(",")}]`;
}

/** How a matrix value appears inside strings: its text, unquoted. */
function plainText(value: MatrixValue): string {
  return String(value);
}

/**
 * Checks a matrix (already a mapping of non-empty lists, as the schema
 * says) and lists its combinations in order: the first key varies slowest.
 * Returns `undefined` after reporting when it is unusable.
 */
export function expandMatrix(
  name: string,
  matrix: Readonly<Record<string, readonly unknown[]>>,
  report: Report,
): Combination[] | undefined {
  const keys = Object.keys(matrix);
  let ok = true;
  for (const key of keys) {
    const seen = new Map<string, unknown>();
    matrix[key].forEach((value, i) => {
      const at = ["matrix", key, i];
      if (typeof value === "number" && !Number.isFinite(value)) {
        report(at, `job "${name}": matrix.${key} has ${value}; values must be finite numbers`);
        ok = false;
        return;
      }
      const text = idText(value as MatrixValue);
      if (seen.has(text)) {
        const other = seen.get(text);
        report(
          at,
          other === value
            ? `job "${name}": matrix.${key} lists ${JSON.stringify(value)} twice`
            : `job "${name}": matrix.${key} has ${JSON.stringify(other)} and ${
              JSON.stringify(value)
            }, which give the same job id (${key}=${text}); keep one of them`,
        );
        ok = false;
      } else seen.set(text, value);
    });
  }
  if (!ok) return undefined;
  const count = keys.reduce((n, k) => n * matrix[k].length, 1);
  if (count > MAX_COMBINATIONS) {
    report(
      ["matrix"],
      `job "${name}": its matrix has ${count.toLocaleString("en-US")} combinations (${
        keys.map((k) => matrix[k].length).join(" × ")
      }); at most ${
        MAX_COMBINATIONS.toLocaleString("en-US")
      } are accepted per job: split it into several jobs, or ` +
        `run a search this large with scheduler.map`,
    );
    return undefined;
  }
  let combinations: Record<string, MatrixValue>[] = [{}];
  for (const key of keys) {
    combinations = combinations.flatMap((partial) =>
      matrix[key].map((value) => ({ ...partial, [key]: value as MatrixValue }))
    );
  }
  return combinations;
}

/** Whether `value` is an object with a `matrix` key (a placeholder, well-formed or not). */
function looksLikeMatrixRef(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    "matrix" in value;
}

/**
 * Checks the placeholders in `value` (at `path` below the job): `${{ … }}`
 * in strings at any depth, and `{ matrix: key }` when `argument` (a whole
 * argument: an item of `args` or a value of `with`). `keys` are the
 * matrix's keys, `undefined` for a job without one.
 */
export function checkPlaceholders(
  name: string,
  value: unknown,
  path: Path,
  keys: readonly string[] | undefined,
  report: Report,
  argument = false,
): void {
  const checkKey = (key: string, written: string, at: Path) => {
    if (!keys) {
      report(
        at,
        `job "${name}" uses ${written} but has no matrix; add matrix: { ${key}: [...] } or ` +
          `remove the placeholder`,
      );
    } else if (!keys.includes(key)) {
      report(
        at,
        `job "${name}": ${written} names no key of its matrix${didYouMean(key, keys)}; ` +
          `keys: ${keys.join(", ")}`,
      );
    }
  };
  if (argument && looksLikeMatrixRef(value)) {
    const entries = Object.keys(value);
    if (entries.length !== 1 || typeof value.matrix !== "string") {
      report(
        path,
        `job "${name}": an argument with "matrix" must be exactly { matrix: <key> }, got ${
          JSON.stringify(value)
        }`,
      );
    } else checkKey(value.matrix, `{ matrix: ${value.matrix} }`, [...path, "matrix"]);
    return;
  }
  if (typeof value === "string") {
    for (const match of value.matchAll(PLACEHOLDER)) {
      const key = MATRIX_KEY.exec(match[1])?.[1];
      if (key === undefined) {
        report(
          path,
          `job "${name}": ${match[0]} is not a placeholder baton knows; write ` +
            `\${{ matrix.<key> }}${
              keys ? ` with a key of the job's matrix (${keys.join(", ")})` : ""
            }`,
        );
      } else checkKey(key, match[0], path);
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => checkPlaceholders(name, item, [...path, i], keys, report));
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      checkPlaceholders(name, v, [...path, k], keys, report);
    }
  }
}

/** `text` with each `${{ matrix.key }}` replaced by the value's text. */
export function interpolate(text: string, combination: Combination): string {
  if (!text.includes("${{")) return text;
  return text.replace(PLACEHOLDER, (_, inner: string) => {
    const key = MATRIX_KEY.exec(inner)![1];
    return plainText(combination[key]);
  });
}

/**
 * `value` with the combination's values in place of its placeholders (see
 * {@linkcode checkPlaceholders}, which must have passed). Parts without
 * placeholders are returned as they are, not copied.
 */
export function substitute(value: unknown, combination: Combination, argument = false): unknown {
  if (argument && looksLikeMatrixRef(value)) return combination[value.matrix as string];
  if (typeof value === "string") return interpolate(value, combination);
  if (Array.isArray(value)) {
    const items = value.map((item) => substitute(item, combination));
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  if (typeof value === "object" && value !== null) {
    let changed = false;
    const entries = Object.entries(value).map(([k, v]) => {
      const next = substitute(v, combination);
      if (next !== v) changed = true;
      return [k, next] as const;
    });
    return changed ? Object.fromEntries(entries) : value;
  }
  return value;
}

/**
 * Splits a `run:` string into words (with `split`), keeping each
 * placeholder's text inside the word it is written in, even when the
 * value has spaces or quotes.
 */
export function splitWithPlaceholders(
  text: string,
  combination: Combination | undefined,
  split: (text: string) => string[],
): string[] {
  if (!combination || !text.includes("${{")) return split(text);
  const values: string[] = [];
  // Private-use characters: no whitespace or quote, so the splitter leaves them in their word.
  const marked = text.replace(PLACEHOLDER, (_, inner: string) => {
    values.push(plainText(combination[MATRIX_KEY.exec(inner)![1]]));
    return `\u{F0000}${values.length - 1}\u{F0001}`;
  });
  return split(marked).map((word) =>
    word.replace(/\u{F0000}(\d+)\u{F0001}/gu, (_, i: string) => values[Number(i)])
  );
}
