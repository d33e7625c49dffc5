/**
 * What travels through Redis: the job payload, results, errors and comm
 * messages. Values are V8-serialized (the structured-clone format the local
 * pools use), then base64, so a `Map` or a `Date` arrives as it would locally.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { deserialize, serialize } from "node:v8";
import type { FunctionRef, WireError } from "../protocol.ts";
import type { Permissions, ResolvedLimits } from "../limits.ts";
import type { CommFrame } from "../../comm/frames.ts";
import { decodeError, encodeError } from "../wire_error.ts";
import {
  CpuTimeLimitError,
  LimitError,
  MemoryLimitError,
  WallTimeLimitError,
  WorkerCrashedError,
} from "../errors.ts";

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
  | { t: "cancel"; job: string };

/** Worker → main side, on the origin's channel. */
export interface OriginMessage {
  job: string;
  /** BullMQ's count of the job's starts when the frame was sent (its `attemptsStarted`). */
  attempt?: number;
  frame: CommFrame;
}

/** An error with what is needed to rebuild baton's own error classes. */
export interface StoredError {
  wire: WireError;
  limit?: { kind: LimitError["kind"]; limit: number; observed?: number };
  crash?: { code?: number; signal?: string; stderr?: string };
}

/** Encodes a value in the structured-clone format, as base64 text. */
export function encodeValue(value: unknown): string {
  return Buffer.from(serialize(value)).toString("base64");
}

/** Decodes what {@linkcode encodeValue} made. */
export function decodeValue(text: string): unknown {
  return deserialize(Buffer.from(text, "base64"));
}

/** Keeps an error's class-specific fields. */
export function storeError(error: unknown): StoredError {
  const stored: StoredError = { wire: encodeError(error) };
  if (error instanceof LimitError) {
    stored.limit = { kind: error.kind, limit: error.limit, observed: error.observed };
  } else if (error instanceof WorkerCrashedError) {
    stored.crash = { code: error.code, signal: error.signal, stderr: error.stderr };
  }
  return stored;
}

/** Rebuilds an error as an instance of its class where baton knows it. */
export function restoreError(stored: StoredError): Error {
  let error: Error;
  if (stored.limit) {
    const { kind, limit, observed } = stored.limit;
    const Limit = kind === "wallTime"
      ? WallTimeLimitError
      : kind === "cpuTime"
      ? CpuTimeLimitError
      : MemoryLimitError;
    error = new Limit(limit, observed);
  } else if (stored.crash) {
    error = new WorkerCrashedError(stored.wire.message, stored.crash);
  } else {
    return decodeError(stored.wire);
  }
  error.message = stored.wire.message;
  error.stack = stored.wire.stack ?? `${error.name}: ${error.message}`;
  return error;
}
