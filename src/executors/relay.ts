/**
 * The worker side of the remote backends: a Redis worker and a Slurm job's
 * `baton worker --connect` both run the calls a scheduler elsewhere sends
 * them through a relay, on a local executor (processes, Web Workers, or this
 * thread), which enforces each call's limits and permissions as it does
 * locally. What comes back (results, errors, comm frames, output) is in the
 * messages of the ordinary protocol, for the transport to carry.
 *
 * @module
 */

import type { Call, Executor, ExecutorHost } from "./executor.ts";
import { ProcessExecutor } from "./processes.ts";
import { WorkerExecutor } from "./workers.ts";
import { SequentialExecutor } from "./sequential.ts";
import { importRemote } from "./rebuild.ts";
import { standIn } from "./stand_in.ts";
import {
  type Limits,
  type Permissions,
  type ResolvedLimits,
  resolveLimits,
  resolvePermissions,
} from "./limits.ts";
import type { FromWorker, FunctionRef, OutputMode, WireError } from "../wire/messages.ts";
import type { CommFrame } from "../wire/frames.ts";
import { decodeError, encodeError } from "../wire/codec.ts";
import { CancelledError } from "../wire/errors.ts";

/** Where a relay runs its calls. */
export type RelayExecutor = "processes" | "workers" | "sequential";

/** The executors a relay offers, in the order help texts list them. */
export const RELAY_EXECUTORS: readonly RelayExecutor[] = ["processes", "workers", "sequential"];

/** How a relay runs calls. */
export interface RelayOptions {
  /**
   * `"processes"` (hard limits, the default), `"workers"` (Web Workers), or
   * `"sequential"` (this process's own thread, one call at a time: no
   * isolation, no CPU/memory limits or permissions — the fastest, for
   * trusted quick functions).
   */
  executor?: RelayExecutor;
  /** Calls at once, each in its own process or worker (default 1). */
  concurrency?: number;
  /** Default permissions; a call's own replace them, as locally. */
  permissions?: Permissions;
  /** Default limits; a call's own replace them one by one. */
  limits?: Limits;
}

/** A call as a remote scheduler describes it. */
export interface RelayCall {
  /** Unique among this relay's calls. */
  readonly id: number;
  /** The function: its source, or its module URL and name. */
  readonly fn: FunctionRef;
  /** Its arguments. */
  readonly args: readonly unknown[];
  /** Its limits (the relay's defaults fill the gaps). */
  readonly limits?: ResolvedLimits;
  /** Its permissions (the relay's default when absent). */
  readonly permissions?: Permissions;
  /** Whether it takes a comm channel first. */
  readonly comm?: boolean;
  /** What to do with its output. */
  readonly output?: OutputMode;
  /** Its task's name, for messages. */
  readonly task?: string;
}

/** What a relay reports: each call that was accepted gets exactly one `ok` or `err`. */
export type RelayMessage =
  | { t: "started"; id: number }
  | Extract<FromWorker, { t: "ok" | "err" | "comm" | "out" }>;

/** Runs relayed calls on a local executor. */
export class Relay {
  /** Where calls run. */
  readonly kind: RelayExecutor;
  readonly #executor: Executor;
  readonly #defaults: ResolvedLimits;
  readonly #send: (message: RelayMessage) => void;
  readonly #calls = new Map<number, { call: Call; started: boolean }>();

