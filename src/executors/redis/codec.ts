/**
 * What travels through Redis: the job payload, results, errors and comm
 * messages. Values are V8-serialized (the structured-clone format the local
 * pools use), then base64, so a `Map` or a `Date` arrives as it would locally.
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

/** Encodes a value in the structured-clone format, as base64 text. */
export function encodeValue(value: unknown): string {
  return Buffer.from(serialize(value)).toString("base64");
}

/** Decodes what {@linkcode encodeValue} made. */
export function decodeValue(text: string): unknown {
  return deserialize(Buffer.from(text, "base64"));
}
