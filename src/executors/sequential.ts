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
import { prepareCapture, runCapturing } from "./capture.ts";
import { CancelledError, WallTimeLimitError } from "../wire/errors.ts";
import { CommChannel } from "../comm/channel.ts";
import type { CommFrame } from "../wire/frames.ts";

interface Running {
  readonly call: Call;
  readonly comm?: CommChannel;
  readonly controller: AbortController;
  timer?: Timer;
  settled: boolean;
}

/**
 * The main-thread executor behind `Scheduler.sequential()`. Wall-time limits
 * are cooperative (the call's `this.signal` aborts and its future rejects at
 * the deadline); CPU, memory and permissions cannot be enforced here and are
 * refused. A call's console output is captured through its async context
 * (writes to `Deno.stdout` are not: they are this process's own).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler, SequentialExecutor } from "@baton/baton";
 * const scheduler = new Scheduler({ executor: new SequentialExecutor(), name: "local" });
 * assert.deepEqual(await scheduler.map((x: number) => x + 1, [1, 2]), [2, 3]);
 * ```
 * @category Executors
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
    this.#queue.push(call);
    this.#kick();
  }

  /** Hands a comm frame to the running call's channel (after the current turn, as a worker would). */
  sendComm(call: Call, frame: CommFrame): void {
    const comm = this.#running?.call === call ? this.#running.comm : undefined;
    if (comm) queueMicrotask(() => comm.receive(frame));
  }

  /** Drops a queued call, or abandons the running one (its signal aborts with `reason`). */
  cancel(call: Call, reason?: Error): boolean {
    if (this.#queue.remove(call)) return true;
    const running = this.#running;
    if (running?.call !== call || running.settled) return false;
    this.#finish(running);
    running.controller.abort(reason ?? new CancelledError(call.id));
    return true;
  }

  /** Drops queued calls; with `wait`, waits for the running call. */
  async shutdown(wait: boolean): Promise<void> {
    this.#queue.drain();
    const running = this.#running;
    if (running && !wait) {
      this.cancel(running.call, new CancelledError(running.call.id, "the scheduler ended"));
    }
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
    const host = this.#host;
    const call = this.#queue.peek();
    if (!call || !host) return;
    if (call.output) {
      const loading = prepareCapture({ stdio: false });
      if (loading) {
        this.#kicked = true;
        loading.then(() => this.#runNext());
        return;
      }
    }
    this.#queue.shift();
    // Frames go through a microtask, in order, so they behave as a worker's would.
    const comm = call.comm
      ? new CommChannel((frame) => queueMicrotask(() => host.comm(call, frame)))
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
      const invoke = () =>
        (call.fn as (...args: unknown[]) => unknown).apply(
          { signal: running.controller.signal },
          comm ? [comm, ...call.args] : call.args as unknown[],
        );
      const result = call.output === undefined ? invoke() : runCapturing(
        call.output === "capture"
          ? (text, stream) => {
            if (!running.settled) host.output?.(call, text, stream);
          }
          : () => {},
        invoke,
      );
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
