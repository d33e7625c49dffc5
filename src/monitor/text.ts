/**
 * Values as text for the explorer's detail panel: readable, cut for the
 * view (arguments and results can be megabytes), whole for the raw routes.
 * Sizes are humanized (`256 MB`, `30s`).
 *
 * @module
 */

import { formatDuration } from "../units.ts";

/** Characters of one value the detail view shows at most. */
export const VIEW_MAX = 64 * 1024;

/** A value as the view shows it: the start of its text, and how long the whole is. */
export interface TextView {
  /** The text, cut at `VIEW_MAX` characters. */
  text: string;
  /** Characters of the whole text (of the abbreviated rendering, for objects). */
  size: number;
  /** Whether `text` is cut. */
  truncated: boolean;
}

/** An error as the view shows it: its class, message, stack, fields, cause and inner errors. */
export interface ErrorView {
  name: string;
  message: TextView;
  stack?: TextView;
  /** Its own fields besides the standard ones (`code`, `status`, …), as text. */
  fields?: Record<string, string>;
  cause?: ErrorView;
  /** An `AggregateError`'s errors (the first 20). */
  errors?: ErrorView[];
}

const VIEW_INSPECT: Deno.InspectOptions = {
  colors: false,
  depth: 8,
  iterableLimit: 500,
  strAbbreviateSize: VIEW_MAX,
  breakLength: 100,
};

const INLINE_INSPECT: Deno.InspectOptions = {
  colors: false,
  compact: true,
  breakLength: Infinity,
  depth: 2,
  iterableLimit: 10,
  strAbbreviateSize: 200,
};

/** How `Deno.inspect` says it left something out. */
const ABBREVIATED = /\.\.\. \d+ more (characters|items)|\[Object\]|\[Array\]/;

const FULL_INSPECT: Deno.InspectOptions = {
  colors: false,
  depth: 100,
  iterableLimit: Infinity,
  strAbbreviateSize: Infinity,
  breakLength: 100,
};

function inspect(value: unknown, options: Deno.InspectOptions): string {
  if (typeof value === "string") return value;
  try {
    return Deno.inspect(value, options);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Cuts `text` for the view. */
export function cut(text: string, max = VIEW_MAX): TextView {
  return text.length > max
    ? { text: text.slice(0, max), size: text.length, truncated: true }
    : { text, size: text.length, truncated: false };
}

/**
 * `value` readably, cut for the view (strings as they are, the rest as
 * `Deno.inspect` shows them, long strings and lists abbreviated).
 */
export function viewText(value: unknown): TextView {
  const view = cut(inspect(value, VIEW_INSPECT));
  if (!view.truncated && typeof value !== "string" && ABBREVIATED.test(view.text)) {
    view.truncated = true;
  }
  return view;
}

/** A list's items on one line, abbreviated to `max` characters: `{ lr: 0.1 }, "adam"`. */
export function inlineItems(items: readonly unknown[], max: number): string {
  let text: string;
  try {
    text = Deno.inspect(items, INLINE_INSPECT);
  } catch {
    text = `[${items.length} items]`;
  }
  // "[ a, b ]" → "a, b"
  if (text.startsWith("[ ") && text.endsWith(" ]")) text = text.slice(2, -2);
  else if (text === "[]") text = "";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One value on one line, abbreviated to `max` characters (strings quoted). */
export function inline(value: unknown, max: number): string {
  return inlineItems([value], max);
}

/** `value` readably and whole, for the raw routes. */
export function fullText(value: unknown): string {
  return inspect(value, FULL_INSPECT);
}

/** A field's value: strings quoted, so that `code: "E1"` reads as it was set. */
function fieldText(value: unknown, options: Deno.InspectOptions): string {
  return typeof value === "string" ? JSON.stringify(value) : inspect(value, options);
}

const STANDARD = new Set(["name", "message", "stack", "cause", "errors"]);

/** An error (or any thrown value) for the view, causes and inner errors included. */
export function errorView(error: unknown, depth = 0): ErrorView {
  if (!(error instanceof Error)) {
    return { name: error === null ? "null" : typeof error, message: viewText(error) };
  }
  const view: ErrorView = {
    name: String(error.name ?? "Error"),
    message: cut(String(error.message ?? "")),
  };
  if (typeof error.stack === "string") view.stack = cut(error.stack);
  const fields: Record<string, string> = {};
  let n = 0;
  for (const key of Object.keys(error)) {
    if (STANDARD.has(key) || ++n > 20) continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    fields[key] = cut(fieldText(value, VIEW_INSPECT), 2000).text;
  }
  if (n > 0) view.fields = fields;
  if (depth < 8 && error.cause !== undefined) view.cause = errorView(error.cause, depth + 1);
  if (depth < 8 && error instanceof AggregateError && Array.isArray(error.errors)) {
    view.errors = error.errors.slice(0, 20).map((e) => errorView(e, depth + 1));
  }
  return view;
}

/** An error whole, as text: its stack (or name and message), fields, causes and inner errors. */
export function errorText(error: unknown, depth = 0): string {
  if (!(error instanceof Error)) return fullText(error);
  let text = typeof error.stack === "string" && error.stack.includes(error.message)
    ? error.stack
    : `${error.name}: ${error.message}${error.stack ? `\n${error.stack}` : ""}`;
  for (const key of Object.keys(error)) {
    if (STANDARD.has(key)) continue;
    text += `\n  ${key}: ${
      fieldText((error as unknown as Record<string, unknown>)[key], FULL_INSPECT)
    }`;
  }
  if (depth < 8 && error.cause !== undefined) {
    text += `\nCaused by: ${errorText(error.cause, depth + 1)}`;
  }
  if (depth < 8 && error instanceof AggregateError && Array.isArray(error.errors)) {
    error.errors.forEach((e, i) => text += `\n[${i}] ${errorText(e, depth + 1)}`);
  }
  return text;
}

const SIZE_UNITS = ["bytes", "KB", "MB", "GB", "TB"];

/** Bytes for people, in powers of 1024: `512 bytes`, `1.5 KB`, `256 MB`. */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : +value.toFixed(value < 10 ? 2 : 1)} ${SIZE_UNITS[unit]}`;
}

/** Task limits for people: `{ wallTime: "30s", memory: "256 MB" }`. */
export function limitsText(
  limits: { wallTime?: number; cpuTime?: number; memory?: number },
): Record<string, string> {
  const out: Record<string, string> = {};
  if (limits.wallTime !== undefined) out.wallTime = formatDuration(limits.wallTime);
  if (limits.cpuTime !== undefined) out.cpuTime = formatDuration(limits.cpuTime);
  if (limits.memory !== undefined) out.memory = formatSize(limits.memory);
  return out;
}
