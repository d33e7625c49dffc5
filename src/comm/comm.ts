/**
 * One end of a two-way channel between running compute and the main process.
 *
 * @module
 */

import { startTimer, stopTimer, type Timer } from "../timers.ts";
import { Event } from "../events/event.ts";
import type { Future } from "../scheduler/future.ts";
import type { AnyTask } from "../scheduler/task.ts";
import { decodeError, encodeError } from "../executors/wire_error.ts";
import { CommClosedError, CommTimeoutError } from "./errors.ts";
import type { CommFrame } from "./frames.ts";

/**
 * Options of `comm.request()`.
 *
 * @example
 * ```ts ignore
 * const answer = await comm.request({ need: "config" }, { timeout: 5_000 });
 * ```
 */
export interface RequestOptions {
  /** Reject with `CommTimeoutError` when no answer came in this many ms. */
  timeout?: number;
}

/**
 * What one end does with incoming messages and requests, when not iterated.
 *
 * @example
 * ```ts ignore
 * const comm = new Comm((frame) => port.postMessage(frame), {
 *   message: (data) => console.log("got", data),
 * });
 * ```
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
 * as its first argument; the main process sees the other end as `msg.comm`
 * in the task's `comm-*` events.
 *
 * @example
 * ```ts
 * import { type Comm, Scheduler } from "@baton/baton";
 *
 * async function optimise(comm: Comm, rounds: number) {
 *   let best = Infinity;
 *   for (let i = 0; i < rounds; i++) {
 *     const config = await comm.request({ need: "config" }) as { x: number };
 *     best = Math.min(best, (config.x - 3) ** 2);
 *     comm.send({ round: i, best });
 *   }
 *   return best;
 * }
 * const scheduler = Scheduler.withWorkers(1);
 * const task = scheduler.task(optimise, { comm: true });
 * task.on("comm-request", (msg) => msg.respond({ x: Math.random() * 6 }));
 * task.on("comm-message", (msg) => console.log(msg.data));
 * scheduler.onStart(() => task.submit(5));
 * await scheduler.run();
 * ```
 */
export class Comm implements AsyncIterable<unknown> {
  /** The compute side opened its channel: (msg). */
  static readonly OPEN: Event<[msg: Msg]> = new Event("comm-open");
  /** The compute side sent a message: (msg). */
  static readonly MESSAGE: Event<[msg: Msg]> = new Event("comm-message");
  /** The compute side sent a request; answer with `msg.respond(x)`: (msg). */
  static readonly REQUEST: Event<[msg: Msg]> = new Event("comm-request");
  /** The channel closed: (msg). */
  static readonly CLOSE: Event<[msg: Msg]> = new Event("comm-close");

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

/**
 * A comm event in the main process: what was sent, by which call, and ways
 * to answer.
 *
 * @example
 * ```ts
 * import { Comm, type Msg, Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * const task = scheduler.task(async (comm: Comm) => await comm.request("hi"), { comm: true });
 * task.on(Comm.REQUEST, (msg: Msg) => msg.respond(`${msg.data} back`));
 * ```
 */
export class Msg {
  /** What was sent (undefined for `comm-open` and `comm-close`). */
  readonly data: unknown;
  /** The call's future. */
  readonly future: Future;
  /** The call's task. */
  readonly task: AnyTask;
  /** The main process's end of the channel, to `send` back or `close`. */
  readonly comm: Comm;
  readonly #rid?: number;
  #responded = false;

  /** Made by the scheduler for each comm event. */
  constructor(data: unknown, future: Future, task: AnyTask, comm: Comm, rid?: number) {
    this.data = data;
    this.future = future;
    this.task = task;
    this.comm = comm;
    this.#rid = rid;
  }

  /** Whether this is a request still waiting for `respond`. */
  get awaitingResponse(): boolean {
    return this.#rid !== undefined && !this.#responded;
  }

  /** Answers a `comm-request`; throws for other messages or a second answer. */
  respond(data: unknown): void {
    this.#answer(data);
  }

  /** Rejects a `comm-request` with `error` (the compute side's `request` throws it). */
  fail(error: unknown): void {
    this.#answer(undefined, error ?? new Error("request failed"));
  }

  #answer(data: unknown, error?: unknown): void {
    if (this.#rid === undefined) {
      throw new Error("Only comm-request messages can be answered; use msg.comm.send() instead");
    }
    if (this.#responded) throw new Error("This comm-request was answered already");
    this.#responded = true;
    this.comm.answer(this.#rid, data, error);
  }
}
