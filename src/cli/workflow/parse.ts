/**
 * Reads a workflow file as YAML, keeping where every value is, so that
 * errors can name a line and a column. Files over {@linkcode MAX_FILE_BYTES}
 * are refused before they are parsed.
 *
 * @module
 */

import process from "node:process";
// deno-lint-ignore no-import-prefix
import { isAlias, isMap, isSeq, LineCounter, parseDocument } from "npm:yaml@2.9.1";
// deno-lint-ignore no-import-prefix
import type { Node, Pair } from "npm:yaml@2.9.1";
import { WorkflowError, type WorkflowIssue } from "../errors.ts";
import { toPlain } from "./plain.ts";

/** The largest workflow file accepted: 4 MiB (about 80,000 one-line jobs). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** A path into the document: mapping keys and list indexes. */
export type Path = readonly (string | number)[];

/** A parsed workflow file: its plain value and a way back to positions. */
export interface ParsedFile {
  /** The file path as given. */
  readonly file: string;
  /** The document as plain data. */
  readonly value: unknown;
  /** Problems that still leave the document usable (duplicate keys). */
  readonly issues: readonly WorkflowIssue[];
  /** An issue at `path` (at the key itself when `key` is set), with the message. */
  issue(path: Path, message: string, options?: { key?: boolean }): WorkflowIssue;
}

/**
 * Runs `parse` with a plain object as `process.env`. yaml@2 reads
 * `process.env.LOG_TOKENS` once per token, and in Deno each read is a call
 * into the runtime: two thirds of the time of a large file. Parsing is
 * synchronous, so no other code sees the stand-in.
 */
function withPlainEnv<T>(parse: () => T): T {
  const descriptor = Object.getOwnPropertyDescriptor(process, "env");
  if (!descriptor?.configurable) return parse();
  Object.defineProperty(process, "env", { value: {}, configurable: true, writable: true });
  try {
    return parse();
  } finally {
    Object.defineProperty(process, "env", descriptor);
  }
}

/** Parses YAML text; syntax errors, oversized files and alias bombs become a {@linkcode WorkflowError}. */
export function parseWorkflowText(file: string, text: string): ParsedFile {
  if (text.length > MAX_FILE_BYTES) throw tooLarge(file, text.length);
  const counter = new LineCounter();
  // uniqueKeys: false: the library's check is quadratic; toPlain finds duplicates in one pass.
  const doc = withPlainEnv(() =>
    parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: false })
  );
  if (doc.errors.length > 0) {
    throw new WorkflowError(doc.errors.map((error) => {
      const pos = error.linePos?.[0] ?? { line: 0, col: 0 };
      const message = error.message.split("\n")[0].replace(/ at line \d+, column \d+.*$/, "");
      return { file, line: pos.line, col: pos.col, message: `invalid YAML: ${message}` };
    }));
  }
  const position = (offset: number | undefined) => {
    if (offset === undefined) return { line: 0, col: 0 };
    const { line, col } = counter.linePos(offset);
    return { line, col };
  };
  const plain = toPlain(doc.contents as Node | null);
  const issues = plain.issues.map((i) => ({ file, ...position(i.offset), message: i.message }));
  if (plain.issues.some((i) => i.fatal)) throw new WorkflowError(issues);

  // Key lookups by path, indexed per mapping on first use: linear however many issues there are.
  const indexes = new WeakMap<Node, Map<string, Pair>>();
  const pairOf = (map: Node & { items: Pair[] }, key: string): Pair | undefined => {
    let index = indexes.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items) {
        const k = String((pair.key as { value?: unknown } | null)?.value ?? "");
        if (!index.has(k)) index.set(k, pair);
      }
      indexes.set(map, index);
    }
    return index.get(key);
  };
  /** The deepest node on `path` that exists, and the key node of its last step. */
  const find = (path: Path): { node?: Node; key?: Node } => {
    let node = doc.contents as Node | null;
    let key: Node | undefined;
    for (const step of path) {
      if (node && isAlias(node)) node = plain.aliasTargets.get(node) ?? node;
      if (isMap(node)) {
        const pair = pairOf(node as Node & { items: Pair[] }, String(step));
        if (!pair) return { node, key: undefined };
        key = pair.key as Node;
        node = (pair.value ?? pair.key) as Node;
      } else if (isSeq(node) && typeof step === "number" && node.items[step]) {
        key = undefined;
        node = node.items[step] as Node;
      } else return { node: node ?? undefined, key: undefined };
    }
    return { node: node ?? undefined, key };
  };
  return {
    file,
    value: plain.value,
    issues,
    issue(path, message, options = {}) {
      const found = find(path);
      const target = options.key && found.key ? found.key : found.node;
      return { file, ...position(target?.range?.[0]), message };
    },
  };
}

function tooLarge(file: string, bytes: number): WorkflowError {
  const mib = (n: number) => `${+(n / 1024 / 1024).toFixed(1)} MiB`;
  return new WorkflowError([{
    file,
    line: 0,
    col: 0,
    message: `the file is ${mib(bytes)}; workflow files may be at most ${mib(MAX_FILE_BYTES)} ` +
      `(use matrix: to describe many similar jobs, or split the file with flow: jobs)`,
  }]);
}

/** Reads and parses a workflow file. */
export async function readWorkflowFile(file: string): Promise<ParsedFile> {
  let text: string;
  try {
    // Checked before reading, so a huge file is not loaded only to be refused.
    const { size } = await Deno.stat(file);
    if (size > MAX_FILE_BYTES) throw tooLarge(file, size);
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof WorkflowError) throw error;
    const why = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : (error as Error).message;
    throw new WorkflowError([{
      file,
      line: 0,
      col: 0,
      message: `cannot read the workflow file: ${why}; expected a YAML file (.yaml or .yml)`,
    }]);
  }
  return parseWorkflowText(file, text);
}
