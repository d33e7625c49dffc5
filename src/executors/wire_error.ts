/**
 * Errors across the worker boundary: the class is kept for built-in and
 * Deno errors, and name, message and stack for every error.
 *
 * @module
 */

import type { WireError } from "./protocol.ts";
import { ThrownValueError } from "../scheduler/errors.ts";

const BUILT_IN: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
};

/** Turns anything thrown into a {@linkcode WireError}. */
export function encodeError(thrown: unknown): WireError {
  if (thrown instanceof Error) {
    return { name: thrown.name, message: thrown.message, stack: thrown.stack };
  }
  let cloned: unknown;
  try {
    cloned = structuredClone(thrown);
  } catch {
    cloned = String(thrown);
  }
  return {
    name: "ThrownValueError",
    message: String(thrown),
    stack: new Error().stack?.split("\n").slice(2).join("\n"),
    thrown: cloned,
    nonError: true,
  };
}

/** Rebuilds an error from a {@linkcode WireError}, as an instance of its class when known. */
export function decodeError(wire: WireError): Error {
  if (wire.nonError) return new ThrownValueError(wire.thrown, wire.stack);
  const deno = (Deno.errors as unknown as Record<string, ErrorConstructor>)[wire.name];
  const Ctor = BUILT_IN[wire.name] ?? deno ?? Error;
  const error = new Ctor(wire.message);
  if (error.name !== wire.name) error.name = wire.name;
  error.stack = wire.stack ?? `${wire.name}: ${wire.message}`;
  return error;
}
