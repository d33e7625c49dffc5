/**
 * A pool of workers (threads, processes, or places on remote workers)
 * behind one dispatch loop: queue → free worker → answer → next. Transports
 * differ; this does not.
 *
 * The pool keeps one record per call, found by the call's id: executors
 * hand it the scheduler's own calls and name them by id afterwards.
 *
 * @module
 */

import { startTimer, stopTimer, type Timer } from "../timers.ts";
import type { Call, ExecutorHost, ExecutorInfo, WorkerInfo } from "./executor.ts";
import type { ResolvedLimits } from "./limits.ts";
import type { CallTuple, FromWorker, ToWorker } from "../wire/messages.ts";
import type { CommFrame } from "../wire/frames.ts";
import { Queue } from "./queue.ts";
import { functionKey, functionRef, remoteModule } from "./remote.ts";
import { decodeError, encodeError } from "../wire/codec.ts";
import { explainCloneError } from "../wire/clone_error.ts";
import { WallTimeLimitError, WorkerCrashedError } from "../wire/errors.ts";

/** A call as the pool hands it to a transport, with the limits the pool enforces for it. */
export interface Dispatch {
  /** The call. */
  readonly call: Call;
  /** Its limits, the executor's defaults filled in. */
  readonly limits: ResolvedLimits;
}

/** One worker's channel, made by a transport. */
export interface Transport {
  /** Sends a message (`dispatch` comes with a `"call"` message); throws when a value cannot be cloned. */
  post(message: ToWorker, dispatch?: Dispatch): void;
  /**
   * Sends a plain call (no comm, no output mode) in its compact form, a
   * `CallTuple`; throws when a value cannot be cloned. Without it, the pool
   * sends `{ t: "call", ... }` through `post`.
   */
  postCall?(call: CallTuple): void;
  /**
   * Ends the worker. `unanswered` is the call it was running and that never
   * answered (cancelled, or past its wall time): a transport that cannot
   * stop a busy worker may report it. The pool waits for the promise, if one
   * is returned, before its shutdown resolves. `reason` is why that call
   * was stopped, for a transport whose worker can still tell the call.
   */
  kill(unanswered?: Call, reason?: Error): void | Promise<void>;
  /** Operating-system process id, for processes. */
  readonly pid?: number;
}

/** What a transport reports back. */
export interface TransportEvents {
  /** A message arrived. */
  message(message: FromWorker): void;
  /** A successful answer arrived in its compact form: the same as `{ t: "ok", id, value }`. */
  result(id: number, value: unknown): void;
  /**
   * The worker died or failed to start. `error` rejects the call it was
   * running: a `WorkerCrashedError`, or the `LimitError` the call hit.
   */
  exit(error: Error): void;
  /** The worker is up and can take calls: until then its death is a start-up failure. */
  ready(): void;
}

/** Pool settings given by the executor that owns it. */
export interface PoolOptions {
  /** How many workers at most. */
  readonly size: number;
  /** How many calls each worker may hold (1 running + the rest waiting there). */
  readonly prefetch: number;
  /**
   * With it, the depth adapts to the number in flight: each worker may hold
   * up to its share of every call queued or held (`ceil(calls / size)`),
   * never fewer than `prefetch` and never more than this. Many tiny calls
   * then wait inside the workers, not on this side, so no worker sleeps
   * between them. Without it, `prefetch` is fixed.
   */
  readonly maxPrefetch?: number;
  /** "worker" or "process", for labels and messages. */
  readonly label: string;
  /** Workers that differ in permissions or flags get different keys. */
  keyOf(call: Call, limits: ResolvedLimits): string;
  /** Starts a worker for `key` (may throw: that key's calls then fail). */
  spawn(key: string, events: TransportEvents): Transport;
  /** The limits the pool enforces for a call (default: the call's own). */
  limitsOf?(call: Call): ResolvedLimits;
  /**
   * Calls for which this is true go only to a worker holding nothing, and
   * that worker takes no other call until they answer (e.g. a CPU limit set
   * on the whole process just for them). Default: none.
   */
  exclusive?(limits: ResolvedLimits): boolean;
  /**
   * What a wall-time deadline does: `"kill"` ends the worker (hard), or
   * `"signal"` aborts the call's signal and leaves the worker busy until the
   * call returns (cooperative).
   */
  readonly onWallTime: "kill" | "signal";
}

const QUEUED = 0;
const SENT = 1;
const RUNNING = 2;
const DONE = 3;

