/**
 * A pool of workers (threads or processes) behind one dispatch loop:
 * queue → free worker → answer → next. Transports differ; this does not.
 *
 * @module
 */

import { startTimer, stopTimer, type Timer } from "../timers.ts";
import type { Call, ExecutorHost, ExecutorInfo, WorkerInfo } from "./executor.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import type { CommFrame } from "../comm/frames.ts";
import { Queue } from "./queue.ts";
import { functionKey, functionRef } from "./remote.ts";
import { decodeError } from "./wire_error.ts";
import { explainCloneError } from "./clone_error.ts";
import { WallTimeLimitError, WorkerCrashedError } from "./errors.ts";

/** One worker's channel, made by a transport. */
export interface Transport {
  /** Sends a message (`call` is the call a `"call"` message carries); throws when a value cannot be cloned. */
  post(message: ToWorker, call?: Call): void;
  /** Ends the worker. */
  kill(): void;
  /** Operating-system process id, for processes. */
  readonly pid?: number;
}

/** What a transport reports back. */
export interface TransportEvents {
  /** A message arrived. */
  message(message: FromWorker): void;
  /**
   * The worker died or failed to start. `error` rejects the call it was
   * running: a `WorkerCrashedError`, or the `LimitError` the call hit.
   */
  exit(error: Error): void;
  /** The worker is up and can take calls (optional for a transport to report). */
  ready(): void;
}

/** Pool settings given by the executor that owns it. */
export interface PoolOptions {
  /** How many workers at most. */
  readonly size: number;
  /** How many calls each worker may hold (1 running + the rest waiting there). */
  readonly prefetch: number;
  /** "worker" or "process", for labels and messages. */
  readonly label: string;
  /** Workers that differ in permissions or flags get different keys. */
  keyOf(call: Call): string;
  /** Starts a worker for `key`. */
  spawn(key: string, events: TransportEvents): Transport;
  /**
   * What a wall-time deadline does: `"kill"` ends the worker (hard), or
   * `"signal"` aborts the call's signal and leaves the worker busy until the
   * call returns (cooperative).
   */
  readonly onWallTime: "kill" | "signal";
}

interface Entry {
  readonly call: Call;
  started: boolean;
  startedAt: number;
  timer?: Timer;
  /** Already reported (deadline or cancel); its late answer is ignored. */
  abandoned: boolean;
  /** Asked back from its worker to run elsewhere. */
  stealing: boolean;
}

interface Slot {
  readonly id: string;
  readonly key: string;
  readonly transport: Transport;
  /** Calls handed to this worker, in the order it runs them; the first is running. */
  readonly entries: Entry[];
  /** Function keys whose source this worker has. */
  readonly known: Set<number>;
  answered: boolean;
  alive: boolean;
}

/** Workers that die this many times in a row before answering anything break the pool. */
const MAX_STARTUP_FAILURES = 3;

/** The dispatch loop shared by the worker and process executors. */
export class Pool {
  readonly #options: PoolOptions;
  readonly #queue = new Queue<Call>();
  readonly #slots: Slot[] = [];
  #host?: ExecutorHost;
  #nextSlot = 1;
  #startupFailures = 0;
  #broken?: WorkerCrashedError;
  #drained?: PromiseWithResolvers<void>;

  /** Creates an idle pool; workers start on demand. */
  constructor(options: PoolOptions) {
    this.#options = options;
  }

  /** Starts accepting calls. */
  start(host: ExecutorHost): void {
    this.#host = host;
    this.#broken = undefined;
    this.#startupFailures = 0;
  }

  /** Queues a call and dispatches. */
  execute(call: Call): void {
    if (this.#broken) {
      this.#host?.rejected(call, this.#broken);
      return;
    }
    this.#queue.push(call);
    this.#dispatch();
  }

