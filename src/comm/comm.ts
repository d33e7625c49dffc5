/**
 * The main process's end of a comm channel, and the events that carry a
 * {@linkcode Msg} for each frame a call's compute side sends.
 *
 * @module
 */

import { Event } from "../events/event.ts";
import type { Future } from "../scheduler/future.ts";
import type { AnyTask } from "../scheduler/task.ts";
import { CommChannel } from "./channel.ts";

/**
 * A comm channel's end in the main process (`msg.comm` in the task's
 * `comm-*` events), and the events themselves. A task made with
 * `{ comm: true }` receives the other end as its first argument: a
 * {@linkcode CommChannel}, which has the same methods, so either type
 * annotates it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
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
 * const xs = [1, 4, 2.5];
 * const progress: unknown[] = [];
 * task.on("comm-request", (msg) => msg.respond({ x: xs.shift() }));
 * task.on("comm-message", (msg) => progress.push(msg.data));
 * const [best] = await scheduler.map(task, [3]);
 * assert.equal(best, 0.25);
 * assert.deepEqual(progress.at(-1), { round: 2, best: 0.25 });
 * ```
 * @category Extending
 */
export class Comm extends CommChannel {
  /** The compute side opened its channel: (msg). */
  static readonly OPEN: Event<[msg: Msg]> = new Event("comm-open");
  /** The compute side sent a message: (msg). */
  static readonly MESSAGE: Event<[msg: Msg]> = new Event("comm-message");
  /** The compute side sent a request; answer with `msg.respond(x)`: (msg). */
  static readonly REQUEST: Event<[msg: Msg]> = new Event("comm-request");
  /** The channel closed: (msg). */
  static readonly CLOSE: Event<[msg: Msg]> = new Event("comm-close");
}

/**
 * A comm event in the main process: what was sent, by which call, and ways
 * to answer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Comm, type Msg, Scheduler } from "@baton/baton";
 * const scheduler = Scheduler.sequential();
 * const task = scheduler.task(async (comm: Comm) => await comm.request("hi"), { comm: true });
 * task.on(Comm.REQUEST, (msg: Msg) => msg.respond(`${msg.data} back`));
 * scheduler.onStart(async () => assert.equal(await task.submit(), "hi back"));
 * await scheduler.run();
 * ```
 * @category Extending
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
