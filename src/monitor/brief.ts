/**
 * Short, bounded text for values shown by the monitor (results, errors,
 * arguments): cheap for the common cases, never walks a large object.
 *
 * @module
 */

/** The longest text `brief()` returns. */
export const BRIEF_MAX = 160;

/** A one-line description of `value` of at most `max` characters. */
export function brief(value: unknown, max = BRIEF_MAX): string {
  let text: string;
  switch (typeof value) {
    case "number":
    case "boolean":
    case "undefined":
    case "bigint":
    case "symbol":
      return String(value);
    case "string":
      text = JSON.stringify(value.length > max ? value.slice(0, max) : value);
      break;
    case "function":
      text = `${value.name || "anonymous"}()`;
      break;
    default:
      text = describeObject(value as object | null);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function describeObject(value: object | null): string {
  if (value === null) return "null";
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (Array.isArray(value)) {
    // Only the first few items: results can be huge.
    const head = value.slice(0, 8).map((v) => shallow(v));
    return `[${head.join(", ")}${value.length > 8 ? `, … (${value.length} items)` : ""}]`;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const name = proto?.constructor?.name;
    const text = String(value);
    return text.startsWith("[object") ? (name ?? "object") : text;
  }
  const parts: string[] = [];
  let n = 0;
  for (const key in value) {
    if (++n > 8) {
      parts.push("…");
      break;
    }
    parts.push(`${key}: ${shallow((value as Record<string, unknown>)[key])}`);
  }
  return `{${parts.join(", ")}}`;
}

function shallow(value: unknown): string {
  if (value !== null && typeof value === "object") return Array.isArray(value) ? "[…]" : "{…}";
  return brief(value, 40);
}