  /** Cancels a queued call, a waiting one, or a running one (by ending its worker). */
  cancel(call: Call): boolean {
    if (this.#queue.remove(call)) return true;
    for (const slot of this.#slots) {
      const index = slot.entries.findIndex((e) => e.call === call && !e.abandoned);
      if (index < 0) continue;
      const entry = slot.entries[index];
      if (index === 0 && entry.started) {
        this.#retire(slot, "its call was cancelled");
      } else {
        slot.entries.splice(index, 1);
        stopTimer(entry.timer);
        this.#post(slot, { t: "cancel", id: call.id });
      }
      return true;
    }
    return false;
  }

  /**
   * Stops taking calls and drops the queue. With `wait`, resolves once every
   * call handed to a worker has answered; then ends every worker.
   */
  async shutdown(wait: boolean): Promise<void> {
    this.#queue.drain();
    if (wait && this.#busy()) {
      this.#drained = Promise.withResolvers();
      await this.#drained.promise;
      this.#drained = undefined;
    }
    for (const slot of [...this.#slots]) this.#retire(slot);
    this.#host = undefined;
  }

  /** A snapshot for rendering. */
  info(kind: string, options: Record<string, unknown>): ExecutorInfo {
    const workers: WorkerInfo[] = this.#slots.map((slot) => ({
      id: slot.id,
      busy: slot.entries.length > 0,
      inFlight: slot.entries.length,
      pid: slot.transport.pid,
    }));
    return { kind, options, queued: this.#queue.size, workers };
  }

  #busy(): boolean {
    return this.#slots.some((slot) => slot.entries.some((e) => !e.abandoned));
  }

  #dispatch(): void {
    while (this.#queue.size > 0 && this.#host) {
      const slot = this.#slotFor(this.#queue.peek()!);
      if (!slot) break;
      this.#assign(slot, this.#queue.shift()!);
    }
    if (this.#queue.size === 0) this.#stealForIdle();
  }

