/**
 * The worker side of the Redis executor: a BullMQ worker that runs each job
 * through a {@linkcode Relay} on a local process (or Web Worker, or
 * in-thread) executor, so limits and permissions are enforced on the worker
 * machine exactly as locally.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import type { BullJob, BullWorker, RedisClient } from "./npm_types.ts";
import { type BullMQ, loadDeps } from "./deps.ts";
import type { Limits, Permissions } from "../limits.ts";
import { Relay, type RelayMessage, unsendableResult } from "../relay.ts";
import type { Duration } from "../../units.ts";
import type { WireError } from "../../wire/messages.ts";
import { decodeError, encodeError } from "../../wire/codec.ts";
import { CancelledError } from "../../wire/errors.ts";
import {
  type ControlMessage,
  decodeValue,
  encodeValue,
  type JobPayload,
  type OriginMessage,
} from "./codec.ts";
import { channels, checkQueueName, type RedisConnection, resolveConnection } from "./connection.ts";
import { Heartbeat } from "./heartbeat.ts";
import { type LockTimings, resolveLockTimings, WORKER_OPTION_KEYS } from "./options.ts";
import { checkOptions } from "../../options.ts";

/**
 * Options of a {@linkcode RedisWorker} (and of `baton worker`).
 *
 * @category Distributed
 */
export interface RedisWorkerOptions {
  /** Where Redis is. */
  connection: RedisConnection;
  /** The BullMQ queue to take jobs from. */
  queue: string;
  /** Jobs run at once, each in its own process or worker (default 1). */
  concurrency?: number;
  /**
   * Where jobs run: `"processes"` (hard limits, default), `"workers"` (Web
   * Workers), or `"sequential"` (this process's own thread, one call at a
   * time: no isolation, no CPU/memory limits or permissions — the fastest,
   * like BullMQ's own processors, for trusted quick functions).
   */
  executor?: "processes" | "workers" | "sequential";
  /** Default permissions of the pool; a task's own permissions replace them, as locally. */
  permissions?: Permissions;
  /** Default limits of every job; a task's own limits replace them one by one. */
  limits?: Limits;
  /**
   * How long a job's lock lasts without renewal (default `"2s"`). A worker
   * that dies loses its jobs to others within about this long plus
   * `stalledInterval`. The lock is renewed by a thread of its own (see
   * `heartbeat`), so a worker whose event loop is blocked for longer keeps
   * its jobs.
   */
  lockDuration?: Duration;
  /** How often the heartbeat thread renews the locks (default `"500ms"`; at most half the lock). */
  heartbeat?: Duration;
  /** How often this worker looks for jobs of dead workers (default `"1s"`). */
  stalledInterval?: Duration;
  /** How many times a job may lose its worker before it fails (default 1). */
  maxStalls?: number;
  /** Shown in BullMQ as the job's `processedBy` (default `host:pid`). */
  name?: string;
}

interface Running {
  readonly job: BullJob<JobPayload>;
  /** The call's id in the relay. */
  readonly id: number;
  /** Settles with the value, or rejects with a `WireError` (or a `CancelledError`). */
  readonly outcome: PromiseWithResolvers<unknown>;
  /** Frames published so far; the job completes only after they reach Redis. */
  published: Promise<unknown>;
}

let nextCallId = 1;

/**
 * Takes jobs of a baton Redis queue and runs them on a local pool. Started by
 * `baton worker`, or in-process by `Scheduler.withRedis({ workers: n })`.
 *
 * @example
 * ```ts ignore
 * // needs a Redis server
 * import { RedisWorker } from "@baton/baton";
 * const worker = new RedisWorker({ connection: "redis://127.0.0.1:6379", queue: "jobs", concurrency: 2 });
 * await worker.start();
 * // ... later, e.g. on SIGTERM: finish running jobs, then close.
 * await worker.close();
 * ```
 * @category Distributed
 */
export class RedisWorker {
  /** The queue it serves. */
  readonly queue: string;
  /** Its name in BullMQ (`job.processedBy`). */
  readonly name: string;
  readonly #options: RedisWorkerOptions;
  readonly #concurrency: number;
  readonly #relay: Relay;
  readonly #running = new Map<number, Running>();
  readonly #byJob = new Map<string, Running>();
  readonly #timings: LockTimings;
  #worker?: BullWorker;
  #heartbeat?: Heartbeat;
  #bullmq?: BullMQ;
  #pub?: RedisClient;
  #sub?: RedisClient;

