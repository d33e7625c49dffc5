/**
 * The event hub: records every scheduler, task and flow event through
 * hidden handlers into a bounded ring, and streams them to server-sent-event
 * clients without ever waiting for them.
 *
 * @module
 */

import type { Emitter } from "../events/emitter.ts";
import type { Scheduler } from "../scheduler/scheduler.ts";
import { Future } from "../scheduler/future.ts";
import type { AnyTask } from "../scheduler/task.ts";
import { Msg } from "../comm/comm.ts";
import { Flow } from "../flow/flow.ts";
import { Job, TaskJob } from "../flow/job.ts";
import { brief, BRIEF_MAX } from "./brief.ts";
import type { CallLog } from "./calls.ts";
import type { Recorder } from "./recorder.ts";
import type { Targets } from "./target.ts";

/**
 * One event as `GET /api/events` sends it (the `data:` of an SSE message
 * whose `id:` is `id`).
 *
 * @example
 * ```ts
 * import type { MonitorEvent } from "@baton/baton";
 * const e: MonitorEvent = {
 *   id: 1, time: Date.now(), source: "task", emitter: "collatz", event: "result",
 *   scheduler: 0, task: "collatz", taskIndex: 0, future: 7, detail: "5",
 * };
 * ```
 * @category Monitor
 */
export interface MonitorEvent {
  /** Increasing id, unique within one monitor. */
  id: number;
  /** When it was emitted (milliseconds since the epoch). */
  time: number;
  /** What emitted it. */
  source: "scheduler" | "task" | "flow";
  /** The emitter's name (scheduler name, task name or flow label). */
  emitter: string;
  /** The event's name, e.g. `future-result`. */
  event: string;
  /** Index of the scheduler (scheduler and task events). */
  scheduler?: number;
  /** The task's name (task events, and scheduler events about a task's future). */
  task?: string;
  /** Index of the task in `scheduler.tasks` (task events). */
  taskIndex?: number;
  /** Index of the flow (flow events). */
  flow?: number;
  /** The future's id, for events about a future. */
  future?: number;
  /** The job's id, for events about a job. */
  job?: number;
  /** The job's label. */
  jobLabel?: string;
  /** The other arguments, briefly: a result, an error, a stop reason. */
  detail?: string;
}

/** Options of the hub. */
export interface HubOptions {
  /** Events kept for `Last-Event-ID` resume. */
  bufferSize: number;
  /** Bytes an SSE client may have queued before it is dropped. */
  clientBuffer: number;
  /** Milliseconds between pushes to SSE clients. */
  flushInterval: number;
  /** Events per second sent to each client at most; beyond, a `gap` event counts the rest. */
  maxEventRate: number;
}

interface Client {
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  /** Events up to this id were sent (or are not wanted). */
  after: number;
}

interface SchedulerWatch {
  readonly index: number;
  readonly tasks: Set<AnyTask>;
  readonly calls: CallLog;
  /** What its events share. */
  readonly origin: Origin;
  /** Also told of each scheduler event (the queue history), after the recorder. */
  also?: (event: string, args: readonly unknown[]) => void;
}

/**
 * Where an event came from: made once per watched emitter and shared by all
 * its events, so that recording one allocates nothing of its own.
 */
interface Origin {
  readonly source: MonitorEvent["source"];
  readonly emitter: string;
  readonly scheduler?: number;
  readonly task?: string;
  readonly taskIndex?: number;
  readonly flow?: number;
}

const encoder = new TextEncoder();

/**
 * Output events keep only the start of their text in the ring: a chunk can
 * be megabytes, and the log tail has it whole.
 */
function outputArgs(args: readonly unknown[]): readonly unknown[] {
  const text = args[1];
  if (typeof text !== "string" || text.length <= BRIEF_MAX) return args;
  return [args[0], `${text.slice(0, BRIEF_MAX)}…`, ...args.slice(2)];
}
const HEARTBEAT_MS = 15_000;
const DROPPED = encoder.encode(`event: dropped\ndata: {"reason":"client too slow"}\n\n`);

/** Settled once: a reaction on it is the cheapest way to run something at the end of the turn. */
const RESOLVED = Promise.resolve();

/**
 * Reads the clock once per turn of the event loop: the events of one turn
 * (a call's six or so) share a timestamp, and reading the clock per event
 * was a tenth of a busy scheduler's time.
 */
