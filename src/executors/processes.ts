/**
 * A pool of long-lived `deno run` subprocesses with hard limits: wall time
 * (the process is killed), CPU time (the kernel's RLIMIT_CPU plus a check by
 * the parent) and memory (the resident set, watched, with the V8 heap limit
 * and RLIMIT_DATA as backstops), and a permission sandbox of `--allow-*`
 * flags.
 *
 * @module
 */

import { checkOptions } from "../options.ts";
import type { Call, Executor, ExecutorHost, ExecutorInfo } from "./executor.ts";
import {
  checkProcessMemory,
  type Limits,
  type Permissions,
  type ResolvedLimits,
  resolveLimits,
  resolvePermissions,
} from "./limits.ts";
import { Pool } from "./pool.ts";
import type { CommFrame } from "../wire/frames.ts";
import { type ProcessSpec, type ProcessTransport, spawnProcess } from "./process_transport.ts";
import type { TransportEvents } from "./pool.ts";
import { denoArgs } from "./process_flags.ts";
import { whyNoKernelLimits } from "./prlimit.ts";

/**
 * Options of `Scheduler.withProcesses(n, options)`.
 *
 * @example
 * ```ts
 * import { Scheduler } from "@baton/baton";
 * Scheduler.withProcesses(4, { permissions: "none", limits: { wallTime: "1m" } });
 * ```
 * @category Executors
 */
export interface ProcessExecutorOptions {
  /** Permissions of every process (a task's own `permissions` replace them for its calls). Default: the kinds this process holds in full. */
  permissions?: Permissions;
  /** Extra V8 flags for every process, e.g. `["--stack-size=2000"]`. */
  v8Flags?: string[];
  /** Default limits of every call; a task's own limits replace them one by one. */
  limits?: Limits;
  /** Copy the processes' stderr (where task output goes) to this process's stderr (default `true`). */
  forwardStderr?: boolean;
}

/**
 * RLIMIT_DATA is set this far above the heap limit: an idle Deno process
 * already maps about 550 MB of writable (if mostly untouched) memory.
 */
const DATA_HEADROOM = 1024 ** 3;

/**
 * Calls without a CPU or memory limit that one process may hold (one runs,
 * the rest wait in its stdin): enough to keep a child busy while the parent
 * is away. A call with such a limit runs alone (see process_transport.ts).
 */
const PREFETCH = 32;

/**
 * Runs calls on `n` subprocesses (`deno run`), reused across calls. Limits
 * are hard: a call over its wall-time, CPU-time or memory limit ends its
 * process, rejects with `WallTimeLimitError`, `CpuTimeLimitError` or
 * `MemoryLimitError`, and the process is replaced. A process that dies on its
 * own rejects the call it ran with `WorkerCrashedError`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProcessExecutor, Scheduler } from "@baton/baton";
 * const scheduler = new Scheduler({
 *   executor: new ProcessExecutor(2, { permissions: "none", limits: { wallTime: "5s" } }),
 * });
 * assert.deepEqual(await scheduler.map((x: number) => x * x, [1, 2, 3]), [1, 4, 9]);
 * ```
 * @category Executors
 */
export class ProcessExecutor implements Executor {
  /** Always `"processes"`. */
  readonly kind = "processes";
  /**
   * A random id on every child's command line (`--baton-pool=<id>`, an
   * argument the child ignores), so `pgrep -f baton-pool=<id>` finds this
   * pool's processes.
   */
  readonly poolId: string = crypto.randomUUID().slice(0, 8);
  readonly #size: number;
  readonly #permissions?: Permissions;
  readonly #v8Flags: readonly string[];
  readonly #defaults: ResolvedLimits;
  readonly #forwardStderr: boolean;
  readonly #pool: Pool;
  readonly #processes = new Set<ProcessTransport>();
  readonly #permissionKeys = new WeakMap<object, string>();
  #spare?: Spare;
  /** The kind of process a spare is kept for, once one is wanted. */
  #spareKey?: string;
  /** Kinds of process that were up at least once. */
  readonly #upKeys = new Set<string>();
  #defaultKey?: string;
  #started = false;

