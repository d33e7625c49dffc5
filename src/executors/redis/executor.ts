/**
 * The Redis executor: each call becomes a BullMQ job; futures settle from
 * BullMQ's completion and failure events.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import { explainCloneError } from "../../wire/clone_error.ts";
import type { BullQueue, JobOptions, RedisClient } from "./npm_types.ts";
import { type BullMQ, loadDeps } from "./deps.ts";
import type { Call, Executor, ExecutorHost, ExecutorInfo, WorkerInfo } from "../executor.ts";
import { type Permissions, type ResolvedLimits, resolvePermissions } from "../limits.ts";
import { functionRef, remoteModule } from "../remote.ts";
import { WorkerCrashedError } from "../../wire/errors.ts";
import type { CommFrame } from "../../wire/frames.ts";
import type { WireError } from "../../wire/messages.ts";
import { decodeError, encodeError } from "../../wire/codec.ts";
import {
  type ControlMessage,
  decodeValue,
  encodeValue,
  type JobPayload,
  type OriginMessage,
} from "./codec.ts";
import { channels, checkQueueName, resolveConnection } from "./connection.ts";
import {
  EXECUTOR_OPTION_KEYS,
  jobOptions,
  localWorkers,
  maxEvents,
  type RedisExecutorOptions,
} from "./options.ts";
import { checkOptions, quote } from "../../options.ts";
import { RedisWorker } from "./worker.ts";
import { EventReader, type StreamEvent } from "./events.ts";

interface Entry {
  readonly call: Call;
  readonly jobId: string;
  readonly data: JobPayload;
  /** Settles when BullMQ has the job (or adding it failed). */
  added: Promise<unknown>;
  /** Attempts reported to the scheduler as started: each exactly once. */
  reported: number;
  /** `active` events of the BullMQ job now in Redis: its attempts so far. */
  actives: number;
  /** Attempts before that job (one that Redis lost and was added again counts from 1 anew). */
  base: number;
  /** The worker closed the current attempt's comm channel (its last frame). */
  commClosed: PromiseWithResolvers<void>;
}

/** A comm call's result waits this long at most for the channel's last frames. */
const COMM_GRACE_MS = 2000;
/** Jobs added in one round trip at most. */
const MAX_BATCH = 500;
/** Jobs whose state is asked at once when events were missed. */
const RECONCILE_SLICE = 200;
/** Attempt counts kept for settled calls. */
const MAX_ATTEMPT_RECORDS = 100_000;

/**
 * Runs calls as BullMQ jobs on a Redis queue, taken by `baton worker`
 * processes on any machine (or by local workers with `workers: n`).
 * Execution is at least once (a job whose worker dies runs again elsewhere);
 * each future settles exactly once.
 *
 * @example
 * ```ts ignore
 * // needs a Redis server
 * import { RedisExecutor, Scheduler } from "@baton/baton";
 * const scheduler = new Scheduler({
 *   executor: new RedisExecutor({ connection: "redis://127.0.0.1:6379", queue: "jobs" }),
 * });
 * ```
 * @category Distributed
 */
export class RedisExecutor implements Executor {
  /** Always `"redis"`. */
  readonly kind = "redis";
  /** A random id in this executor's job ids (`<origin>-<future id>`) and comm channel. */
  readonly origin: string = crypto.randomUUID().slice(0, 8);
  /** The queue's name. */
  readonly queue: string;
  readonly #options: RedisExecutorOptions;
  readonly #jobOptions: JobOptions;
  readonly #localWorkers: number;
  readonly #maxEvents: number;
  /** Every job id of this executor starts with it. */
  readonly #prefix: string = `${this.origin}-`;
  readonly #jobs = new Map<string, Entry>();
  readonly #byCall = new Map<number, Entry>();
  readonly #attempts = new Map<number, number>();
  /** How many jobs each recent call had, so that a call executed again gets a new job id. */
  readonly #runs = new Map<number, number>();
  /** Removals and cancellations under way; shutdown waits for them. */
  readonly #pending = new Set<Promise<unknown>>();
  #host?: ExecutorHost;
  #bullmq?: BullMQ;
  #queue?: BullQueue<JobPayload>;
  #events?: EventReader;
  #reconciling?: Promise<void>;
  /** Jobs of this turn of the event loop, added together. */
  #batch?: { entries: Entry[]; added: PromiseWithResolvers<void> };
  #reconcileAgain = false;
  #gaps = 0;
  #pub?: RedisClient;
  #sub?: RedisClient;
  #local?: RedisWorker;
  #drained?: PromiseWithResolvers<void>;

