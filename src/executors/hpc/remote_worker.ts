/**
 * One connected worker on the scheduler side. Its connection carries many
 * calls at once: each of its `concurrency` places is a pool
 * {@linkcode Transport} (a "lane"), so the shared {@linkcode Pool} does the
 * dispatching, and answers are routed back to the lane by call id.
 *
 * @module
 */

import type { Call } from "../executor.ts";
import type { Dispatch, Transport, TransportEvents } from "../pool.ts";
import type { ToWorker } from "../../wire/messages.ts";
import type { Permissions, ResolvedLimits } from "../limits.ts";
import type { AcceptedWorker } from "./endpoint.ts";
import { FrameConnection } from "../slurm/connection.ts";
import type { FromRemote, ToRemote } from "../slurm/wire.ts";
import { encodeError } from "../../wire/codec.ts";

/**
 * What the executor provides to a remote worker.
 *
 * @example
 * ```ts
 * import type { RemoteWorkerHost } from "./remote_worker.ts";
 * const host: RemoteWorkerHost = { callOptions: () => ({ limits: {} }), closed: () => {} };
 * ```
 */
export interface RemoteWorkerHost {
  /** The limits and permissions to send with a call (the worker enforces them, not the pool). */
  callOptions(call: Call): { limits: ResolvedLimits; permissions?: Permissions };
  /** The connection closed. */
  closed(worker: RemoteWorker, why: string): void;
}

/**
 * A worker that dialled in and presented the token.
 *
 * @example
 * ```ts ignore
 * // needs a worker connected to an Endpoint (what a Slurm or Grid Engine job runs)
 * const worker = new RemoteWorker(accepted, "slurm-42", host);
 * const transport = worker.lane(events); // one place for the pool
 * ```
 */
export class RemoteWorker {
  /** A label such as `slurm-42`. */
  readonly id: string;
  /** Calls it runs at once. */
  readonly concurrency: number;
  /** Its Slurm job id, if it runs in a job. */
  readonly jobId?: string;
  /** Its host name. */
  readonly host: string;
  /** When it last had nothing to run (`performance.now()`). */
  idleSince: number = performance.now();
  /** Set once the executor decided to let it go; its closing is not a loss. */
  released = false;
  readonly #connection: FrameConnection<FromRemote, ToRemote>;
  readonly #lanes = new Set<Lane>();
  readonly #byCall = new Map<number, Lane>();
  readonly #host: RemoteWorkerHost;

  /** Wraps an accepted connection and welcomes the worker. */
  constructor(accepted: AcceptedWorker, id: string, host: RemoteWorkerHost) {
    this.id = id;
    this.concurrency = accepted.hello.concurrency;
    this.jobId = accepted.hello.jobId;
    this.host = accepted.hello.host;
    this.#host = host;
    this.#connection = new FrameConnection<FromRemote, ToRemote>(
      accepted.conn,
      (message) => this.#onMessage(message),
      (why) => host.closed(this, why),
      accepted.leftover,
    );
    this.#connection.send({ t: "welcome", id });
  }

  /** Settles once the connection is closed and its reader stopped. */
  get closed(): Promise<void> {
    return this.#connection.closed;
  }

  /** Whether the connection is open and it is not being let go. */
  get usable(): boolean {
    return this.#connection.open && !this.released;
  }

  /** Lanes that may still be opened. */
  get freeLanes(): number {
    return this.usable ? this.concurrency - this.#lanes.size : 0;
  }

  /** Calls it is running. */
  get busy(): number {
    return this.#byCall.size;
  }

  /** Opens a lane: one more place for the pool to send a call. */
  lane(events: TransportEvents): Transport {
    const lane = new Lane(this, events);
    this.#lanes.add(lane);
    // After the pool has recorded the slot (it ignores a synchronous report).
    queueMicrotask(() => events.ready());
    return lane;
  }

  /** Ends every lane with `error` (their running calls are rejected with it). */
  failLanes(error: Error): void {
    for (const lane of [...this.#lanes]) lane.exit(error);
  }

  /** Lanes without a call end now, the others keep their call until {@linkcode failLanes}. */
  dropIdleLanes(error: Error): void {
    for (const lane of [...this.#lanes]) if (lane.current === undefined) lane.exit(error);
  }

  /** Says goodbye and closes; the worker finishes and exits. */
  async close(): Promise<void> {
    this.released = true;
    // Idle places must not take another call on the way out.
    this.dropIdleLanes(new Error(`${this.id} was released`));
    this.#connection.send({ t: "bye" });
    await Promise.race([
      this.#connection.flush(),
      new Promise((resolve) => setTimeout(resolve, 2_000)).then(() => {}),
    ]);
    this.#connection.close();
  }

  /** Drops the connection at once. */
  abort(): void {
    this.#connection.close();
  }

  /** @internal */
  send(message: ToRemote): void {
    this.#connection.send(message);
  }

  /** @internal */
  bind(lane: Lane, callId: number): void {
    this.#byCall.set(callId, lane);
  }

  /** @internal */
  unbind(lane: Lane, callId: number | undefined): void {
    if (callId !== undefined && this.#byCall.get(callId) === lane) this.#byCall.delete(callId);
    if (this.#byCall.size === 0) this.idleSince = performance.now();
  }

  /** @internal */
  forget(lane: Lane): void {
    this.#lanes.delete(lane);
    this.unbind(lane, lane.current);
  }

  /** @internal */
  callOptions(call: Call): { limits: ResolvedLimits; permissions?: Permissions } {
    return this.#host.callOptions(call);
  }

  #onMessage(message: FromRemote): void {
    const lane = this.#byCall.get(message.id);
    if (!lane) return; // a late answer for a call that was cancelled or moved
    lane.receive(message);
  }
}

/** One place on a remote worker, as the pool sees it. */
class Lane implements Transport {
  /** The call it holds, if any. */
  current?: number;
  readonly #worker: RemoteWorker;
  readonly #events: TransportEvents;
  #alive = true;

  constructor(worker: RemoteWorker, events: TransportEvents) {
    this.#worker = worker;
    this.#events = events;
  }

  post(message: ToWorker, dispatch?: Dispatch): void {
    if (!this.#alive) throw new Error("the lane is closed");
    if (message.t === "ping") return;
    if (message.t === "call") {
      if (!dispatch) throw new Error("a call message needs its call");
      const full: ToRemote = { ...message, ...this.#worker.callOptions(dispatch.call) };
      this.#worker.send(full); // throws for values that cannot be cloned, before binding
      this.current = message.id;
      this.#worker.bind(this, message.id);
      return;
    }
    this.#worker.send(message);
  }

  /** The pool retired it (its call was cancelled): stop that call on the worker, saying why. */
  kill(_unanswered?: Call, reason?: Error): void {
    if (!this.#alive) return;
    this.#alive = false;
    if (this.current !== undefined) {
      this.#worker.send(
        reason
          ? { t: "cancel", id: this.current, reason: encodeError(reason) }
          : { t: "cancel", id: this.current },
      );
    }
    this.#worker.forget(this);
  }

  receive(message: FromRemote): void {
    const answered = message.t === "ok" || message.t === "err" || message.t === "dropped";
    if (answered && message.id === this.current) {
      this.#worker.unbind(this, this.current);
      this.current = undefined;
    }
    this.#events.message(message);
  }

  exit(error: Error): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#worker.forget(this);
    this.#events.exit(error);
  }
}
