/**
 * The error codec every transport uses (Web Workers, subprocesses, Redis,
 * Slurm, comm channels). An error crosses with its name, message, stack,
 * `cause` (recursively), `AggregateError.errors`, its own cloneable fields,
 * and the chain of its class names; it comes back as an instance of the
 * most derived class the receiving side knows.
 *
 * Which classes a side knows: the built-in errors, `DOMException`,
 * `Deno.errors.*` and baton's own (by identity where they were thrown), the
 * classes exported by the module of the `remote()` function that threw, and
 * those given to {@linkcode registerErrors}. A class it does not know still
 * matches policies by name through {@linkcode errorChain}.
 *
 * Encoding never throws: a hostile value (null prototype, throwing getters
 * or `toString`, a proxy) still becomes a readable error.
 *
 * @module
 */

import { BATON_ERRORS, describeValue, ThrownValueError } from "./errors.ts";

/**
 * An error as it crosses a thread, process or host boundary.
 *
 * @example
 * ```ts
 * import type { WireError } from "@baton/baton";
 * const wire: WireError = {
 *   name: "TypeError",
 *   message: "bad input",
 *   stack: "TypeError: bad input",
 *   chain: ["TypeError", "Error"],
 *   known: "TypeError",
 * };
 * ```
 * @category Extending
 */
export interface WireError {
  /** The error's `name`, e.g. `"TypeError"`. */
  name: string;
  /** Its message. */
  message: string;
  /** Its stack, as text. */
  stack?: string;
  /** Its class and superclasses, by constructor name, most derived first, down to `Error`. */
  chain: string[];
  /**
   * The most derived class in `chain` that is a built-in, a `Deno.errors`
   * class or one of baton's, as seen where it was thrown (the names before it
   * are the user's own classes).
   */
  known?: string;
  /** Own enumerable fields that could be cloned (`code`, `status`, `limit`…). */
  fields?: Record<string, unknown>;
  /** Its `cause`. */
  cause?: WireValue;
  /** `AggregateError.errors`. */
  errors?: WireValue[];
}

/**
 * Something an error refers to: another error, or a plain (cloned) value.
 *
 * @example
 * ```ts
 * import type { WireValue } from "@baton/baton";
 * const cause: WireValue = { value: { status: 503 } };
 * ```
 * @category Extending
 */
export type WireValue = { error: WireError } | { value: unknown };

// deno-lint-ignore no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

/** The class chain a decoded error came with (non-enumerable, so it never shows). */
const CHAIN = Symbol.for("baton.errorChain");
/** The known class a decoded error came with, kept so that a relay passes it on unchanged. */
const KNOWN = Symbol.for("baton.errorKnown");
/** Causes nested deeper than this are dropped (and cycles are cut). */
const MAX_DEPTH = 16;

const BUILT_IN: ReadonlyMap<string, ErrorConstructor> = new Map<string, ErrorConstructor>([
  ["Error", Error],
  ["TypeError", TypeError],
  ["RangeError", RangeError],
  ["ReferenceError", ReferenceError],
  ["SyntaxError", SyntaxError],
  ["EvalError", EvalError],
  ["URIError", URIError],
  ["AggregateError", AggregateError as unknown as ErrorConstructor],
]);
const SKIPPED_FIELDS = new Set(["name", "message", "stack", "cause"]);

const registered = new Map<string, ErrorClass>();
const moduleClasses = new Map<string, Map<string, ErrorClass>>();

/**
 * Makes the main process rebuild errors of these classes as themselves when
 * task code throws them on any executor (workers, processes, Redis, Slurm).
 * Classes exported by the module of the `remote()` function that threw are
 * known without this. A later class with the same name replaces an earlier one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { registerErrors, Scheduler } from "@baton/baton";
 * class QuotaError extends Error {
 *   constructor(message: string, readonly quota: number) {
 *     super(message);
 *     this.name = "QuotaError";
 *   }
 * }
 * registerErrors(QuotaError);
 * const scheduler = Scheduler.withWorkers(1);
 * const [settled] = await scheduler.map(() => {
 *   // The function runs in a worker, where this module's classes are out of
 *   // scope; a class of the same name there is rebuilt as the registered one.
 *   class QuotaError extends Error {
 *     quota = 10;
 *   }
 *   throw new QuotaError("over quota");
 * }, [0], { settle: true });
 * assert.ok(settled.status === "rejected" && settled.reason instanceof QuotaError);
 * assert.equal(settled.reason.quota, 10);
 * ```
 * @category Extending
 */