  /** An idle worker of the right kind, a new one, or one with room to hold another call. */
  #slotFor(call: Call): Slot | undefined {
    const key = this.#options.keyOf(call);
    let roomiest: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot.key !== key) continue;
      if (slot.entries.length === 0) return slot;
      if (!roomiest || slot.entries.length < roomiest.entries.length) roomiest = slot;
    }
    if (this.#slots.length < this.#options.size) return this.#spawn(key);
    const idleOther = this.#slots.find((slot) => slot.entries.length === 0);
    if (idleOther) {
      this.#retire(idleOther);
      return this.#spawn(key);
    }
    if (roomiest && roomiest.entries.length < this.#options.prefetch) return roomiest;
    return undefined;
  }

  #spawn(key: string): Slot {
    const id = `${this.#options.label}-${this.#nextSlot++}`;
    const holder: { slot?: Slot } = {};
    const transport = this.#options.spawn(key, {
      message: (message) => holder.slot && this.#onMessage(holder.slot, message),
      exit: (error) => holder.slot && this.#onExit(holder.slot, error),
      ready: () => {
        if (holder.slot) holder.slot.answered = true;
        this.#startupFailures = 0;
      },
    });
    const slot: Slot = {
      id,
      key,
      transport,
      entries: [],
      known: new Set(),
      answered: false,
      alive: true,
    };
    holder.slot = slot;
    this.#slots.push(slot);
    return slot;
  }

  #assign(slot: Slot, call: Call): void {
    const key = functionKey(call.fn);
    const fn = slot.known.has(key) ? key : functionRef(call.fn);
    try {
      slot.transport.post(
        call.comm
          ? { t: "call", id: call.id, fn, args: call.args, comm: true }
          : { t: "call", id: call.id, fn, args: call.args },
        call,
      );
    } catch (error) {
      this.#host?.rejected(call, explainCloneError(error, call, "to a worker"));
      return;
    }
    slot.known.add(key);
    const entry: Entry = { call, started: false, startedAt: 0, abandoned: false, stealing: false };
    slot.entries.push(entry);
    if (slot.entries.length === 1) this.#begin(slot, entry);
  }

  /** The worker runs calls in order, so the first waiting call starts when the one before answers. */
  #begin(slot: Slot, entry: Entry): void {
    entry.started = true;
    entry.startedAt = performance.now();
    const wallTime = entry.call.limits.wallTime;
    if (wallTime !== undefined) {
      entry.timer = startTimer(() => this.#deadline(slot, entry, wallTime), wallTime);
    }
    this.#host?.started(entry.call, slot.id, entry.startedAt);
  }

  #deadline(slot: Slot, entry: Entry, wallTime: number): void {
    if (entry.abandoned || !slot.alive) return;
    const error = new WallTimeLimitError(
      wallTime,
      performance.now() - entry.startedAt,
      this.#options.onWallTime === "kill"
        ? `; the ${this.#options.label} running it was killed`
        : "; its signal was aborted (the worker stays busy until the call returns)",
    );
    entry.abandoned = true;
    if (this.#options.onWallTime === "kill") {
      this.#retire(slot, "its call reached the wall-time limit");
    } else {
      this.#post(slot, { t: "cancel", id: entry.call.id });
    }
    this.#host?.rejected(entry.call, error);
    this.#dispatch();
  }

  /** Delivers a comm frame to the worker running `call`. */
  sendComm(call: Call, frame: CommFrame): void {
    const slot = this.#slots.find((s) => s.entries.some((e) => e.call === call && !e.abandoned));
    if (slot) this.#post(slot, { t: "comm", id: call.id, frame });
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    slot.answered = true;
    this.#startupFailures = 0;
    const index = slot.entries.findIndex((e) => e.call.id === message.id);
    if (index < 0) return;
    if (message.t === "comm") {
      if (!slot.entries[index].abandoned) this.#host?.comm(slot.entries[index].call, message.frame);
      return;
    }
    const [entry] = slot.entries.splice(index, 1);
    stopTimer(entry.timer);
    const next = slot.entries[0];
    if (next && !next.started) this.#begin(slot, next);
    if (message.t === "dropped") {
      if (entry.stealing) this.#queue.unshift(entry.call);
    } else if (!entry.abandoned) {
      if (message.t === "ok") this.#host?.fulfilled(entry.call, message.value);
      else this.#host?.rejected(entry.call, decodeError(message.error));
    }
    this.#afterAnswer();
  }

  #afterAnswer(): void {
    if (this.#drained && !this.#busy()) this.#drained.resolve();
    else this.#dispatch();
  }

  #onExit(slot: Slot, error: Error): void {
    if (!slot.alive) return;
    this.#remove(slot);
    const [head, ...waiting] = slot.entries;
    for (const entry of [...waiting].reverse()) {
      stopTimer(entry.timer);
      if (!entry.abandoned) this.#queue.unshift(entry.call);
    }
    if (head) stopTimer(head.timer);
    if (!slot.answered && ++this.#startupFailures >= MAX_STARTUP_FAILURES) {
      this.#break(error, head && !head.abandoned ? [head.call] : []);
      return;
    }
    if (head && !head.abandoned) this.#host?.rejected(head.call, error);
    this.#afterAnswer();
  }

  /** Workers keep dying before answering: fail everything instead of looping. */
  #break(cause: Error, orphans: Call[]): void {
    const details: { code?: number; signal?: string; stderr?: string } =
      cause instanceof WorkerCrashedError ? cause : {};
    this.#broken = new WorkerCrashedError(
      `${plural(this.#options.label)} keep dying at start-up (${MAX_STARTUP_FAILURES} in a row); ` +
        `last: ${cause.message}`,
      { code: details.code, signal: details.signal, stderr: details.stderr },
    );
    const calls = [
      ...orphans,
      ...this.#slots.flatMap((s) => s.entries.filter((e) => !e.abandoned).map((e) => e.call)),
      ...this.#queue.drain(),
    ];
    for (const slot of [...this.#slots]) this.#retire(slot);
    for (const call of calls) this.#host?.rejected(call, this.#broken);
    if (this.#drained) this.#drained.resolve();
  }

  /** Ends a worker; calls waiting in it go back to the front of the queue. */
  #retire(slot: Slot, why?: string): void {
    if (!slot.alive) return;
    this.#remove(slot);
    slot.transport.kill();
    const [head, ...waiting] = slot.entries;
    if (head) stopTimer(head.timer);
    for (const entry of [...waiting].reverse()) {
      stopTimer(entry.timer);
      if (!entry.abandoned && this.#host && why) this.#queue.unshift(entry.call);
    }
    if (why) queueMicrotask(() => this.#afterAnswer());
  }

  #remove(slot: Slot): void {
    slot.alive = false;
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
  }

  /** When the queue is empty, an idle worker asks a busy one for a call it has not started. */
  #stealForIdle(): void {
    for (const idle of this.#slots) {
      if (idle.entries.length > 0) continue;
      const victim = this.#slots.find((s) =>
        s.key === idle.key && s.entries.length > 1 &&
        s.entries.some((e) => !e.started && !e.stealing && !e.abandoned)
      );
      if (!victim) return;
      const entry = victim.entries.findLast((e) => !e.started && !e.stealing && !e.abandoned)!;
      entry.stealing = true;
      this.#post(victim, { t: "steal", id: entry.call.id });
    }
  }

  #post(slot: Slot, message: ToWorker): void {
    try {
      slot.transport.post(message);
    } catch { /* the worker is gone; its exit is reported separately */ }
  }
}

function plural(label: string): string {
  return label.endsWith("s") ? `${label}es` : `${label}s`;
}