/** The pool's one record of a call. */
interface Entry {
  readonly call: Call;
  readonly limits: ResolvedLimits;
  readonly key: string;
  /** Runs alone on its worker (see `PoolOptions.exclusive`). */
  readonly exclusive: boolean;
  state: typeof QUEUED | typeof SENT | typeof RUNNING | typeof DONE;
  slot?: Slot;
  startedAt: number;
  timer?: Timer;
  /** Already reported (deadline); its late answer is ignored. */
  abandoned: boolean;
  /** Asked back from its worker to run elsewhere. */
  stealing: boolean;
}

interface Slot {
  readonly id: string;
  readonly key: string;
  readonly transport: Transport;
  /** Calls handed to this worker, in the order it runs them; the first runs. */
  readonly entries: Entry[];
  /** Function keys whose source this worker has. */
  readonly known: Set<number>;
  /** The function of the last call sent here, and its key: most calls repeat it. */
  lastFn?: Call["fn"];
  lastKey: number;
  ready: boolean;
  alive: boolean;
}

/** Workers of one key that die this many times in a row before they are ready break that key. */
const MAX_STARTUP_FAILURES = 3;

/** The dispatch loop shared by the worker, process and Slurm executors. */
export class Pool {
  readonly #options: PoolOptions;
  readonly #limitsOf: (call: Call) => ResolvedLimits;
  /** Every call queued or held by a worker, by id (not those already reported). */
  readonly #entries = new Map<number, Entry>();
  readonly #queue = new Queue<Entry>();
  #queued = 0;
  readonly #slots: Slot[] = [];
  readonly #startupFailures = new Map<string, number>();
  readonly #broken = new Map<string, WorkerCrashedError>();
  readonly #kills = new Set<Promise<void>>();
  #host?: ExecutorHost;
  #nextSlot = 1;
  #drained?: PromiseWithResolvers<void>;

  /** Creates an idle pool; workers start on demand. */
  constructor(options: PoolOptions) {
    this.#options = options;
    this.#limitsOf = options.limitsOf ?? ((call) => call.limits);
  }

  /** Starts accepting calls. */
  start(host: ExecutorHost): void {
    this.#host = host;
    this.#broken.clear();
    this.#startupFailures.clear();
  }

  /** Queues a call and dispatches. */
  execute(call: Call): void {
    const limits = this.#limitsOf(call);
    const key = this.#options.keyOf(call, limits);
    const broken = this.#broken.get(key);
    if (broken) {
      this.#host?.rejected(call, broken);
      return;
    }
    const entry: Entry = {
      call,
      limits,
      key,
      exclusive: this.#options.exclusive?.(limits) ?? false,
      state: QUEUED,
      startedAt: 0,
      abandoned: false,
      stealing: false,
    };
    this.#entries.set(call.id, entry);
    this.#queue.push(entry);
    this.#queued++;
    this.#dispatch();
  }

  /** Cancels a queued call, a waiting one, or a running one (by ending its worker). */
  cancel(id: number, reason?: Error): boolean {
    const entry = this.#entries.get(id);
    if (!entry) return false;
    this.#entries.delete(id);
    if (entry.state === QUEUED) {
      entry.state = DONE;
      this.#queued--;
      return true;
    }
    const slot = entry.slot!;
    // The head of a worker still starting runs the moment it is ready: a "cancel" message
    // would arrive after it started and only abort its signal. End it like a running call.
    if (entry.state === RUNNING || (!slot.ready && slot.entries[0] === entry)) {
      entry.abandoned = true;
      this.#retire(slot, "its call was cancelled", entry, reason);
    } else {
      entry.state = DONE;
      slot.entries.splice(slot.entries.indexOf(entry), 1);
      this.#post(slot, { t: "cancel", id, reason: reason && encodeError(reason) });
    }
    return true;
  }

  /** Delivers a comm frame to the worker running call `id`. */
  sendComm(id: number, frame: CommFrame): void {
    const slot = this.#entries.get(id)?.slot;
    if (slot) this.#post(slot, { t: "comm", id, frame });
  }