  /** A pool of `n` processes. */
  constructor(n: number, options: ProcessExecutorOptions = {}) {
    checkOptions(
      options,
      ["permissions", "v8Flags", "limits", "forwardStderr"],
      "Scheduler.withProcesses()",
    );
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`The number of processes must be a positive integer, got ${n}`);
    }
    const v8Flags = options.v8Flags ?? [];
    if (
      !Array.isArray(v8Flags) || !v8Flags.every((f) => typeof f === "string" && f.startsWith("--"))
    ) {
      throw new TypeError(
        `v8Flags must be a list of flags like ["--stack-size=2000"], got ${
          JSON.stringify(v8Flags)
        }`,
      );
    }
    this.#size = n;
    this.#permissions = options.permissions;
    resolvePermissions(options.permissions);
    this.#v8Flags = v8Flags;
    this.#defaults = resolveLimits(options.limits);
    this.#forwardStderr = options.forwardStderr ?? true;
    this.validate({ limits: this.#defaults });
    this.#pool = new Pool({
      size: n,
      prefetch: PREFETCH,
      // Their CPU limit is set on the whole process, their resident set is the process's.
      exclusive: (limits) => limits.cpuTime !== undefined || limits.memory !== undefined,
      label: "process",
      onWallTime: "kill",
      limitsOf: (call) => this.#limitsOf(call),
      keyOf: (call, limits) => this.#keyOf(call, limits),
      spawn: (key, events) => this.#spawn(key, events),
    });
  }

  /**
   * A process for the pool: the warm spare when it was started for the same
   * key and remote modules (its start-up is then already paid), else a new
   * one. A new spare starts for its key once a new process is up (so a
   * pool's first processes start alone) or as soon as the spare is taken,
   * so a process killed at a limit has its replacement ready.
   */
  #spawn(key: string, events: TransportEvents): ProcessTransport {
    const spec = this.#specOf(key);
    const spare = this.#spare?.key === key ? this.#spare : undefined;
    if (spare) this.#spare = undefined;
    if (spare && sameArgs(spare.args, spec.denoArgs)) {
      spare.target = events;
      // The pool registers the process once this returns: tell it after.
      queueMicrotask(() => {
        if (spare.ready) events.ready();
        // Kills may come in a row: the next spare starts now, not once this one is up.
        this.#keepSpare(key);
      });
      return spare.process;
    }
    // A spare that started before more remote modules were known cannot import them.
    spare?.process.kill();
    return this.#start(spec, {
      message: (message) => events.message(message),
      result: (id, value) => events.result(id, value),
      exit: (error) => {
        // It died on its own: a replacement may be needed again (the spare
        // starts once this one's replacement is up).
        this.#spareKey = key;
        events.exit(error);
      },
      ready: () => {
        events.ready();
        this.#upKeys.add(key);
        if (this.#spareKey === key) this.#keepSpare(key);
      },
    });
  }

  #dropSpare(): void {
    this.#spare?.process.kill();
    this.#spare = undefined;
  }

  /**
   * The limits of a call; one that has any makes the pool keep a spare for
   * its kind of process (a pool without limits, whose processes are
   * replaced only after crashes, starts one after the first crash).
   */
  #limitsOf(call: Call): ResolvedLimits {
    const limits = { ...this.#defaults, ...call.limits };
    if (
      limits.wallTime !== undefined || limits.cpuTime !== undefined || limits.memory !== undefined
    ) this.#wantSpare(this.#keyOf(call, limits));
    return limits;
  }

  /** Keeps a spare for `key` from now on; it starts once a process of that key was up. */
  #wantSpare(key: string): void {
    if (this.#spareKey === key) return;
    this.#spareKey = key;
    // Not while the pool's first process of this kind starts: they would compete.
    if (this.#upKeys.has(key)) queueMicrotask(() => this.#keepSpare(key));
  }

  /** Starts a spare for `key` if there is none; idle spares of other keys make way. */
  #keepSpare(key: string): void {
    if (!this.#started || this.#spareKey !== key || this.#spare?.key === key) return;
    this.#dropSpare();
    const spec = this.#specOf(key);
    const spare: Spare = { key, args: spec.denoArgs, ready: false } as Spare;
    const unclaimed = (what: string) => () => {
      if (spare.target) return false;
      if (what === "ready") spare.ready = true;
      else if (this.#spare === spare) this.#spare = undefined; // it died idle: no retry loop
      return true;
    };
    const ready = unclaimed("ready");
    const exit = unclaimed("exit");
    try {
      spare.process = this.#start(spec, {
        message: (message) => spare.target?.message(message),
        result: (id, value) => spare.target?.result(id, value),
        exit: (error) => {
          if (exit()) return;
          this.#spareKey = key;
          spare.target!.exit(error);
        },
        ready: () => {
          if (!ready()) spare.target!.ready();
        },
      });
    } catch {
      return; // the pool will meet the same failure and report it
    }
    this.#spare = spare;
  }

  #start(spec: ProcessSpec, events: TransportEvents): ProcessTransport {
    const process = spawnProcess(spec, events);
    this.#processes.add(process);
    process.done.then(() => this.#processes.delete(process));
    return process;
  }

  /** Accepts every limit on Linux with prlimit; checks permissions. */
  validate({ limits, permissions }: { limits: ResolvedLimits; permissions?: Permissions }): void {
    resolvePermissions(permissions);
    if (limits.cpuTime === undefined && limits.memory === undefined) return;
    const why = whyNoKernelLimits();
    if (why) throw new Error(`The process executor cannot enforce this limit here: ${why}`);
    checkProcessMemory(limits);
  }

  /** Starts accepting calls; processes start on demand. */
  start(host: ExecutorHost): void {
    this.#started = true;
    this.#spareKey = undefined;
    this.#pool.start(host);
  }

  /** Queues a call; the pool fills in the default limits. */
  execute(call: Call): void {
    this.#pool.execute(call);
  }

  /** Delivers a comm frame to the process running `call` (multiplexed on its channel). */
  sendComm(call: Call, frame: CommFrame): void {
    this.#pool.sendComm(call.id, frame);
  }

  /** Cancels a queued call, or ends the process running it. */
  cancel(call: Call, reason?: Error): boolean {
    return this.#pool.cancel(call.id, reason);
  }

  /** Drops the queue, optionally waits for running calls, then kills and reaps every process. */
  async shutdown(wait: boolean): Promise<void> {
    this.#started = false;
    this.#dropSpare();
    await this.#pool.shutdown(wait);
    this.#dropSpare();
    await Promise.all([...this.#processes].map((p) => p.done));
  }

  /** A snapshot for rendering. */
  info(): ExecutorInfo {
    return this.#pool.info(this.kind, { maxProcesses: this.#size });
  }

  /** Processes differ by permissions and heap limit, which are fixed when they start. */
  #keyOf(call: Call, limits: ResolvedLimits): string {
    // The common case, once per call: the pool's own permissions, no memory limit.
    if (call.permissions === undefined && limits.memory === undefined) {
      return this.#defaultKey ??= this.#computeKey(call, limits);
    }
    return this.#computeKey(call, limits);
  }

  #computeKey(call: Call, limits: ResolvedLimits): string {
    const permissions = call.permissions ?? this.#permissions;
    let key = "inherit";
    if (typeof permissions === "string") key = permissions;
    else if (permissions) {
      key = this.#permissionKeys.get(permissions) ??
        JSON.stringify(resolvePermissions(permissions));
      this.#permissionKeys.set(permissions, key);
    }
    return JSON.stringify([key, limits.memory ?? null]);
  }

  #specOf(key: string): ProcessSpec {
    const [permissionKey, memory] = JSON.parse(key) as [string, number | null];
    const permissions: Permissions = permissionKey === "inherit" || permissionKey === "none"
      ? permissionKey
      : JSON.parse(permissionKey);
    return {
      denoArgs: denoArgs({
        poolId: this.poolId,
        permissions,
        heapMegabytes: memory === null ? undefined : Math.max(1, Math.floor(memory / 1024 ** 2)),
        v8Flags: this.#v8Flags,
      }),
      dataLimit: memory === null ? undefined : memory + DATA_HEADROOM,
      forwardStderr: this.#forwardStderr,
    };
  }
}

/** An idle process started ahead for calls of `key`, until the pool takes it (`target`). */
interface Spare {
  readonly key: string;
  readonly args: readonly string[];
  process: ProcessTransport;
  ready: boolean;
  target?: TransportEvents;
}

function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((arg, i) => arg === b[i]);
}
