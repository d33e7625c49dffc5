/**
 * What travels through Redis: the job payload, results, errors and comm
 * messages. Values are V8-serialized (the structured-clone format the local
 * pools use), then base64, so a `Map` or a `Date` arrives as it would locally;
 * a small value that JSON carries exactly (numbers other than -0, NaN and
 * ±Infinity, strings, booleans, null, and plain arrays and objects of them,
 * none shared) goes as JSON instead, which is tens of times cheaper here:
 * `node:v8` costs some 10–25 µs a value, and each job has four (its
 * arguments and its result, each encoded and decoded).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { deserialize, serialize } from "node:v8";
import type { FunctionRef, OutputMode, OutputStream, WireError } from "../../wire/messages.ts";
import type { Permissions, ResolvedLimits } from "../limits.ts";
import type { CommFrame } from "../../wire/frames.ts";

/** The data of one BullMQ job: everything a worker needs to run a call. */
export interface JobPayload {
  /** Format version. */
  v: 1;
  /** The function: its source, or its module URL and name. */
  fn: FunctionRef;
  /** The arguments, encoded with {@linkcode encodeValue}. */
  args: string;
  /** Whether the function takes a comm channel first. */
  comm?: true;
  /** What the worker does with the call's output (absent: prints it where it runs). */
  output?: OutputMode;
  /** Limits (ms, bytes); the worker's defaults fill the gaps. */
  limits: ResolvedLimits;
  /** Permissions; the worker's default when absent. */
  permissions?: Permissions;
  /** The submitting executor, whose channel receives the job's comm frames. */
  origin: string;
}

/** Main side → workers, on the queue's control channel. */
export type ControlMessage =
  | { t: "comm"; job: string; frame: CommFrame }
  | { t: "cancel"; job: string; reason?: WireError };

/**
 * Worker → main side, on the origin's channel: a comm frame or a piece of
 * output of a running job. Failed jobs leave their `WireError` (encoded
 * with {@linkcode encodeValue}) under `channels.error(queue, job)`.
 */
export interface OriginMessage {
  job: string;
  /** BullMQ's count of the job's starts when the message was sent (its `attemptsStarted`). */
  attempt?: number;
  frame?: CommFrame;
  out?: { text: string; stream: OutputStream };
}

/** Starts JSON text; base64 never contains `:`, so the two forms cannot be mistaken. */
const JSON_MARK = "j:";
/** Nodes a value may have to go as JSON, so that checking stays cheap; bigger ones go as V8. */
const JSON_NODES = 256;

/**
 * Encodes a value as `j:` and its JSON when JSON gives it back exactly,
 * otherwise in the structured-clone format, as base64 text.
 */
export function encodeValue(value: unknown): string {
  if (jsonExact(value)) return JSON_MARK + JSON.stringify(value);
  return Buffer.from(serialize(value)).toString("base64");
}

/** Decodes what {@linkcode encodeValue} made. */
export function decodeValue(text: string): unknown {
  if (text.startsWith(JSON_MARK)) return JSON.parse(text.slice(JSON_MARK.length));
  return deserialize(Buffer.from(text, "base64"));
}

/** Whether `JSON.parse(JSON.stringify(value))` is what a structured clone of `value` would be. */
function jsonExact(value: unknown): boolean {
  let left = JSON_NODES;
  // A shared object (or a cycle) comes back shared from a clone, twice from JSON.
  const seen = new Set<object>();
  const check = (v: unknown): boolean => {
    if (--left < 0) return false;
    if (typeof v === "string" || typeof v === "boolean" || v === null) return true;
    if (typeof v === "number") return Number.isFinite(v) && !Object.is(v, -0);
    if (typeof v !== "object" || seen.has(v)) return false;
    seen.add(v);
    const proto = Object.getPrototypeOf(v);
    if (Array.isArray(v)) {
      if (proto !== Array.prototype) return false;
      // A hole reads as undefined (JSON's null); other properties JSON would drop.
      for (let i = 0; i < v.length; i++) if (!check(v[i])) return false;
      return Object.keys(v).length === v.length;
    }
    if (proto !== Object.prototype && proto !== null) return false;
    for (const key of Object.keys(v)) {
      if (!check((v as Record<string, unknown>)[key])) return false;
    }
    return true;
  };
  return check(value);
}
