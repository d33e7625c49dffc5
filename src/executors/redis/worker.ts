/**
 * The worker side of the Redis executor: a BullMQ worker that runs each job
 * on a local process (or Web Worker) pool, so limits and permissions are
 * enforced on the worker machine exactly as locally.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
// deno-lint-ignore no-import-prefix
import type { Job, Worker } from "npm:bullmq@5.81.5";
// deno-lint-ignore no-import-prefix
import type { Redis } from "npm:ioredis@5.11.1";
import { type BullMQ, loadDeps } from "./deps.ts";
import type { Call, Executor, ExecutorHost } from "../executor.ts";
import { ProcessExecutor } from "../processes.ts";
import { WorkerExecutor } from "../workers.ts";
import { SequentialExecutor } from "../sequential.ts";
import { importRemote } from "../rebuild.ts";
import {
  type Limits,
  type Permissions,
  type ResolvedLimits,
  resolveLimits,
  resolvePermissions,
} from "../limits.ts";
import type { Duration } from "../../units.ts";
import type { CommFrame } from "../../comm/frames.ts";
import {
  type ControlMessage,
  decodeValue,
  encodeValue,
  type JobPayload,
  type OriginMessage,
  storeError,
} from "./codec.ts";
import { channels, checkQueueName, type RedisConnection, resolveConnection } from "./connection.ts";
import { standIn } from "./stand_in.ts";
import { Heartbeat } from "./heartbeat.ts";
import { type LockTimings, resolveLockTimings, WORKER_OPTION_KEYS } from "./options.ts";
import { checkOptions } from "../../options.ts";

/** Options of a {@linkcode RedisWorker} (and of `baton worker`). */
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
  readonly job: Job<JobPayload>;
  readonly call: Call;
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
 * import { RedisWorker } from "@baton/baton";
 * const worker = new RedisWorker({ connection: "redis://127.0.0.1:6379", queue: "jobs", concurrency: 2 });
 * await worker.start();
 * // ... later, e.g. on SIGTERM: finish running jobs, then close.
 * await worker.close();
 * ```
 */
export class RedisWorker {
  /** The queue it serves. */
  readonly queue: string;
  /** Its name in BullMQ (`job.processedBy`). */
  readonly name: string;
  readonly #options: RedisWorkerOptions;
  readonly #concurrency: number;
  readonly #executor: Executor;
  /** Whether calls run in this thread, which then needs the functions themselves. */
  #inThread = false;
  readonly #defaults: ResolvedLimits;
  readonly #running = new Map<number, Running>();
  readonly #byJob = new Map<string, Running>();
  readonly #timings: LockTimings;
  #worker?: Worker<JobPayload>;
  #heartbeat?: Heartbeat;
  #bullmq?: BullMQ;
  #pub?: Redis;
  #sub?: Redis;

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
    const kind = options.executor ?? "processes";
    resolvePermissions(options.permissions);
    this.#defaults = resolveLimits(options.limits);
    if (kind === "processes") {
      this.#executor = new ProcessExecutor(concurrency, {
        permissions: options.permissions,
        limits: options.limits,
      });
    } else if (kind === "workers") {
      this.#executor = new WorkerExecutor(concurrency, {
        permissions: options.permissions,
        prefetch: 1,
      });
      this.#executor.validate({ limits: this.#defaults });
    } else if (kind === "sequential") {
      this.#executor = new SequentialExecutor();
      this.#executor.validate({ limits: this.#defaults, permissions: options.permissions });
      this.#inThread = true;
    } else {
      throw new TypeError(
        `executor must be "processes", "workers" or "sequential", got ${JSON.stringify(kind)}`,
      );
    }
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
    await this.#executor.start(this.#host());
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
    if (force) await this.#executor.shutdown(false);
    await worker.close(force);
    await this.#heartbeat?.close();
    this.#heartbeat = undefined;
    await this.#executor.shutdown(!force);
    this.#sub?.disconnect();
    await this.#pub?.quit().catch(() => {});
    this.#pub = this.#sub = undefined;
  }

  #host(): ExecutorHost {
    return {
      started: () => {},
      fulfilled: (call, value) => this.#running.get(call.id)?.outcome.resolve(value),
      rejected: (call, error) => this.#running.get(call.id)?.outcome.reject(error),
      comm: (call, frame) => this.#publish(call, frame),
    };
  }

  async #process(job: Job<JobPayload>): Promise<string> {
    const data = job.data;
    if (data?.v !== 1) {
      throw new this.#bullmq!.UnrecoverableError(
        `Not a baton job (format ${JSON.stringify(data?.v)})`,
      );
    }
    let call: Call;
    try {
      call = {
        id: nextCallId++,
        // A stand-in names the function for a pool; in this thread it must be the function itself.
        fn: this.#inThread && data.fn?.kind === "module"
          ? await importRemote(data.fn.url, data.fn.name)
          : standIn(data.fn),
        args: decodeValue(data.args) as unknown[],
        limits: { ...this.#defaults, ...data.limits },
        permissions: data.permissions,
        comm: data.comm,
      };
      this.#executor.validate({ limits: call.limits, permissions: call.permissions });
    } catch (error) {
      // A job this worker cannot run will not run better next time.
      await this.#leaveError(job, error);
      throw new this.#bullmq!.UnrecoverableError((error as Error)?.message ?? String(error));
    }
    const running: Running = {
      job,
      call,
      outcome: Promise.withResolvers(),
      published: Promise.resolve(),
    };
    this.#running.set(call.id, running);
    this.#byJob.set(job.id!, running);
    try {
      this.#executor.execute(call);
      const value = await running.outcome.promise;
      await running.published;
      return encodeValue(value);
    } catch (error) {
      await running.published;
      // Nobody waits for a cancelled job's outcome.
      if (error instanceof CancelledByScheduler) {
        throw new this.#bullmq!.UnrecoverableError(error.message);
      }
      await this.#leaveError(job, error);
      throw error;
    } finally {
      this.#running.delete(call.id);
      this.#byJob.delete(job.id!);
    }
  }

  /** Leaves the full error where the scheduler reads it when BullMQ reports the failure. */
  async #leaveError(job: Job, error: unknown): Promise<void> {
    try {
      await this.#pub?.set(
        channels.error(this.queue, job.id!),
        encodeValue(storeError(error)),
        "EX",
        24 * 3600,
      );
    } catch { /* the scheduler falls back to BullMQ's failedReason */ }
  }

  #publish(call: Call, frame: CommFrame): void {
    const running = this.#running.get(call.id);
    if (!running || !this.#pub) return;
    const message: OriginMessage = {
      job: running.job.id!,
      attempt: running.job.attemptsStarted,
      frame,
    };
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
      this.#executor.sendComm(running.call, message.frame);
    } else if (message.t === "cancel" && this.#executor.cancel(running.call)) {
      running.outcome.reject(new CancelledByScheduler());
    }
  }
}

/** The host name, or "worker" without the sys permission to read it. */
function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "worker";
  }
}

/** The scheduler cancelled the job: it fails without retries. */
class CancelledByScheduler extends Error {
  constructor() {
    super("The job was cancelled by its scheduler");
    this.name = "CancelledError";
  }
}
