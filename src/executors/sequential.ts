/**
 * Runs calls in the main thread, one at a time, each in its own macrotask so
 * that long result→submit chains never grow the stack.
 *
 * @module
 */

import { startTimer, stopTimer, type Timer } from "../timers.ts";
import type { Call, Executor, ExecutorHost, ExecutorInfo } from "./executor.ts";
import { type Permissions, refuseKernelLimits, type ResolvedLimits } from "./limits.ts";
import { Queue } from "./queue.ts";
import { WallTimeLimitError } from "./errors.ts";
import { CancelledError } from "../scheduler/errors.ts";
import { Comm } from "../comm/comm.ts";
import type { CommFrame } from "../comm/frames.ts";
import { type OutputScope, outputScope } from "./output_scope.ts";

interface Running {
  readonly call: Call;
  readonly comm?: Comm;
  readonly controller: AbortController;
  timer?: Timer;
  settled: boolean;
}

/**
 * The main-thread executor behind `Scheduler.sequential()`. Wall-time limits
 * are cooperative (the call's `this.signal` aborts and its future rejects at
 * the deadline); CPU, memory and permissions cannot be enforced here and are
 * refused.
 *
 * @example
 * ```ts
 * import { Scheduler, SequentialExecutor } from "@baton/baton";
 * const scheduler = new Scheduler({ executor: new SequentialExecutor(), name: "local" });
 * ```
 */
export class SequentialExecutor implements Executor {
  /** Always `"sequential"`. */
  readonly kind = "sequential";
  readonly #queue = new Queue<Call>();
  #host?: ExecutorHost;
  #channel?: MessageChannel;
  #kicked = false;
  #running?: Running;
  #idle?: PromiseWithResolvers<void>;
  /**
   * The output scope each call was submitted in: its console output goes
   * there. Keyed by the arguments, which a retried call keeps (it gets a
   * fresh call object, from a timer that has no scope).
   */
  readonly #scopes = new WeakMap<readonly unknown[], OutputScope>();

  /** Refuses CPU and memory limits and permissions. */
  validate({ limits, permissions }: { limits: ResolvedLimits; permissions?: Permissions }): void {
    refuseKernelLimits(limits, "The sequential executor");
    if (permissions !== undefined && permissions !== "inherit") {
      throw new Error(
        "The sequential executor runs in the main thread and cannot narrow permissions: " +
          "use Scheduler.withWorkers(n) or Scheduler.withProcesses(n)",
      );
    }
  }

  /** Opens the channel used to step off the stack. */
  start(host: ExecutorHost): void {
    this.#host = host;
    this.#channel = new MessageChannel();
    this.#channel.port1.onmessage = () => this.#runNext();
  }

  /** Queues a call. */
  execute(call: Call): void {
    const scope = outputScope.getStore();
    if (scope) this.#scopes.set(call.args, scope);
    this.#queue.push(call);
    this.#kick();
  }

  /** Hands a comm frame to the running call's channel (after the current turn, as a worker would). */
  sendComm(call: Call, frame: CommFrame): void {
    const comm = this.#running?.call === call ? this.#running.comm : undefined;
    if (comm) queueMicrotask(() => comm.receive(frame));
  }

  /** Drops a queued call, or abandons the running one (its signal aborts). */
  cancel(call: Call): boolean {
    if (this.#queue.remove(call)) return true;
    const running = this.#running;
    if (running?.call !== call || running.settled) return false;
    this.#finish(running);
    running.controller.abort(new CancelledError(call.id));
    return true;
  }

  /** Drops queued calls; with `wait`, waits for the running call. */
  async shutdown(wait: boolean): Promise<void> {
    this.#queue.drain();
    const running = this.#running;
    if (running && !wait) this.cancel(running.call);
    if (this.#running) {
      this.#idle = Promise.withResolvers();
      await this.#idle.promise;
    }
    this.#channel?.port1.close();
    this.#channel = undefined;
    this.#host = undefined;
  }

  /** A snapshot for rendering. */
  info(): ExecutorInfo {
    return {
      kind: this.kind,
      options: {},
      queued: this.#queue.size,
      workers: [{ id: "main", busy: this.#running !== undefined, inFlight: this.#running ? 1 : 0 }],
    };
  }

  #kick(): void {
    if (this.#kicked || this.#running || this.#queue.size === 0 || !this.#channel) return;
    this.#kicked = true;
    this.#channel.port2.postMessage(0);
  }

  #runNext(): void {
    this.#kicked = false;
    const call = this.#queue.shift();
    const host = this.#host;
    if (!call || !host) return;
    // Frames go through a microtask, in order, so they behave as a worker's would.
    const comm = call.comm
      ? new Comm((frame) => queueMicrotask(() => host.comm(call, frame)))
      : undefined;
    const running: Running = { call, comm, controller: new AbortController(), settled: false };
    this.#running = running;
    host.started(call, "main");
    const wallTime = call.limits.wallTime;
    // The clock is read only for calls with a deadline: it is not free.
    const startedAt = wallTime === undefined ? 0 : performance.now();
    if (wallTime !== undefined) {
      running.timer = startTimer(() => {
        if (running.settled) return;
        this.#finish(running);
        const error = new WallTimeLimitError(wallTime, performance.now() - startedAt);
        running.controller.abort(error);
        host.rejected(call, error);
      }, wallTime);
    }
    const settle = (ok: boolean, outcome: unknown) => {
      if (running.settled) return;
      this.#finish(running);
      const elapsed = wallTime === undefined ? 0 : performance.now() - startedAt;
      // A synchronous call cannot be interrupted; it still reports the overrun.
      if (wallTime !== undefined && elapsed > wallTime) {
        host.rejected(call, new WallTimeLimitError(wallTime, elapsed));
      } else if (ok) host.fulfilled(call, outcome);
      else host.rejected(call, outcome);
    };
    try {
      const fn = call.fn as (...args: unknown[]) => unknown;
      const context = { signal: running.controller.signal };
      const args = comm ? [comm, ...call.args] : call.args as unknown[];
      const scope = this.#scopes.get(call.args);
      const result = scope
        ? outputScope.run(scope, () => fn.apply(context, args))
        : fn.apply(context, args);
      // A comm call settles after the frames it sent, as through a worker.
      if (comm || typeof (result as PromiseLike<unknown>)?.then === "function") {
        Promise.resolve(result).then((v) => settle(true, v), (e) => settle(false, e));
      } else settle(true, result);
    } catch (error) {
      settle(false, error);
    }
  }

  #finish(running: Running): void {
    running.settled = true;
    running.comm?.shutdown("the call ended");
    stopTimer(running.timer);
    if (this.#running === running) this.#running = undefined;
    if (this.#idle) this.#idle.resolve();
    else this.#kick();
  }
}