// deno-lint-ignore no-explicit-any
export function registerErrors(...classes: Array<abstract new (...args: any[]) => Error>): void {
  for (const cls of classes) {
    if (typeof cls !== "function" || !(cls.prototype instanceof Error || cls === Error)) {
      throw new TypeError(
        `registerErrors() takes error classes (subclasses of Error), got ${describeValue(cls)}`,
      );
    }
    if (!cls.name) throw new TypeError("registerErrors() needs named classes");
    registered.set(cls.name, cls);
  }
}

/** Remembers the error classes a module exports, for errors its `remote()` functions throw. */
export function rememberModuleErrors(url: string, namespace: Record<string, unknown>): void {
  const classes = new Map<string, ErrorClass>();
  for (const value of Object.values(namespace)) {
    if (typeof value === "function" && value.prototype instanceof Error && value.name) {
      classes.set(value.name, value as ErrorClass);
    }
  }
  moduleClasses.set(url, classes);
}

/**
 * The class names an error crossed a boundary with (most derived first), or
 * `undefined` for an error made on this side. Policies match a class by
 * `instanceof` or by its name in this chain.
 */
export function errorChain(error: unknown): readonly string[] | undefined {
  const chain = (error as Record<symbol, unknown> | null)?.[CHAIN];
  return Array.isArray(chain) ? chain : undefined;
}

/**
 * Whether `error` is an instance of `cls`, or of a class of the same name:
 * the chain it crossed a boundary with, or its own prototype chain (so a
 * class rebuilt from source in a worker matches alike on every executor).
 */
export function isErrorOf(
  error: unknown,
  cls: abstract new (...args: never[]) => unknown,
): boolean {
  if (error instanceof cls) return true;
  if (cls.name === "" || typeof error !== "object" || error === null) return false;
  return (errorChain(error) ?? classChain(error)).includes(cls.name);
}

/** Turns anything thrown into a {@linkcode WireError}; never throws. */
export function encodeError(thrown: unknown): WireError {
  const error = isError(thrown) ? thrown : new ThrownValueError(
    cloneable(thrown) ? thrown : undefined,
    undefined,
    describeValue(thrown),
  );
  return encode(error as Error, new Set(), 0);
}

/**
 * Rebuilds an error from a {@linkcode WireError}, as an instance of the most
 * derived class of its chain known here. `moduleUrl` is the module of the
 * `remote()` function that threw, whose exported classes are known too.
 */
export function decodeError(wire: WireError, moduleUrl?: string): Error {
  return decode(wire, moduleUrl === undefined ? undefined : moduleClasses.get(moduleUrl), 0);
}

function encode(error: Error, seen: Set<unknown>, depth: number): WireError {
  seen.add(error);
  const chain = errorChain(error) ?? classChain(error);
  const wire: WireError = {
    name: text(() => error.name) ?? chain[0] ?? "Error",
    message: text(() => error.message) ?? "",
    stack: text(() => error.stack),
    chain: [...chain],
  };
  const known = (error as unknown as Record<symbol, unknown>)[KNOWN] ?? knownClass(error);
  if (typeof known === "string") wire.known = known;
  const isAggregate = chain.includes("AggregateError");
  const fields: Record<string, unknown> = {};
  let hasFields = false;
  for (const key of attempt(() => Object.keys(error)) ?? []) {
    if (SKIPPED_FIELDS.has(key) || (isAggregate && key === "errors")) continue;
    const value = attempt(() => (error as unknown as Record<string, unknown>)[key]);
    if (cloneable(value)) {
      fields[key] = value;
      hasFields = true;
    }
  }
  if (hasFields) wire.fields = fields;
  if (depth < MAX_DEPTH) {
    if (attempt(() => "cause" in error)) {
      const cause = encodeValue(attempt(() => error.cause), seen, depth + 1);
      if (cause) wire.cause = cause;
    }
    const errors = isAggregate ? attempt(() => (error as AggregateError).errors) : undefined;
    if (Array.isArray(errors)) {
      wire.errors = errors.map((e) => encodeValue(e, seen, depth + 1)).filter((e) =>
        e !== undefined
      );
    }
  }
  return wire;
}

function encodeValue(value: unknown, seen: Set<unknown>, depth: number): WireValue | undefined {
  if (seen.has(value)) return undefined;
  if (isError(value)) return { error: encode(value as Error, seen, depth) };
  if (cloneable(value)) return { value };
  return {
    error: encode(new ThrownValueError(undefined, undefined, describeValue(value)), seen, depth),
  };
}

