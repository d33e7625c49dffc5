/**
 * Reads a workflow file as YAML, keeping where every value is, so that
 * errors can name a line and a column.
 *
 * @module
 */

// deno-lint-ignore no-import-prefix
import { isMap, isSeq, LineCounter, type Node, parseDocument } from "npm:yaml@2.9.1";
import { WorkflowError, type WorkflowIssue } from "../errors.ts";

/** A path into the document: mapping keys and list indexes. */
export type Path = readonly (string | number)[];

/** A parsed workflow file: its plain value and a way back to positions. */
export interface ParsedFile {
  /** The file path as given. */
  readonly file: string;
  /** The document as plain data. */
  readonly value: unknown;
  /** An issue at `path` (at the key itself when `key` is set), with the message. */
  issue(path: Path, message: string, options?: { key?: boolean }): WorkflowIssue;
}

/** Parses YAML text; syntax errors become a {@linkcode WorkflowError}. */
export function parseWorkflowText(file: string, text: string): ParsedFile {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true });
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
  /** The deepest node on `path` that exists, and the key node of its last step. */
  const find = (path: Path): { node?: Node; key?: Node } => {
    let node = doc.contents as Node | null;
    let key: Node | undefined;
    for (const step of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown })?.value === step);
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
    value: doc.toJS({ maxAliasCount: 100 }),
    issue(path, message, options = {}) {
      const found = find(path);
      const target = options.key && found.key ? found.key : found.node;
      return { file, ...position(target?.range?.[0]), message };
    },
  };
}

/** Reads and parses a workflow file. */
export async function readWorkflowFile(file: string): Promise<ParsedFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
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