class TurnClock {
  /** Read once: the getter checks its receiver on every call. */
  static readonly origin = performance.timeOrigin;
  /** `NaN` until read in this turn (a number field either way, which V8 keeps unboxed). */
  #now = NaN;
  readonly #forget = () => {
    this.#now = NaN;
  };

  /** Milliseconds since the epoch (the monotonic clock), read at most once per turn. */
  epoch(): number {
    let now = this.#now;
    if (now !== now) {
      now = this.#now = TurnClock.origin + performance.now();
      // A promise reaction, not queueMicrotask: no wrapper, same end-of-turn timing.
      RESOLVED.then(this.#forget);
    }
    return now;
  }
}

/** Records events and fans them out to SSE clients. */
export class EventHub {
  readonly #targets: Targets;
  readonly #options: HubOptions;
  readonly #recorder: Recorder;
  /** The ring of recorded events, one column per field, by `id % size`: no object per event. */
  readonly #size: number;
  readonly #origins: Origin[];
  readonly #names: string[];
  /** The emitter's arguments, kept as they were: they become text only when a client asks. */
  readonly #args: (readonly unknown[])[];
  /** Milliseconds since the epoch (rounded when sent). */
  readonly #times: Float64Array;
  readonly #clock = new TurnClock();
  readonly #frames: (string | undefined)[];
  #lastId = 0;
  #flushedId = 0;
  readonly #clients = new Set<Client>();
  /** One tap per watched emitter: cheaper than a hidden handler per event. */
  readonly #untaps: Array<() => void> = [];
  readonly #tapped = new Set<Emitter>();
  readonly #schedulers = new Map<Scheduler, SchedulerWatch>();
  #flushTimer?: ReturnType<typeof setInterval>;
  #heartbeat?: ReturnType<typeof setInterval>;
  #closed = false;
  /** Events a client may get per second; a burst up to this goes out whole. */
  readonly #perWindow: number;
  /** Events sent in the current one-second window, against `#perWindow`. */
  #windowSent = 0;
  #windowStart = 0;

  constructor(targets: Targets, recorder: Recorder, options: HubOptions) {
    this.#targets = targets;
    this.#recorder = recorder;
    this.#options = options;
    const size = options.bufferSize;
    this.#size = size;
    this.#origins = new Array(size);
    this.#names = new Array(size);
    this.#args = new Array(size);
    this.#times = new Float64Array(size);
    this.#frames = new Array(size);
    this.#perWindow = Math.max(1, Math.ceil(options.maxEventRate));
  }

  /** The id of the last event recorded (0 before any). */
  get lastId(): number {
    return this.#lastId;
  }