  /** Checks the options; nothing connects until {@linkcode start}. */
  constructor(options: RedisWorkerOptions) {
    checkOptions(options, WORKER_OPTION_KEYS, "new RedisWorker()");
    this.#options = options;
    this.queue = checkQueueName(options.queue);
    resolveConnection(options.connection);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    }
    this.#concurrency = concurrency;
    this.#relay = new Relay({
      executor: options.executor,
      concurrency,
      permissions: options.permissions,
      limits: options.limits,
    }, (message) => this.#onRelay(message));
    this.#timings = resolveLockTimings(options);
    this.name = options.name ?? `${hostname()}:${Deno.pid}`;
  }

  /** Connects and starts taking jobs; resolves once connected. */
  async start(): Promise<void> {
    if (this.#worker) throw new Error(`Worker "${this.name}" is already started`);
    const connection = resolveConnection(this.#options.connection);
    const { lockDuration, heartbeat, stalledInterval, maxStalls } = this.#timings;
    const { bullmq, Redis } = await loadDeps();
    this.#bullmq = bullmq;
    const { MetricsTime, Worker } = bullmq;
    await this.#relay.start();
    this.#pub = new Redis(connection);
    this.#sub = new Redis(connection);
    this.#sub.on("messageBuffer", (_channel: Buffer, message: Buffer) => {
      this.#onControl(decodeValue(message.toString()) as ControlMessage);
    });
    await this.#sub.subscribe(channels.control(this.queue));
    const worker = new Worker<JobPayload>(
      this.queue,
      async (job, token) => {
        // From here until the job is over, the heartbeat thread keeps its lock.
        if (token) this.#heartbeat?.track(job.id!, token);
        try {
          return await this.#process(job);
        } finally {
          this.#heartbeat?.untrack(job.id!);
        }
      },
      {
        connection,
        concurrency: this.#concurrency,
        name: this.name,
        lockDuration,
        // The heartbeat thread renews locks instead of this thread's timers.
        skipLockRenewal: true,
        stalledInterval,
        maxStalledCount: maxStalls,
        metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
        autorun: false,
      },
    );
    this.#worker = worker;
    // Connection errors are retried by ioredis; BullMQ reports them here too.
    worker.on("error", () => {});
    await worker.waitUntilReady();
    this.#heartbeat = await Heartbeat.start({
      connection: this.#options.connection,
      lockPrefix: worker.toKey(""),
      stalledKey: worker.keys.stalled,
      lockDuration,
      interval: heartbeat,
    }, this.#concurrency * 2);
    worker.run().catch(() => {});
  }

  /** Jobs running now. */
  get active(): number {
    return this.#running.size;
  }

  /**
   * Stops taking jobs. By default waits for running jobs to finish; with
   * `force`, ends them at once (BullMQ gives them to another worker once
   * their lock expires).
   */
  async close(force = false): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    if (force) await this.#relay.shutdown(false);
    await worker.close(force);
    await this.#heartbeat?.close();
    this.#heartbeat = undefined;
    await this.#relay.shutdown(!force);
    this.#sub?.disconnect();
    await this.#pub?.quit().catch(() => {});
    this.#pub = this.#sub = undefined;
  }

  #onRelay(message: RelayMessage): void {
    const running = this.#running.get(message.id);
    if (!running) return;
    switch (message.t) {
      case "ok":
        running.outcome.resolve(message.value);
        break;
      case "err":
        running.outcome.reject(message.error);
        break;
      case "comm":
        this.#publish(running, {
          job: running.job.id!,
          attempt: running.job.attemptsStarted,
          frame: message.frame,
        });
        break;
      case "out":
        this.#publish(running, {
          job: running.job.id!,
          attempt: running.job.attemptsStarted,
          out: { text: message.text, stream: message.stream },
        });
        break;
    }
  }

  async #process(job: BullJob<JobPayload>): Promise<string> {
    const data = job.data;
    if (data?.v !== 1) {
      throw new this.#bullmq!.UnrecoverableError(
        `Not a baton job (format ${JSON.stringify(data?.v)})`,
      );
    }
    const running: Running = {
      job,
      id: nextCallId++,
      outcome: Promise.withResolvers(),
      published: Promise.resolve(),
    };
    this.#running.set(running.id, running);
    this.#byJob.set(job.id!, running);
    try {
      try {
        await this.#relay.run({
          id: running.id,
          fn: data.fn,
          args: decodeValue(data.args) as unknown[],
          limits: data.limits,
          permissions: data.permissions,
          comm: data.comm,
          output: data.output,
          task: job.name,
        });
      } catch (error) {
        // A job this worker cannot run will not run better next time.
        const wire = encodeError(error);
        await this.#leaveError(job, wire);
        throw new this.#bullmq!.UnrecoverableError(wire.message);
      }
      let value: unknown;
      try {
        value = await running.outcome.promise;
      } finally {
        await running.published;
      }
      try {
        return encodeValue(value);
      } catch (error) {
        const wire = unsendableResult(data.fn?.name ?? "", error);
        await this.#leaveError(job, wire);
        throw decodeError(wire);
      }
    } catch (error) {
      // Nobody waits for a cancelled job's outcome.
      if (error instanceof CancelledError) {
        throw new this.#bullmq!.UnrecoverableError(error.message);
      }
      if (!isWireError(error)) throw error;
      await this.#leaveError(job, error);
      throw decodeError(error);
    } finally {
      this.#running.delete(running.id);
      this.#byJob.delete(job.id!);
    }
  }

  /** Leaves the full error where the scheduler reads it when BullMQ reports the failure. */
  async #leaveError(job: BullJob<unknown>, error: WireError): Promise<void> {
    try {
      await this.#pub?.set(
        channels.error(this.queue, job.id!),
        encodeValue(error),
        "EX",
        24 * 3600,
      );
    } catch { /* the scheduler falls back to BullMQ's failedReason */ }
  }

  /** Publishes a comm frame or output; the job completes only after they reach Redis. */
  #publish(running: Running, message: OriginMessage): void {
    if (!this.#pub) return;
    const channel = channels.origin(this.queue, running.job.data.origin);
    const pub = this.#pub;
    running.published = running.published.then(() =>
      pub.publish(channel, encodeValue(message)).catch(() => {})
    );
  }

  #onControl(message: ControlMessage): void {
    const running = this.#byJob.get(message?.job);
    if (!running) return;
    if (message.t === "comm") {
      this.#relay.comm(running.id, message.frame);
    } else if (message.t === "cancel" && this.#relay.cancel(running.id, message.reason)) {
      running.outcome.reject(
        message.reason ? decodeError(message.reason) : new CancelledError(running.id),
      );
    }
  }
}

function isWireError(value: unknown): value is WireError {
  return typeof value === "object" && value !== null && !(value instanceof Error) &&
    typeof (value as WireError).message === "string" && Array.isArray((value as WireError).chain);
}

/** The host name, or "worker" without the sys permission to read it. */
function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "worker";
  }
}
