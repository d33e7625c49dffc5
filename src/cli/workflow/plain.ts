/**
 * YAML nodes to plain data, in one pass over the document: duplicate keys
 * found with a set per mapping (the `yaml` library's own check compares
 * every key with every other, which made a 20k-job file take seconds), and
 * aliases resolved within a budget, so a "billion laughs" file is refused
 * at the alias that blows it up instead of expanding it.
 *
 * @module
 */

// deno-lint-ignore no-import-prefix
import { isAlias, isMap, isPair, isScalar, isSeq, type Node } from "npm:yaml@2.9.1";

/** Values that aliases may add to a file, beyond those written out. */
export const MAX_ALIAS_VALUES = 1_000_000;

/** Levels of nesting a workflow file may have. */
export const MAX_DEPTH = 64;

/** A problem found while converting, at a node's offset. */
export interface PlainIssue {
  /** Offset in the text of the node or key concerned. */
  readonly offset: number | undefined;
  /** What is wrong. */
  readonly message: string;
  /** Whether the document cannot be used at all (then nothing else is checked). */
  readonly fatal: boolean;
}

/** The plain value, the problems met, and where each alias points. */
export interface PlainResult {
  /** The document as plain objects, arrays and scalars (aliases share their target's value). */
  readonly value: unknown;
  /** Duplicate keys, bad keys, aliases over budget, nesting too deep. */
  readonly issues: readonly PlainIssue[];
  /** The node each alias stands for, so positions can be found through aliases. */
  readonly aliasTargets: ReadonlyMap<Node, Node>;
}

class Fatal extends Error {}

interface Anchor {
  readonly node: Node;
  readonly value: unknown;
  /** How many values the node stands for, its aliases expanded. */
  readonly size: number;
}

/** Converts the document's root node to plain data. */
export function toPlain(root: Node | null): PlainResult {
  const issues: PlainIssue[] = [];
  const anchors = new Map<string, Anchor>();
  const aliasTargets = new Map<Node, Node>();
  let added = 0;

  const fatal = (node: Node, message: string): never => {
    issues.push({ offset: node.range?.[0], message, fatal: true });
    throw new Fatal(message);
  };

  /** Converts `node`; returns its value and how many values it stands for. */
  const convert = (node: Node | null, depth: number): [unknown, number] => {
    if (node === null) return [null, 1];
    if (depth > MAX_DEPTH) {
      fatal(node, `nesting deeper than ${MAX_DEPTH} levels; a workflow file needs far fewer`);
    }
    let result: [unknown, number];
    if (isAlias(node)) {
      const anchor = anchors.get(node.source);
      if (!anchor) {
        fatal(
          node,
          `the alias *${node.source} refers to no anchor &${node.source} defined before it`,
        );
      }
      aliasTargets.set(node, anchor!.node);
      added += anchor!.size;
      if (added > MAX_ALIAS_VALUES) {
        fatal(
          node,
          `YAML aliases expand this file beyond ${MAX_ALIAS_VALUES.toLocaleString("en-US")} ` +
            `values (a "billion laughs" file?); aliases may add at most that many`,
        );
      }
      return [anchor!.value, anchor!.size];
    } else if (isScalar(node)) {
      result = [node.value, 1];
    } else if (isSeq(node)) {
      const items: unknown[] = [];
      let size = 1;
      for (const item of node.items) {
        const [value, n] = convert(item as Node | null, depth + 1);
        items.push(value);
        size += n;
      }
      result = [items, size];
    } else if (isMap(node)) {
      const object: Record<string, unknown> = {};
      const seen = new Set<string>();
      let size = 1;
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as Node | null;
        const key = keyText(keyNode);
        if (key === undefined) {
          issues.push({
            offset: keyNode?.range?.[0] ?? node.range?.[0],
            message: "a mapping key must be a plain word or number, not a list or mapping",
            fatal: false,
          });
          continue;
        }
        if (seen.has(key)) {
          issues.push({
            offset: keyNode?.range?.[0],
            message: `duplicate key "${key}": a mapping may name each key once`,
            fatal: false,
          });
          continue;
        }
        seen.add(key);
        const [value, n] = convert(pair.value as Node | null, depth + 1);
        // A key "__proto__" is data, not the object's prototype.
        if (key === "__proto__") {
          Object.defineProperty(object, key, {
            value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else object[key] = value;
        size += n;
      }
      result = [object, size];
    } else {
      result = [null, 1];
    }
    const anchor = (node as { anchor?: string }).anchor;
    // Registered once converted: an alias inside its own anchor finds no anchor (no cycles).
    if (anchor) anchors.set(anchor, { node, value: result[0], size: result[1] });
    return result;
  };

  const keyText = (key: Node | null): string | undefined => {
    if (key === null) return "";
    const target = isAlias(key) ? anchors.get(key.source)?.node : key;
    if (!target || !isScalar(target)) return undefined;
    return String(target.value ?? "");
  };

  try {
    return { value: convert(root, 0)[0], issues, aliasTargets };
  } catch (error) {
    if (error instanceof Fatal) return { value: undefined, issues, aliasTargets };
    throw error;
  }
}