  /** Checks the options; nothing connects until the scheduler runs. */
  constructor(options: RedisExecutorOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`withRedis() needs { connection, queue }, got ${quote(options)}`);
    }
    checkOptions(options, EXECUTOR_OPTION_KEYS, "Scheduler.withRedis()");
    this.#options = options;
    this.queue = checkQueueName(options.queue);
    resolveConnection(options.connection);
    this.#jobOptions = jobOptions(options);
    this.#localWorkers = localWorkers(options);
    this.#maxEvents = maxEvents(options);
  }

  /** Checks permissions; limits are enforced by the workers' pools. */
  validate({ permissions }: { limits: ResolvedLimits; permissions?: Permissions }): void {
    resolvePermissions(permissions);
  }

  /** Connects the queue, its event stream and the comm channel (and local workers). */
  async start(host: ExecutorHost): Promise<void> {
    const connection = resolveConnection(this.#options.connection);
    const { bullmq, Redis } = await loadDeps();
    const { Queue } = bullmq;
    this.#bullmq = bullmq;
    this.#host = host;
    const queue = new Queue<JobPayload>(this.queue, {
      connection,
      streams: { events: { maxLen: this.#maxEvents } },
    });
    queue.on("error", () => {});
    this.#queue = queue;
    await queue.waitUntilReady();
    this.#pub = new Redis(connection);
    this.#pub.on("error", () => {});
    // Read events from the stream's current end, so none between now and the first read is missed.
    const last = await this.#pub.xrevrange(queue.keys.events, "+", "-", "COUNT", 1);
    const reading = new Redis(connection);
    reading.on("error", () => {});
    this.#events = new EventReader(reading, queue.keys.events, last[0]?.[0] ?? "0-0", {
      event: (event) => this.#onEvent(event),
      gap: () => this.#reconcileSoon(),
    });
    const sub = new Redis(connection);
    sub.on("error", () => {});
    sub.on("messageBuffer", (_channel: Buffer, message: Buffer) => this.#onFrame(message));
    this.#sub = sub;
    await sub.subscribe(channels.origin(this.queue, this.origin));
    let lost = false;
    sub.on("close", () => lost = true);
    sub.on("ready", () => {
      if (!lost) return;
      lost = false;
      this.#reconcileSoon();
    });
    if (this.#localWorkers > 0) {
      this.#local = new RedisWorker({
        connection: this.#options.connection,
        queue: this.queue,
        concurrency: this.#localWorkers,
      });
      await this.#local.start();
    }
  }

  /**
   * `<origin>-<call id>`, or `<origin>-<call id>.<n>` when the same call is
   * executed again (a retry by the scheduler): BullMQ ignores a job whose id
   * it still has.
   */
  #jobIdOf(call: Call): string {
    const runs = this.#runs.get(call.id) ?? 0;
    this.#runs.delete(call.id);
    this.#runs.set(call.id, runs + 1);
    if (this.#runs.size > MAX_ATTEMPT_RECORDS) this.#runs.delete(this.#runs.keys().next().value!);
    return runs === 0 ? `${this.#prefix}${call.id}` : `${this.#prefix}${call.id}.${runs}`;
  }

  /** Puts the call on the queue as a job. */
  execute(call: Call): void {
    const host = this.#host;
    if (!host || !this.#queue) throw new Error("The Redis executor is not started");
    let data: JobPayload;
    try {
      data = {
        v: 1,
        fn: functionRef(call.fn),
        args: encodeValue(call.args),
        limits: call.limits,
        origin: this.origin,
      };
      if (call.permissions !== undefined) data.permissions = call.permissions;
      if (call.comm) data.comm = true;
      if (call.output) data.output = call.output;
    } catch (error) {
      host.rejected(
        call,
        explainCloneError(error, call.fn.name, call.args, "through Redis", encodeValue),
      );
      return;
    }
    const entry: Entry = {
      call,
      jobId: this.#jobIdOf(call),
      data,
      added: Promise.resolve(),
      reported: 0,
      actives: 0,
      base: 0,
      commClosed: Promise.withResolvers(),
    };
    this.#jobs.set(entry.jobId, entry);
    this.#byCall.set(call.id, entry);
    this.#add(entry);
  }

  /** Publishes a comm frame to the workers; the one running the call delivers it. */
  sendComm(call: Call, frame: CommFrame): void {
    const entry = this.#byCall.get(call.id);
    if (!entry || !this.#pub) return;
    this.#control({ t: "comm", job: entry.jobId, frame });
  }

  /**
   * Forgets the call at once (it is never reported), then removes its job
   * if it waits, or tells the worker running it to stop.
   */
  cancel(call: Call, reason?: Error): boolean {
    const entry = this.#byCall.get(call.id);
    if (!entry) return false;
    this.#forget(entry);
    this.#track(this.#withdraw(entry, true, reason));
    return true;
  }

  /**
   * Stops. Jobs not started are removed from the queue. With `wait`, resolves
   * once every running job has been reported; without, cancels them. Then
   * closes the connections (and local workers).
   */
  async shutdown(wait: boolean): Promise<void> {
    const entries = [...this.#jobs.values()];
    await Promise.all(
      entries.map(async (entry) => {
        if (wait && entry.reported > 0) return;
        const withdrawn = await this.#withdraw(entry, !wait);
        if (withdrawn || !wait) this.#forget(entry);
      }),
    );
    if (wait && this.#jobs.size > 0) {
      this.#drained = Promise.withResolvers();
      await this.#drained.promise;
      this.#drained = undefined;
    }
    for (const entry of this.#jobs.values()) this.#forget(entry);
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    await this.#local?.close(!wait);
    this.#local = undefined;
    this.#gaps += this.#events?.gaps ?? 0;
    await this.#events?.close();
    await this.#queue?.close();
    this.#sub?.disconnect();
    await this.#pub?.quit().catch(() => {});
    this.#events =
      this.#queue =
      this.#pub =
      this.#sub =
        undefined;
    this.#host = undefined;
  }

  /** A snapshot for rendering. */
  info(): ExecutorInfo {
    let queued = 0;
    for (const entry of this.#jobs.values()) if (entry.reported === 0) queued++;
    const workers: WorkerInfo[] = this.#local
      ? [{ id: "local", busy: this.#local.active > 0, inFlight: this.#local.active }]
      : [];
    return {
      kind: this.kind,
      options: {
        queue: this.queue,
        maxAttempts: this.#jobOptions.attempts,
        ...(this.#localWorkers ? { localWorkers: this.#localWorkers } : {}),
      },
      queued,
      workers,
    };
  }

  /**
   * How many times the event stream was found trimmed past what this
   * executor had read (each time, it asked Redis for the outcomes instead).
   * Non-zero means `maxEvents` is small for the load.
   */
  get eventGaps(): number {
    return this.#gaps + (this.#events?.gaps ?? 0);
  }

  /**
   * How many times the future's job was started: 1 normally, more after a
   * retry or after its worker died. `undefined` for an unknown future.
   */
  attempts(future: { readonly id: number } | number): number | undefined {
    const id = typeof future === "number" ? future : future.id;
    return this.#byCall.get(id)?.reported ?? this.#attempts.get(id);
  }

  /**
   * Adds the entry's job with the others of the same turn of the event
   * loop: one round trip (BullMQ's `addBulk`) for a burst of submissions.
   */
  #add(entry: Entry): void {
    let batch = this.#batch;
    // A full batch goes as it is: a huge transaction would hold Redis up for the workers.
    if (batch && batch.entries.length >= MAX_BATCH) this.#flush();
    batch = this.#batch;
    if (!batch) {
      const added = Promise.withResolvers<void>();
      batch = this.#batch = { entries: [], added };
      queueMicrotask(() => this.#flush());
    }
    batch.entries.push(entry);
    entry.added = batch.added.promise;
  }

  #flush(): void {
    const batch = this.#batch;
    this.#batch = undefined;
    const queue = this.#queue;
    if (!batch) return;
    // Cancelled in the meantime: never added.
    const entries = batch.entries.filter((entry) => this.#jobs.get(entry.jobId) === entry);
    if (!queue || entries.length === 0) return batch.added.resolve();
    const jobs = entries.map((entry) => ({
      name: entry.call.fn.name || "anonymous",
      data: entry.data,
      opts: { ...this.#jobOptions, jobId: entry.jobId },
    }));
    const adding = jobs.length === 1
      ? queue.add(jobs[0].name, jobs[0].data, jobs[0].opts)
      : queue.addBulk(jobs);
    adding.then(
      () => batch.added.resolve(),
      (error) => {
        for (const entry of entries) this.#settle(entry, false, error);
        batch.added.resolve();
      },
    );
  }

  /** Removes a waiting job; if it runs, optionally asks its worker to stop. Resolves `true` if removed. */
  async #withdraw(entry: Entry, cancelRunning: boolean, reason?: Error): Promise<boolean> {
    await entry.added;
    let removed = false;
    try {
      removed = (await this.#queue?.remove(entry.jobId)) === 1;
    } catch { /* not removable: treated as running */ }
    if (!removed && cancelRunning) {
      const message: ControlMessage = { t: "cancel", job: entry.jobId };
      if (reason) message.reason = encodeError(reason);
      await this.#control(message);
    }
    return removed;
  }

  #control(message: ControlMessage): Promise<unknown> {
    const sent = this.#pub?.publish(channels.control(this.queue), encodeValue(message))
      .catch(() => {}) ?? Promise.resolve();
    return this.#track(sent);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    promise.finally(() => this.#pending.delete(promise)).catch(() => {});
    return promise;
  }

  #onEvent(event: StreamEvent): void {
    const jobId = event.jobId;
    // Other schedulers' jobs share the stream of a shared queue.
    if (!jobId?.startsWith(this.#prefix)) return;
    switch (event.event) {
      case "active":
        return this.#onActive(jobId);
      case "completed": {
        let returnvalue: unknown;
        try {
          returnvalue = JSON.parse(event.returnvalue);
        } catch {
          returnvalue = undefined;
        }
        this.#onCompleted(jobId, returnvalue);
        return;
      }
      case "failed":
        this.#onFailed(jobId, event.failedReason ?? "");
        return;
    }
  }

  /** Reconciles once the reconciliation under way (if any) is over. */
  #reconcileSoon(): void {
    if (this.#reconciling) {
      this.#reconcileAgain = true;
      return;
    }
    const run = async () => {
      do {
        this.#reconcileAgain = false;
        await this.#reconcile();
      } while (this.#reconcileAgain && this.#host);
    };
    this.#reconciling = run().finally(() => this.#reconciling = undefined);
    this.#track(this.#reconciling);
  }

  #onActive(jobId: string): void {
    const entry = this.#jobs.get(jobId);
    if (!entry) return;
    entry.actives++;
    this.#reach(entry, entry.base + entry.actives);
  }

  /**
   * The call is in its `attempt`-th start, as an `active` event or a frame
   * of that attempt says (they race: frames come by pub/sub, events by the
   * stream). Reports each attempt's start exactly once, whichever comes
   * first; returns `false` for an attempt that is over (its late frames are
   * dropped). Every attempt is a start, so the future's `attempts` counts
   * retries and recoveries too.
   */
  #reach(entry: Entry, attempt: number): boolean {
    if (attempt < entry.reported) return false;
    if (attempt > entry.reported) {
      entry.reported = attempt;
      entry.commClosed = Promise.withResolvers();
      this.#host?.started(entry.call);
    }
    return true;
  }

  async #onCompleted(jobId: string, returnvalue: unknown): Promise<void> {
    const entry = this.#jobs.get(jobId);
    if (!entry) return;
    let value: unknown;
    try {
      value = decodeValue(returnvalue as string);
    } catch (error) {
      this.#settle(
        entry,
        false,
        new TypeError(`Job ${jobId} returned an unreadable value: ${error}`),
      );
      return;
    }
    // Comm frames travel by pub/sub and the result by the event stream: let the frames land first.
    if (entry.call.comm) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        entry.commClosed.promise,
        new Promise((resolve) => timer = setTimeout(resolve, COMM_GRACE_MS)),
      ]);
      clearTimeout(timer);
    }
    this.#settle(entry, true, value);
  }

  async #onFailed(jobId: string, failedReason: string): Promise<void> {
    const entry = this.#jobs.get(jobId);
    if (!entry) return;
    const key = channels.error(this.queue, jobId);
    let stored: WireError | undefined;
    try {
      const text = await this.#pub?.get(key);
      if (text) stored = decodeValue(text) as WireError;
      this.#track<unknown>(this.#pub?.del(key) ?? Promise.resolve());
    } catch { /* fall back to BullMQ's reason */ }
    const error = stored
      ? decodeError(stored, remoteModule(entry.call.fn))
      : /stalled/i.test(failedReason)
      ? new WorkerCrashedError(`The job's worker died too many times: ${failedReason}`)
      : new Error(failedReason);
    this.#settle(entry, false, error);
  }

  #onFrame(message: Buffer): void {
    let decoded: OriginMessage;
    try {
      decoded = decodeValue(message.toString()) as OriginMessage;
    } catch {
      return;
    }
    const entry = this.#jobs.get(decoded.job);
    if (!entry) return;
    // Messages of workers that do not say their attempt belong to the current one.
    const attempt = typeof decoded.attempt === "number"
      ? entry.base + decoded.attempt
      : Math.max(entry.reported, entry.base + 1);
    if (!this.#reach(entry, attempt)) return;
    if (decoded.out) {
      this.#host?.output?.(entry.call, decoded.out.text, decoded.out.stream);
      return;
    }
    if (!decoded.frame) return;
    this.#host?.comm(entry.call, decoded.frame);
    if (decoded.frame.k === "close") entry.commClosed.resolve();
  }

  #settle(entry: Entry, ok: boolean, outcome: unknown): void {
    if (this.#jobs.get(entry.jobId) !== entry) return;
    const host = this.#host;
    // Its events were missed (a lost connection): it did start.
    if (entry.reported === 0) this.#reach(entry, entry.base + 1);
    this.#forget(entry);
    if (ok) host?.fulfilled(entry.call, outcome);
    else host?.rejected(entry.call, outcome);
  }

  #forget(entry: Entry): void {
    if (this.#jobs.get(entry.jobId) !== entry) return;
    this.#jobs.delete(entry.jobId);
    this.#byCall.delete(entry.call.id);
    this.#attempts.set(entry.call.id, entry.reported);
    if (this.#attempts.size > MAX_ATTEMPT_RECORDS) {
      this.#attempts.delete(this.#attempts.keys().next().value!);
    }
    if (this.#drained && this.#jobs.size === 0) this.#drained.resolve();
  }

  /**
   * After a lost connection: settle jobs whose events were missed, and put
   * back jobs that a restarted Redis no longer has.
   */
  async #reconcile(): Promise<void> {
    const queue = this.#queue;
    if (!queue) return;
    const entries = [...this.#jobs.values()];
    // In slices, so that ten thousand jobs take a few round trips' time, not ten thousand.
    for (let i = 0; i < entries.length && this.#queue; i += RECONCILE_SLICE) {
      await Promise.all(entries.slice(i, i + RECONCILE_SLICE).map((entry) => this.#recheck(entry)));
    }
  }

  async #recheck(entry: Entry): Promise<void> {
    const queue = this.#queue;
    await entry.added;
    if (!queue || this.#jobs.get(entry.jobId) !== entry) return;
    let state: string;
    try {
      state = await queue.getJobState(entry.jobId);
    } catch {
      return;
    }
    if (state === "unknown") {
      // Redis lost the job: the new one counts its attempts from 1, after those reported.
      entry.base = entry.reported;
      entry.actives = 0;
      this.#add(entry);
    } else if (state === "completed" || state === "failed") {
      const job = await this.#bullmq!.Job.fromId(queue, entry.jobId).catch(() => undefined);
      if (!job) return;
      if (state === "completed") await this.#onCompleted(entry.jobId, job.returnvalue);
      else await this.#onFailed(entry.jobId, job.failedReason);
    }
  }
}