  /** Checks the options and makes the executor; nothing starts until {@linkcode start}. */
  constructor(options: RelayOptions, send: (message: RelayMessage) => void) {
    const kind = options.executor ?? "processes";
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    }
    resolvePermissions(options.permissions);
    this.#defaults = resolveLimits(options.limits);
    this.#send = send;
    this.kind = kind;
    if (kind === "processes") {
      this.#executor = new ProcessExecutor(concurrency, {
        permissions: options.permissions,
        limits: options.limits,
      });
    } else if (kind === "workers") {
      this.#executor = new WorkerExecutor(concurrency, {
        permissions: options.permissions,
        prefetch: 1,
      });
      this.#executor.validate({ limits: this.#defaults });
    } else if (kind === "sequential") {
      this.#executor = new SequentialExecutor();
      this.#executor.validate({ limits: this.#defaults, permissions: options.permissions });
    } else {
      throw new TypeError(
        `executor must be ${RELAY_EXECUTORS.map((k) => `"${k}"`).join(", ")}, got ${
          JSON.stringify(kind)
        }`,
      );
    }
  }

  /** Calls accepted and not answered yet. */
  get active(): number {
    return this.#calls.size;
  }

  /** Starts the executor. */
  async start(): Promise<void> {
    await this.#executor.start(this.#host());
  }

  /**
   * Accepts a call. Rejects when the call cannot run here (its function
   * cannot be found or rebuilt, or its limits or permissions cannot be
   * enforced): it would not run better on a second try.
   */
  async run(request: RelayCall): Promise<void> {
    const fn = this.kind === "sequential" && request.fn?.kind === "module"
      // In this thread it must be the function itself; a pool takes a stand-in.
      ? await importRemote(request.fn.url, request.fn.name)
      : standIn(request.fn);
    const call: Call = {
      id: request.id,
      fn,
      args: request.args,
      limits: request.limits ?? {},
      permissions: request.permissions,
      comm: request.comm,
      output: request.output,
      task: request.task,
    };
    this.#executor.validate({
      limits: { ...this.#defaults, ...call.limits },
      permissions: call.permissions,
    });
    this.#calls.set(call.id, { call, started: false });
    this.#executor.execute(call);
  }

  /** Delivers a comm frame to call `id`. */
  comm(id: number, frame: CommFrame): void {
    const entry = this.#calls.get(id);
    if (entry) this.#executor.sendComm(entry.call, frame);
  }

  /**
   * Cancels call `id` (its signal aborts with `reason` where it can see it);
   * `true` when it will not be answered.
   */
  cancel(id: number, reason?: WireError): boolean {
    const entry = this.#calls.get(id);
    if (!entry) return false;
    const error = reason ? decodeError(reason) : new CancelledError(id);
    if (!this.#executor.cancel(entry.call, error)) return false;
    this.#calls.delete(id);
    return true;
  }

  /** Takes back call `id` if it has not started; `true` when it will not be answered. */
  steal(id: number): boolean {
    const entry = this.#calls.get(id);
    if (!entry || entry.started || !this.#executor.cancel(entry.call)) return false;
    this.#calls.delete(id);
    return true;
  }

  /** Stops; with `wait`, running calls finish (and are answered) first. */
  async shutdown(wait: boolean): Promise<void> {
    await this.#executor.shutdown(wait);
    this.#calls.clear();
  }

  #host(): ExecutorHost {
    return {
      started: (call) => {
        const entry = this.#calls.get(call.id);
        if (!entry) return;
        entry.started = true;
        this.#send({ t: "started", id: call.id });
      },
      fulfilled: (call, value) => {
        if (this.#calls.delete(call.id)) this.#send({ t: "ok", id: call.id, value });
      },
      rejected: (call, error) => {
        if (this.#calls.delete(call.id)) {
          this.#send({ t: "err", id: call.id, error: encodeError(error) });
        }
      },
      comm: (call, frame) => {
        if (this.#calls.has(call.id)) this.#send({ t: "comm", id: call.id, frame });
      },
      output: (call, text, stream) => {
        if (this.#calls.has(call.id)) this.#send({ t: "out", id: call.id, text, stream });
      },
    };
  }
}

/**
 * The error to send instead of a result that could not be sent (a value
 * that cannot be cloned), for transports to use alike.
 */
export function unsendableResult(fnName: string, error: unknown): WireError {
  return encodeError(
    new DOMException(
      `The result of ${fnName || "the task"} could not be sent back: ${
        (error as Error)?.message ?? error
      }`,
      "DataCloneError",
    ),
  );
}