  /**
   * Stops taking calls and drops the queue. With `wait`, resolves once every
   * call handed to a worker has answered; then ends every worker.
   */
  async shutdown(wait: boolean): Promise<void> {
    this.#dropQueue();
    this.#dropWaiting();
    if (wait && this.#entries.size > 0) {
      this.#drained = Promise.withResolvers();
      await this.#drained.promise;
      this.#drained = undefined;
    }
    for (const slot of [...this.#slots]) this.#retire(slot);
    this.#entries.clear();
    this.#host = undefined;
    while (this.#kills.size > 0) await Promise.all([...this.#kills]);
  }

  /** A snapshot for rendering. */
  info(kind: string, options: Record<string, unknown>): ExecutorInfo {
    const workers: WorkerInfo[] = this.#slots.map((slot) => ({
      id: slot.id,
      busy: slot.entries.length > 0,
      inFlight: slot.entries.length,
      pid: slot.transport.pid,
    }));
    return { kind, options, queued: this.#queued, workers };
  }

  #dispatch(): void {
    while (this.#queued > 0 && this.#host) {
      const next = this.#queue.peek()!;
      if (next.state !== QUEUED) {
        this.#queue.shift();
        continue;
      }
      const slot = this.#slotFor(next.key, next.exclusive);
      if (!slot) {
        if (this.#broken.has(next.key)) continue; // its calls were just failed
        break;
      }
      this.#queue.shift();
      this.#queued--;
      this.#assign(slot, next);
    }
    if (this.#queued === 0) this.#stealForIdle();
  }

  /**
   * An idle worker of the right kind, a new one, or one with room to hold
   * another call (never for an exclusive call, nor next to one).
   */
  #slotFor(key: string, exclusive: boolean): Slot | undefined {
    let roomiest: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot.key !== key) continue;
      if (slot.entries.length === 0) return slot;
      if (exclusive || slot.entries[0].exclusive) continue;
      if (!roomiest || slot.entries.length < roomiest.entries.length) roomiest = slot;
    }
    if (this.#slots.length < this.#options.size) return this.#spawn(key);
    const idleOther = this.#slots.find((slot) => slot.entries.length === 0);
    if (idleOther) {
      this.#retire(idleOther);
      return this.#spawn(key);
    }
    if (roomiest && roomiest.entries.length < this.#depth()) return roomiest;
    return undefined;
  }

  /** How many calls a worker may hold now: fixed, or its share of all calls in flight. */
  #depth(): number {
    const { prefetch, maxPrefetch, size } = this.#options;
    if (maxPrefetch === undefined || maxPrefetch <= prefetch) return prefetch;
    // Every call not yet reported is in #entries: queued, or held by a worker.
    const share = Math.ceil(this.#entries.size / size);
    return share <= prefetch ? prefetch : share >= maxPrefetch ? maxPrefetch : share;
  }

  #spawn(key: string): Slot | undefined {
    const id = `${this.#options.label}-${this.#nextSlot++}`;
    const holder: { slot?: Slot } = {};
    let transport: Transport;
    try {
      transport = this.#options.spawn(key, {
        message: (message) => holder.slot && this.#onMessage(holder.slot, message),
        result: (id, value) => holder.slot && this.#onResult(holder.slot, id, value),
        exit: (error) => holder.slot && this.#onExit(holder.slot, error),
        ready: () => holder.slot && this.#ready(holder.slot),
      });
    } catch (error) {
      // The same options would fail the same way: fail this key's calls now.
      this.#break(
        key,
        new WorkerCrashedError(
          `could not start a ${this.#options.label}: ${(error as Error)?.message ?? error}`,
          { cause: error },
        ),
      );
      return undefined;
    }
    const slot: Slot = {
      id,
      key,
      transport,
      entries: [],
      known: new Set(),
      lastFn: undefined,
      lastKey: 0,
      ready: false,
      alive: true,
    };
    holder.slot = slot;
    this.#slots.push(slot);
    return slot;
  }

  #assign(slot: Slot, entry: Entry): void {
    const { call } = entry;
    // The same function as the last call sent here is known by its key already.
    const repeat = call.fn === slot.lastFn;
    const key = repeat ? slot.lastKey : functionKey(call.fn);
    const fn = repeat || slot.known.has(key) ? key : functionRef(call.fn);
    try {
      const { transport } = slot;
      if (transport.postCall && !call.comm && !call.output) {
        transport.postCall([call.id, fn, call.args]);
      } else {
        const message: ToWorker = { t: "call", id: call.id, fn, args: call.args };
        if (call.comm) message.comm = true;
        if (call.output) message.output = call.output;
        transport.post(message, entry);
      }
    } catch (error) {
      this.#entries.delete(call.id);
      entry.state = DONE;
      this.#host?.rejected(call, explainCloneError(error, call.fn.name, call.args, "to a worker"));
      return;
    }
    if (!repeat) {
      slot.known.add(key);
      slot.lastFn = call.fn;
      slot.lastKey = key;
    }
    entry.state = SENT;
    entry.slot = slot;
    slot.entries.push(entry);
    if (slot.entries.length === 1 && slot.ready) this.#begin(slot, entry);
  }

  /** A worker is up: its start-up no longer counts against the wall time of its first call. */
  #ready(slot: Slot): void {
    if (slot.ready) return;
    slot.ready = true;
    this.#startupFailures.delete(slot.key);
    const head = slot.entries[0];
    if (head?.state === SENT) this.#begin(slot, head);
  }

  /**
   * The worker runs calls in order, so the first waiting call starts when
   * the one before answers (or, for a new worker, once it is ready).
   */
  #begin(slot: Slot, entry: Entry): void {
    entry.state = RUNNING;
    const wallTime = entry.limits.wallTime;
    if (wallTime !== undefined) {
      // The clock is read only for calls with a deadline: it is not free.
      entry.startedAt = performance.now();
      entry.timer = startTimer(() => this.#deadline(slot, entry, wallTime), wallTime);
    }
    // Without a deadline the clock was not read: the host reads its own.
    this.#host?.started(entry.call, slot.id, wallTime === undefined ? undefined : entry.startedAt);
  }

  #deadline(slot: Slot, entry: Entry, wallTime: number): void {
    if (entry.abandoned || entry.state !== RUNNING || !slot.alive) return;
    const kill = this.#options.onWallTime === "kill";
    const error = new WallTimeLimitError(
      wallTime,
      performance.now() - entry.startedAt,
      kill
        ? `; the ${this.#options.label} running it was killed`
        : "; its signal was aborted (the worker stays busy until the call returns)",
    );
    entry.abandoned = true;
    this.#entries.delete(entry.call.id);
    if (kill) this.#retire(slot, "its call reached the wall-time limit", entry);
    else this.#post(slot, { t: "cancel", id: entry.call.id, reason: encodeError(error) });
    this.#host?.rejected(entry.call, error);
    this.#afterAnswer();
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    if (!slot.alive) return;
    this.#ready(slot);
    switch (message.t) {
      case "ready":
      case "pong":
        return;
      case "exit":
        // The worker ends itself; what it held is lost.
        this.#onExit(
          slot,
          new WorkerCrashedError(
            `${slot.id} ended itself with ${message.how}${
              this.#whileRunning(slot)
            }; it was replaced`,
            { code: message.code },
          ),
        );
        slot.transport.kill();
        return;
      case "comm": {
        const entry = find(slot, message.id);
        if (entry && !entry.abandoned) this.#host?.comm(entry.call, message.frame);
        return;
      }
      case "out": {
        const entry = find(slot, message.id);
        if (entry && !entry.abandoned) {
          this.#host?.output?.(entry.call, message.text, message.stream);
        }
        return;
      }
    }
    this.#onAnswer(slot, message.id, message);
  }

  /** `[id, value]`: the compact form of `{ t: "ok", id, value }`. */
  #onResult(slot: Slot, id: number, value: unknown): void {
    if (!slot.alive) return;
    this.#ready(slot);
    this.#onAnswer(slot, id, undefined, value);
  }

  /** Call `id` answered: `message` is `dropped` or `err`; without one, it returned `value`. */
  #onAnswer(
    slot: Slot,
    id: number,
    message?: Extract<FromWorker, { t: "ok" | "err" | "dropped" }>,
    value?: unknown,
  ): void {
    const entry = find(slot, id);
    if (!entry) return;
    if (slot.entries[0] === entry) slot.entries.shift();
    else slot.entries.splice(slot.entries.indexOf(entry), 1);
    stopTimer(entry.timer);
    if (entry.abandoned) {
      this.#beginNext(slot);
      this.#afterAnswer();
      return;
    }
    if (message?.t === "dropped") {
      if (entry.stealing && this.#host) this.#requeue(entry);
      else this.#entries.delete(entry.call.id);
    } else {
      entry.state = DONE;
      this.#entries.delete(entry.call.id);
      if (message === undefined) this.#host?.fulfilled(entry.call, value);
      else if (message.t === "ok") this.#host?.fulfilled(entry.call, message.value);
      else {
        this.#host?.rejected(entry.call, decodeError(message.error, remoteModule(entry.call.fn)));
      }
    }
    // After the answer is settled, so a worker's calls never overlap in time as the host sees them.
    this.#beginNext(slot);
    this.#afterAnswer();
  }

  /** The worker has gone on to its next waiting call, if it holds one. */
  #beginNext(slot: Slot): void {
    const next = slot.entries[0];
    if (slot.alive && next?.state === SENT) this.#begin(slot, next);
  }

  #whileRunning(slot: Slot): string {
    const head = slot.entries[0];
    if (!head || head.state !== RUNNING) return "";
    return ` while running ${head.call.task ?? (head.call.fn.name || "a call")}`;
  }

  #afterAnswer(): void {
    if (this.#drained && this.#entries.size === 0) this.#drained.resolve();
    else this.#dispatch();
  }

  #onExit(slot: Slot, error: Error): void {
    if (!slot.alive) return;
    this.#remove(slot);
    const [head, ...waiting] = slot.entries;
    for (const entry of waiting.reverse()) this.#requeue(entry);
    if (head) stopTimer(head.timer);
    if (!slot.ready) {
      const failures = (this.#startupFailures.get(slot.key) ?? 0) + 1;
      this.#startupFailures.set(slot.key, failures);
      if (failures >= MAX_STARTUP_FAILURES) {
        if (head && !head.abandoned) this.#requeue(head);
        this.#break(
          slot.key,
          new WorkerCrashedError(
            `${plural(this.#options.label)} keep dying at start-up (${MAX_STARTUP_FAILURES} in a ` +
              `row) with these options: calls that need them fail, the others go on; last: ` +
              error.message,
            { ...crashDetails(error), cause: error },
          ),
        );
        this.#afterAnswer();
        return;
      }
    }
    if (head && !head.abandoned) {
      head.state = DONE;
      this.#entries.delete(head.call.id);
      this.#host?.rejected(head.call, error);
    }
    this.#afterAnswer();
  }

  /** Workers of `key` cannot start: fail that key's calls, now and later; other keys go on. */
  #break(key: string, error: WorkerCrashedError): void {
    this.#broken.set(key, error);
    const failed: Entry[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.key === key && entry.state !== DONE) failed.push(entry);
    }
    for (const slot of this.#slots.filter((s) => s.key === key)) this.#retire(slot);
    for (const entry of failed) {
      if (entry.state === QUEUED) this.#queued--;
      entry.state = DONE;
      this.#entries.delete(entry.call.id);
      this.#host?.rejected(entry.call, error);
    }
  }

  /** Puts a call handed to a worker back at the front of the queue. */
  #requeue(entry: Entry): void {
    stopTimer(entry.timer);
    entry.timer = undefined;
    if (entry.abandoned || entry.state === DONE) return;
    entry.state = QUEUED;
    entry.slot = undefined;
    entry.stealing = false;
    this.#queue.unshift(entry);
    this.#queued++;
  }

  #dropQueue(): void {
    for (const entry of this.#queue.drain()) {
      if (entry.state !== QUEUED) continue;
      entry.state = DONE;
      this.#entries.delete(entry.call.id);
    }
    this.#queued = 0;
  }

  /** Calls prefetched by a worker behind the one it runs have not started: dropped like queued ones. */
  #dropWaiting(): void {
    for (const slot of this.#slots) {
      for (const entry of slot.entries.slice(1)) {
        if (entry.state !== SENT) continue;
        entry.state = DONE;
        this.#entries.delete(entry.call.id);
        slot.entries.splice(slot.entries.indexOf(entry), 1);
        this.#post(slot, { t: "cancel", id: entry.call.id });
      }
    }
  }

  /**
   * Ends a worker. With `why` (the pool goes on), calls waiting in it go
   * back to the front of the queue; `unanswered` is the call it ran that
   * will never answer.
   */
  #retire(slot: Slot, why?: string, unanswered?: Entry, reason?: Error): void {
    if (!slot.alive) return;
    this.#remove(slot);
    const [head, ...waiting] = slot.entries;
    if (head) stopTimer(head.timer);
    for (const entry of waiting.reverse()) {
      if (why && this.#host) this.#requeue(entry);
      else stopTimer(entry.timer);
    }
    const running = unanswered ?? (head?.state === RUNNING ? head : undefined);
    const killed = slot.transport.kill(running?.call, reason);
    if (killed) {
      const tracked = killed.catch(() => {}).finally(() => this.#kills.delete(tracked));
      this.#kills.add(tracked);
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
        s.entries.some((e) => e.state === SENT && !e.stealing)
      );
      if (!victim) return;
      const entry = victim.entries.findLast((e) => e.state === SENT && !e.stealing)!;
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

/** The call `id` among those a worker holds; it is nearly always the first. */
function find(slot: Slot, id: number): Entry | undefined {
  const head = slot.entries[0];
  return head?.call.id === id ? head : slot.entries.find((e) => e.call.id === id);
}

function crashDetails(error: Error): { code?: number; signal?: string; stderr?: string } {
  return error instanceof WorkerCrashedError
    ? { code: error.code, signal: error.signal, stderr: error.stderr }
    : {};
}

function plural(label: string): string {
  return label.endsWith("s") ? `${label}es` : `${label}s`;
}