  /** How many SSE clients are connected. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /**
   * Subscribes to a scheduler's events and its tasks'; `also` hears each
   * scheduler event too (one observer per emitter serves everything).
   */
  watchScheduler(
    scheduler: Scheduler,
    index: number,
    also?: (calls: CallLog) => (event: string, args: readonly unknown[]) => void,
  ): void {
    if (this.#schedulers.has(scheduler)) return;
    const calls = this.#recorder.addScheduler(scheduler, index);
    const origin: Origin = { source: "scheduler", emitter: scheduler.name, scheduler: index };
    this.#schedulers.set(scheduler, {
      index,
      tasks: new Set(),
      calls,
      origin,
      also: also?.(calls),
    });
    this.watchTasks(scheduler);
  }

  /** Subscribes to events declared since, and tasks created since, the last look. */
  watchTasks(scheduler: Scheduler): void {
    const watch = this.#schedulers.get(scheduler);
    if (!watch || this.#closed) return;
    this.#observe(scheduler, (name, args) => {
      this.#onScheduler(scheduler, watch, name, args);
    });
    scheduler.tasks.forEach((task, taskIndex) => {
      watch.tasks.add(task);
      const origin: Origin = {
        source: "task",
        emitter: task.name,
        scheduler: watch.index,
        task: task.name,
        taskIndex,
      };
      this.#observe(task, (name, args) => {
        const now = this.#clock.epoch();
        this.#recorder.onTask(task, name, args, now);
        this.#record(origin, name, name === "output" ? outputArgs(args) : args, now);
      });
    });
  }

  /** Subscribes to a flow's events. */
  watchFlow(flow: Flow, index: number): void {
    if (this.#closed) return;
    const origin: Origin = { source: "flow", emitter: flow.name, flow: index };
    this.#observe(flow, (name, args) => {
      const job = args[0];
      // job-output goes up to every outer flow (watched too): taken once, on the job's own flow.
      if (name === "job-output" && job instanceof Job && job.flow !== flow) return;
      // Nested flows and task jobs can be added until the run starts.
      if (name === "job-started" && (job instanceof Flow || job instanceof TaskJob)) {
        this.#targets.rescanFlow(flow);
      }
      const now = this.#clock.epoch();
      this.#recorder.onFlow(flow, name, args, now);
      this.#record(origin, name, name === "job-output" ? outputArgs(args) : args, now);
    });
  }

  /** The scheduler's call log. */
  calls(scheduler: Scheduler): CallLog | undefined {
    return this.#schedulers.get(scheduler)?.calls;
  }

  /** The last `n` buffered events, oldest first. */
  recent(n: number): MonitorEvent[] {
    const out: MonitorEvent[] = [];
    for (let id = Math.max(this.#oldestId(), this.#lastId - n + 1); id <= this.#lastId; id++) {
      out.push(this.#expand(id));
    }
    return out;
  }

  /**
   * A new SSE stream: events after `after` (those still buffered, with a
   * `gap` event first if some are gone), then live ones. Without `after`,
   * live events only.
   */
  stream(after?: number): ReadableStream<Uint8Array> {
    if (this.#closed) {
      return new ReadableStream({ start: (c) => c.close() });
    }
    let client: Client;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        let from = after ?? this.#lastId;
        let head = "retry: 2000\n\n";
        if (from > this.#lastId) {
          // An id from another monitor (or a restarted one): start afresh.
          head += `event: reset\ndata: {"lastEventId":${this.#lastId}}\n\n`;
          from = this.#lastId;
        }
        const oldest = this.#oldestId();
        if (from < oldest - 1) {
          head += `event: gap\ndata: {"missed":${oldest - 1 - from}}\n\n`;
          from = oldest - 1;
        }
        // Up to what was flushed: the next flush brings the rest, and `after` skips repeats.
        const upTo = Math.max(from, this.#flushedId);
        head += this.#framesBetween(from, upTo);
        client = { controller, after: upTo };
        controller.enqueue(encoder.encode(head));
        this.#clients.add(client);
        this.#arm();
      },
      cancel: () => this.#drop(client),
    }, new ByteLengthQueuingStrategy({ highWaterMark: this.#options.clientBuffer }));
  }

  /** Ends every SSE stream and unsubscribes from every emitter. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const client of [...this.#clients]) {
      try {
        client.controller.close();
      } catch { /* already closed by the client */ }
      this.#drop(client);
    }
    for (const untap of this.#untaps) untap();
    this.#untaps.length = 0;
    this.#tapped.clear();
  }

  #observe(emitter: Emitter, observer: (event: string, args: readonly unknown[]) => void): void {
    if (this.#tapped.has(emitter)) return;
    this.#tapped.add(emitter);
    this.#untaps.push(emitter.tap(observer));
  }

  #onScheduler(
    scheduler: Scheduler,
    watch: SchedulerWatch,
    name: string,
    args: readonly unknown[],
  ): void {
    const now = this.#clock.epoch();
    this.#recorder.onScheduler(scheduler, watch.calls, name, args, now);
    watch.also?.(name, args);
    // A task made after the monitor attached: subscribe before its own `submitted`.
    if (name === "future-submitted") {
      const task = (args[0] as Future).task;
      if (task && !watch.tasks.has(task)) this.watchTasks(scheduler);
    }
    this.#record(watch.origin, name, args, now);
  }

  /** The hot path: a few column writes per event; text is made only when a client wants it. */
  #record(origin: Origin, event: string, args: readonly unknown[], now: number): void {
    const id = ++this.#lastId;
    const slot = id % this.#size;
    this.#origins[slot] = origin;
    this.#names[slot] = event;
    this.#args[slot] = args;
    this.#times[slot] = now;
    this.#frames[slot] = undefined;
    if (this.#clients.size === 0) {
      this.#flushedId = id;
    } else if (
      id - this.#flushedId >= this.#size >> 1 && this.#windowSent < this.#perWindow
    ) {
      // Flush before the ring wraps, or live clients would miss events (within the rate cap).
      this.#flush();
    }
  }

  /** The event `id` (still in the ring) as clients see it: arguments become ids, labels and short text. */
  #expand(id: number): MonitorEvent {
    const slot = id % this.#size;
    const o = this.#origins[slot];
    const args = this.#args[slot];
    // The keys in the order clients have always seen them.
    const r: MonitorEvent = {
      id,
      time: Math.round(this.#times[slot]),
      source: o.source,
      emitter: o.emitter,
      event: this.#names[slot],
      scheduler: o.scheduler,
      task: o.task,
      taskIndex: o.taskIndex,
      flow: o.flow,
    };
    let detail: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a instanceof Future) {
        r.future = a.id;
        if (a.task) r.task = a.task.name;
        continue;
      }
      if (a instanceof Job) {
        r.job = this.#targets.jobId(a);
        r.jobLabel = a.label;
        continue;
      }
      let text: string;
      if (a instanceof Msg) {
        r.future = a.future.id;
        r.task = a.task.name;
        if (a.data === undefined) continue;
        text = brief(a.data);
      } else text = brief(a);
      detail = detail === undefined ? text : `${detail}, ${text}`;
    }
    if (detail !== undefined) {
      r.detail = detail.length > 2 * BRIEF_MAX ? `${detail.slice(0, 2 * BRIEF_MAX - 1)}…` : detail;
    }
    return r;
  }

  #oldestId(): number {
    return Math.max(1, this.#lastId - this.#size + 1);
  }

  #frame(id: number): string {
    return this.#frames[id % this.#size] ??= `id: ${id}\ndata: ${
      JSON.stringify(this.#expand(id))
    }\n\n`;
  }

  #framesBetween(after: number, upTo: number): string {
    let text = "";
    for (let id = Math.max(after + 1, this.#oldestId()); id <= upTo; id++) text += this.#frame(id);
    return text;
  }

  #arm(): void {
    if (this.#flushTimer === undefined && this.#clients.size > 0) {
      const timer = setInterval(() => {
        const now = performance.now();
        if (now - this.#windowStart >= 1000) {
          this.#windowStart = now;
          this.#windowSent = 0;
        }
        this.#flush();
      }, this.#options.flushInterval);
      Deno.unrefTimer(timer);
      this.#flushTimer = timer;
    }
    if (this.#heartbeat === undefined && this.#clients.size > 0) {
      // A comment now and then keeps proxies from closing an idle stream.
      const timer = setInterval(() => this.#send(encoder.encode(": ping\n\n")), HEARTBEAT_MS);
      Deno.unrefTimer(timer);
      this.#heartbeat = timer;
    }
  }

  #flush(): void {
    const from = this.#flushedId;
    const to = this.#lastId;
    if (to === from) return;
    this.#flushedId = to;
    let text = "";
    // Past the rate cap (or the ring), clients get the newest events and a count of the rest.
    const start = Math.max(from, this.#oldestId() - 1, to - (this.#perWindow - this.#windowSent));
    this.#windowSent += to - start;
    if (start > from) text = `event: gap\ndata: {"missed":${start - from}}\n\n`;
    const common = encoder.encode(text + this.#framesBetween(start, to));
    for (const client of [...this.#clients]) {
      if (client.after >= to) continue;
      const chunk = client.after <= from
        ? common
        : encoder.encode(this.#framesBetween(Math.max(client.after, start), to));
      client.after = to;
      this.#enqueue(client, chunk);
    }
  }

  #send(chunk: Uint8Array): void {
    for (const client of [...this.#clients]) this.#enqueue(client, chunk);
  }

  /** Never waits: a client whose queue is full is dropped (it reconnects and resumes). */
  #enqueue(client: Client, chunk: Uint8Array): void {
    const room = client.controller.desiredSize;
    if (room === null || room <= 0) {
      // Closing (rather than erroring) lets it read what is queued, learn why,
      // and reconnect with Last-Event-ID; the queue is bounded by clientBuffer.
      try {
        client.controller.enqueue(DROPPED);
        client.controller.close();
      } catch { /* already closed */ }
      this.#drop(client);
      return;
    }
    client.controller.enqueue(chunk);
  }

  #drop(client: Client | undefined): void {
    if (!client || !this.#clients.delete(client) || this.#clients.size > 0) return;
    clearInterval(this.#flushTimer);
    clearInterval(this.#heartbeat);
    this.#flushTimer = this.#heartbeat = undefined;
    this.#flush();
  }
}
