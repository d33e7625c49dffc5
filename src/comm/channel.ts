/**
 * One end of a two-way channel between running compute and the main
 * process: messages, requests with answers, iteration, close. It knows
 * nothing of schedulers, so executors and workers use it as it is.
 *
 * @module
 */

import { startTimer, stopTimer, type Timer } from "../timers.ts";
import { decodeError, encodeError } from "../wire/codec.ts";
import { CommClosedError, CommTimeoutError } from "../wire/errors.ts";
import type { CommFrame } from "../wire/frames.ts";

/**
 * Options of `comm.request()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Comm, Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * const task = scheduler.task(async (comm: Comm) => {
 *   return await comm.request({ need: "config" }, { timeout: 5_000 });
 * }, { comm: true });
 * task.on("comm-request", (msg) => msg.respond({ lr: 0.1 }));
 * scheduler.onStart(async () => assert.deepEqual(await task.submit(), { lr: 0.1 }));
 * await scheduler.run();
 * ```
 * @category Extending
 */
export interface RequestOptions {
  /** Reject with `CommTimeoutError` when no answer came in this many ms. */
  timeout?: number;
}

/**
 * What one end does with incoming messages and requests, when not iterated.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CommChannel } from "@baton/baton";
 * const got: unknown[] = [];
 * // Two ends wired back to back: what one sends, the other receives.
 * const a: CommChannel = new CommChannel((frame) => b.receive(frame));
 * const b: CommChannel = new CommChannel((frame) => a.receive(frame), {
 *   message: (data) => got.push(data),
 * });
 * a.send({ progress: 0.5 });
 * assert.deepEqual(got, [{ progress: 0.5 }]);
 * ```
 * @category Extending
 */
export interface CommHooks {
  /** A one-way message arrived. */
  message?(data: unknown): void;
  /** A request arrived; answer it with `comm.answer(rid, ...)`. */
  request?(rid: number, data: unknown): void;
  /** The other end closed, or this end was closed. */
  close?(): void;
}

interface PendingRequest {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer?: Timer;
}

/**
 * One end of a comm channel. A task made with `{ comm: true }` receives one
 * as its first argument, on every executor; the main process's end is a
 * {@linkcode Comm} (this class plus the event constants). Frames go out
 * through `post` and come in through {@linkcode CommChannel.receive}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CommChannel } from "@baton/baton";
 * const sent: unknown[] = [];
 * const end = new CommChannel((frame) => sent.push(frame));
 * end.send({ progress: 0.5 });
 * assert.deepEqual(sent, [{ k: "msg", data: { progress: 0.5 } }]);
 * ```
 * @category Extending
 */
export class CommChannel implements AsyncIterable<unknown> {
  readonly #post: (frame: CommFrame) => void;
  readonly #hooks: CommHooks;
  readonly #pending = new Map<number, PendingRequest>();
  readonly #inbox: unknown[] = [];
  #waiter?: PromiseWithResolvers<void>;
  #nextRid = 1;
  #closedBecause?: string;

  /** Makes an end that sends frames with `post`; feed it incoming frames with `receive`. */
  constructor(post: (frame: CommFrame) => void, hooks: CommHooks = {}) {
    this.#post = post;
    this.#hooks = hooks;
  }

  /** Whether this end is closed. */
  get closed(): boolean {
    return this.#closedBecause !== undefined;
  }

  /** Sends a one-way message to the other end. */
  send(data: unknown): void {
    this.#assertOpen();
    this.#post({ k: "msg", data });
  }

  /** Sends a request and resolves with the other end's answer. */
  request(data: unknown, options: RequestOptions = {}): Promise<unknown> {
    if (this.#closedBecause !== undefined) {
      return Promise.reject(new CommClosedError(this.#closedBecause));
    }
    const rid = this.#nextRid++;
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    const pending: PendingRequest = { resolve, reject };
    if (options.timeout !== undefined) {
      pending.timer = startTimer(() => {
        this.#pending.delete(rid);
        reject(new CommTimeoutError(options.timeout!));
      }, options.timeout);
    }
    this.#pending.set(rid, pending);
    this.#post({ k: "req", rid, data });
    return promise;
  }

  /** Answers request `rid` with `data`, or with `error` when given. */
  answer(rid: number, data: unknown, error?: unknown): void {
    if (this.#closedBecause !== undefined) return;
    this.#post(
      error === undefined ? { k: "res", rid, data } : {
        k: "rej",
        rid,
        error: encodeError(error),
      },
    );
  }

  /** Closes both ends: pending requests reject, iteration ends. */
  close(): void {
    if (this.#closedBecause !== undefined) return;
    this.#post({ k: "close" });
    this.shutdown("it was closed by this side");
  }

  /** Iterates over the messages the other end sends, until the channel closes. */
  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    while (true) {
      if (this.#inbox.length > 0) yield this.#inbox.shift();
      else if (this.#closedBecause !== undefined) return;
      else {
        this.#waiter = Promise.withResolvers();
        await this.#waiter.promise;
      }
    }
  }

  /** Handles a frame from the other end. */
  receive(frame: CommFrame): void {
    switch (frame.k) {
      case "msg":
        if (this.#hooks.message) this.#hooks.message(frame.data);
        else {
          this.#inbox.push(frame.data);
          this.#wake();
        }
        break;
      case "req":
        if (this.#hooks.request) this.#hooks.request(frame.rid, frame.data);
        else this.answer(frame.rid, undefined, new Error("This end does not take requests"));
        break;
      case "res":
      case "rej": {
        const pending = this.#pending.get(frame.rid);
        if (!pending) return;
        this.#pending.delete(frame.rid);
        stopTimer(pending.timer);
        if (frame.k === "res") pending.resolve(frame.data);
        else pending.reject(decodeError(frame.error));
        break;
      }
      case "close":
        this.shutdown("the other side closed it");
        break;
    }
  }

  /** Closes this end without telling the other (it is gone or closed already). */
  shutdown(why: string): void {
    if (this.#closedBecause !== undefined) return;
    this.#closedBecause = why;
    for (const pending of this.#pending.values()) {
      stopTimer(pending.timer);
      pending.reject(new CommClosedError(why));
    }
    this.#pending.clear();
    this.#wake();
    this.#hooks.close?.();
  }

  #wake(): void {
    this.#waiter?.resolve();
    this.#waiter = undefined;
  }

  #assertOpen(): void {
    if (this.#closedBecause !== undefined) throw new CommClosedError(this.#closedBecause);
  }
}