function decode(
  wire: WireError,
  local: ReadonlyMap<string, ErrorClass> | undefined,
  depth: number,
): Error {
  const chain = Array.isArray(wire.chain) && wire.chain.length > 0
    ? wire.chain.map(String)
    : [String(wire.name), "Error"];
  const message = String(wire.message ?? "");
  const error = instantiate(chain, wire, message, local);
  const name = String(wire.name ?? chain[0]);
  if (error.name !== name) define(error, "name", name, false);
  define(
    error,
    "stack",
    typeof wire.stack === "string" ? wire.stack : `${name}: ${message}`,
    false,
  );
  for (const [key, value] of Object.entries(wire.fields ?? {})) define(error, key, value, true);
  if (depth < MAX_DEPTH) {
    if (wire.cause) define(error, "cause", decodeValue(wire.cause, local, depth + 1), false);
    if (Array.isArray(wire.errors)) {
      define(error, "errors", wire.errors.map((e) => decodeValue(e, local, depth + 1)), false);
    }
  }
  define(error, CHAIN, Object.freeze(chain), false);
  if (wire.known !== undefined) define(error, KNOWN, wire.known, false);
  return error;
}

function decodeValue(
  value: WireValue,
  local: ReadonlyMap<string, ErrorClass> | undefined,
  depth: number,
): unknown {
  return "error" in value ? decode(value.error, local, depth) : value.value;
}

/**
 * An instance of the most derived class known here. Built-in, DOMException
 * and Deno classes are constructed; others get their prototype set on a
 * plain error, so no user constructor runs on this side.
 */
function instantiate(
  chain: readonly string[],
  wire: WireError,
  message: string,
  local: ReadonlyMap<string, ErrorClass> | undefined,
): Error {
  const known = wire.known;
  for (const name of chain) {
    if (name === known) return instantiateKnown(name, wire, message);
    const cls = local?.get(name) ?? registered.get(name);
    if (cls) {
      const error = new Error(message);
      Object.setPrototypeOf(error, cls.prototype);
      return error;
    }
  }
  return new Error(message);
}

function instantiateKnown(name: string, wire: WireError, message: string): Error {
  if (name === "DOMException") return new DOMException(message, String(wire.name));
  if (name === "AggregateError") return new AggregateError([], message);
  const builtIn = BUILT_IN.get(name);
  if (builtIn) return new builtIn(message);
  const deno = denoError(name);
  if (deno) return new deno(message);
  const baton = BATON_ERRORS.get(name);
  const error = new Error(message);
  if (baton) Object.setPrototypeOf(error, baton.prototype);
  return error;
}

function denoError(name: string): ErrorConstructor | undefined {
  const errors = Deno.errors as unknown as Record<string, ErrorConstructor>;
  return Object.hasOwn(errors, name) ? errors[name] : undefined;
}

/** Constructor names along the prototype chain, most derived first, ending at `Error`. */
function classChain(error: object): string[] {
  const names: string[] = [];
  attempt(() => {
    for (
      let proto = Object.getPrototypeOf(error);
      proto && proto !== Object.prototype && names.length < 32;
      proto = Object.getPrototypeOf(proto)
    ) {
      const ctor = Object.getOwnPropertyDescriptor(proto, "constructor")?.value;
      if (typeof ctor === "function" && typeof ctor.name === "string" && ctor.name) {
        names.push(ctor.name);
      }
      if (proto === Error.prototype) break;
    }
  });
  if (names.at(-1) !== "Error") names.push("Error");
  return names;
}

/** The most derived built-in, Deno or baton class `error` is an instance of, by identity. */
function knownClass(error: object): string | undefined {
  return attempt(() => {
    for (
      let proto = Object.getPrototypeOf(error);
      proto && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto)
    ) {
      const ctor = Object.getOwnPropertyDescriptor(proto, "constructor")?.value;
      if (typeof ctor !== "function") continue;
      const name = ctor.name;
      if (
        BUILT_IN.get(name) === ctor || BATON_ERRORS.get(name) === ctor ||
        (name === "DOMException" && ctor === DOMException) || denoError(name) === ctor
      ) return name;
    }
    return undefined;
  });
}

function isError(value: unknown): boolean {
  return attempt(() =>
    value instanceof Error || Object.prototype.toString.call(value) === "[object Error]"
  ) ?? false;
}

function cloneable(value: unknown): boolean {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) {
    return typeof value !== "symbol";
  }
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function define(target: object, key: string | symbol, value: unknown, enumerable: boolean): void {
  try {
    Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable });
  } catch { /* a frozen or exotic error keeps what it has */ }
}

function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function text(read: () => unknown): string | undefined {
  const value = attempt(read);
  if (value === undefined || value === null) return undefined;
  return typeof value === "string" ? value : attempt(() => String(value));
}
