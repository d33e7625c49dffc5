/**
 * The executor of every batch engine (Slurm, Grid Engine): the scheduler
 * listens on a TCP endpoint, submits worker jobs through the engine, and
 * each job dials back and runs calls on its own process executor. Dispatch,
 * comm and cancellation go through the shared {@linkcode Pool}; this file
 * manages jobs: submission, adaptive scaling, loss and replacement, and
 * cleanup. What differs between engines is behind {@linkcode Engine}.
 *
 * @module
 */

import type { Call, Executor, ExecutorHost, ExecutorInfo, WorkerInfo } from "../executor.ts";
import {
  checkProcessMemory,
  type Permissions,
  type ResolvedLimits,
  resolveLimits,
  resolvePermissions,
} from "../limits.ts";
import { Pool } from "../pool.ts";
import { Queue } from "../queue.ts";
import { WorkerCrashedError } from "../../wire/errors.ts";
import type { CommFrame } from "../../wire/frames.ts";
import { type AcceptedWorker, Endpoint } from "./endpoint.ts";
import { RemoteWorker } from "./remote_worker.ts";
import type { Engine, QueuedJob } from "./engine.ts";
import type { ResolvedHpcOptions } from "./options.ts";
import { JobLostError } from "./errors.ts";

/**
 * One worker of a batch executor as shown in renderings and the monitor.
 * Its `id` reads like `slurm-42 (RUNNING on node7)` or `sge-7 (PENDING)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type HpcWorkerInfo, SlurmExecutor } from "@baton/baton";
 * const executor = new SlurmExecutor({ workers: 2, time: "1h" });
 * const states = (executor.info().workers as HpcWorkerInfo[]).map((w) => [w.jobId, w.state]);
 * assert.deepEqual(states, []); // none submitted until a run starts
 * ```
 * @category Distributed
 */
export interface HpcWorkerInfo extends WorkerInfo {
  /** The job id (undefined while the submit command runs, or for a worker started by hand). */
  readonly jobId?: string;
  /** `SUBMITTING`, then the engine's state (`PENDING`, `RUNNING`…); `CONNECTED` once it dialled in. */
  readonly state: string;
  /** The node it runs on, once known. */
  readonly node?: string;
}

interface Job {
  jobId?: string;
  state: string;
  reason?: string;
  node?: string;
  worker?: RemoteWorker;
  connected: boolean;
  ended: boolean;
  /** Let go on purpose (idle, or shutdown): its end is not a failure. */
  released: boolean;
  /** Polls that started after this one cannot have missed the job. */
  submittedAtPoll: number;
  idleSince: number;
}

interface Tracked {
  /** The call, with the executor's default limits and permissions filled in. */
  readonly call: Call;
  inPool: boolean;
  requeues: number;
}

/** Jobs ending before they connect this many times in a row stop the executor. */
const MAX_START_FAILURES = 3;
/** How long a lost job's final state is waited for before the last state seen is reported. */
const FINAL_STATE_WAIT_MS = 20_000;
/** How long shutdown waits for the engine to stop listing the jobs before it gives up, saying so. */
const GONE_WAIT_MS = 120_000;
/** While waiting for jobs to go, cancelling is repeated this often. */
const RECANCEL_MS = 5_000;
const CLI = new URL("../../../cli.ts", import.meta.url);

/**
 * Runs calls in batch jobs. Each job runs a worker
 * (`baton worker --connect`) that dials back to this process's TCP
 * endpoint, presents a token, and runs calls on a process executor of
 * `concurrency` processes inside the job's allocation, which enforces
 * per-call limits as it does locally.
 *
 * Jobs that the engine ends (cancelled, time limit, node failure) re-queue
 * their running calls (`requeueLost` times, default once) and are replaced
 * while the run wants them. `shutdown()` cancels every job it submitted and
 * resolves once the engine lists none of them as live.
 *
 * Use it through {@linkcode SlurmExecutor} or {@linkcode SgeExecutor}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scheduler, SlurmExecutor } from "@baton/baton";
 * // Jobs are submitted only once the scheduler runs.
 * const scheduler = new Scheduler({ executor: new SlurmExecutor({ workers: 4, time: "1h" }) });
 * assert.equal(scheduler.executor.kind, "slurm");
 * ```
 * @category Distributed
 */
export class HpcExecutor implements Executor {
  /** `"slurm"` or `"sge"`. */
  readonly kind: string;
  readonly #engine: Engine;
  readonly #options: ResolvedHpcOptions;
  readonly #defaults: ResolvedLimits;
  readonly #pool: Pool;
  readonly #queue = new Queue<Tracked>();
  readonly #tracked = new Map<number, Tracked>();
  readonly #jobs = new Set<Job>();
  /** Every job id submitted since `start()`, lost or not: shutdown waits for all of them. */
  readonly #submitted = new Set<string>();
  readonly #workers = new Set<RemoteWorker>();
  /** Lost jobs whose final state is being asked for, by job id. */
  readonly #endings = new Map<string, Promise<QueuedJob | undefined>>();
  readonly #background = new Set<Promise<unknown>>();
  #host?: ExecutorHost;
  #endpoint?: Endpoint;
  #token = "";
  #connect = "";
  #timer?: ReturnType<typeof setInterval>;
  #closing = false;
  #broken?: Error;
  #startFailures = 0;
  #lastFailure = "";
  #polls = 0;
  #polling = false;
  #nextWorker = 1;
  #inPool = 0;

  /** Checks the limits; nothing starts until the scheduler runs. */
  constructor(engine: Engine, options: ResolvedHpcOptions) {
    this.kind = engine.kind;
    this.#engine = engine;
    this.#options = options;
    this.#defaults = resolveLimits(options.limits);
    const capacity = () => this.#capacity();
    this.#pool = new Pool({
      // Places on connected workers; calls are only handed over when one is free.
      get size() {
        return capacity();
      },
      prefetch: 1,
      label: `${engine.kind} worker`,
      // The worker's own executor enforces every limit, so the pool enforces none.
      onWallTime: "kill",
      limitsOf: () => ({}),
      keyOf: () => "remote",
      spawn: (_key, events) => this.#freestWorker().lane(events),
    });
    this.validate({ limits: this.#defaults });
  }

  /** The job name of this executor's jobs (how they are found in the engine's listing). */
  get jobName(): string {
    return this.#options.jobName;
  }

  /** `HOST:PORT` workers dial while running, else `undefined`. */
  get address(): string | undefined {
    return this.#endpoint ? this.#connect : undefined;
  }

  /** Connections refused at the endpoint (bad token, malformed or slow hello). */
  get rejectedConnections(): number {
    return this.#endpoint?.rejected ?? 0;
  }

  /** Job ids submitted and not known to have ended. */
  get jobIds(): string[] {
    return [...this.#jobs].filter((j) => !j.ended && j.jobId).map((j) => j.jobId!);
  }

  /** Every limit is passed to the jobs' process executors, which enforce them; checks permissions. */
  validate({ limits, permissions }: { limits: ResolvedLimits; permissions?: Permissions }): void {
    resolvePermissions(permissions);
    checkProcessMemory(limits);
  }

  /** The job script a worker job is submitted with (the token shown as `…`). */
  jobScript(): string {
    return this.#engine.script({
      jobName: this.#options.jobName,
      connect: this.#connect || "HOST:PORT",
      token: "…",
      workerCommand: this.#workerCommand(),
    });
  }

  /** Opens the endpoint and submits the first jobs (`workers`, or `min`). */
  async start(host: ExecutorHost): Promise<void> {
    this.#host = host;
    this.#closing = false;
    this.#broken = undefined;
    this.#startFailures = 0;
    this.#token = randomToken();
    this.#endpoint = Endpoint.open(
      {
        hostname: this.#options.hostname ?? Deno.hostname(),
        port: this.#options.port,
        token: this.#token,
      },
      (accepted) => this.#onWorker(accepted),
    );
    this.#connect = connectAddress(
      this.#endpoint.hostname,
      this.#endpoint.port,
      this.#options.hostname,
    );
    this.#pool.start(this.#poolHost(host));
    const first = Array.from({ length: this.#options.min }, () => this.#submit());
    const outcomes = await Promise.allSettled(first);
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed) {
      await this.shutdown(false);
      throw failed.reason;
    }
    this.#timer = setInterval(() => this.#track(this.#tick()), this.#options.pollInterval);
  }

  /** Queues a call (with the executor's default limits) and asks for jobs if the queue needs them. */
  execute(call: Call): void {
    if (this.#broken) {
      this.#host?.rejected(call, this.#broken);
      return;
    }
    const limits = { ...this.#defaults, ...call.limits };
    const tracked: Tracked = {
      call: { ...call, limits, permissions: call.permissions ?? this.#options.permissions },
      inPool: false,
      requeues: 0,
    };
    this.#tracked.set(call.id, tracked);
    this.#queue.push(tracked);
    this.#pump();
    this.#adapt();
  }

  /** Delivers a comm frame to the job running `call`. */
  sendComm(call: Call, frame: CommFrame): void {
    const tracked = this.#tracked.get(call.id);
    if (tracked?.inPool) this.#pool.sendComm(call.id, frame);
  }

  /** Cancels a queued call, or stops it in its job (its process there is killed). */
  cancel(call: Call, reason?: Error): boolean {
    const tracked = this.#tracked.get(call.id);
    if (!tracked) return false;
    if (!tracked.inPool) {
      if (!this.#queue.remove(tracked)) return false;
      this.#tracked.delete(call.id);
      return true;
    }
    if (!this.#pool.cancel(call.id, reason)) return false;
    this.#untrack(tracked);
    queueMicrotask(() => this.#pump());
    return true;
  }

  /**
   * Drops the queue, optionally waits for running calls, then says goodbye
   * to every worker, cancels every job it submitted (those lost during the
   * run too) and resolves once the engine lists none of them as live. If the
   * engine still lists some after two minutes, it says so on stderr and
   * resolves anyway.
   */
  async shutdown(wait: boolean): Promise<void> {
    this.#closing = true;
    for (const tracked of this.#queue.drain()) this.#tracked.delete(tracked.call.id);
    await this.#pool.shutdown(wait);
    clearInterval(this.#timer);
    this.#timer = undefined;
    // Submissions still in flight finish first, so that their jobs are cancelled too.
    await this.#settleBackground();
    for (const job of this.#jobs) job.released = true;
    // Collected before the workers close: a closed worker's job leaves `#jobs`.
    const ids = [...this.#submitted];
    await Promise.all([...this.#workers].map((w) => w.close()));
    if (ids.length) await this.#engine.cancel(ids).catch(() => {});
    await this.#endpoint?.close();
    await Promise.all([...this.#workers].map((w) => w.closed));
    await this.#settleBackground();
    if (ids.length) await this.#awaitGone(ids);
    this.#endpoint = undefined;
    this.#jobs.clear();
    this.#submitted.clear();
    this.#tracked.clear();
    this.#inPool = 0;
    this.#host = undefined;
  }

  /** A snapshot: one worker per job, with its job id and state. */
  info(): ExecutorInfo {
    const workers: HpcWorkerInfo[] = [];
    const shown = new Set<RemoteWorker>();
    for (const job of this.#jobs) {
      if (job.ended) continue;
      const worker = job.worker;
      if (worker) shown.add(worker);
      const state = job.connected ? "CONNECTED" : job.state;
      workers.push({
        id: `${this.kind}-${job.jobId ?? "?"} (${state}${job.node ? ` on ${job.node}` : ""})`,
        busy: (worker?.busy ?? 0) > 0,
        inFlight: worker?.busy ?? 0,
        jobId: job.jobId,
        state,
        node: job.node,
      });
    }
    for (const worker of this.#workers) {
      if (shown.has(worker)) continue;
      workers.push({
        id: `${worker.id} (CONNECTED on ${worker.host})`,
        busy: worker.busy > 0,
        inFlight: worker.busy,
        jobId: worker.jobId,
        state: "CONNECTED",
        node: worker.host,
      });
    }
    const o = this.#options;
    return {
      kind: this.kind,
      options: {
        workers: o.adaptive ? `${o.min}..${o.max}` : o.max,
        ...this.#engine.info(),
        ...(this.#endpoint ? { endpoint: this.#connect } : {}),
      },
      queued: this.#queue.size,
      workers,
    };
  }

  // -- dispatch -----------------------------------------------------------

  #capacity(): number {
    let places = 0;
    for (const worker of this.#workers) if (worker.usable) places += worker.concurrency;
    return places;
  }

  #freestWorker(): RemoteWorker {
    let best: RemoteWorker | undefined;
    for (const worker of this.#workers) {
      if (worker.freeLanes > 0 && (!best || worker.freeLanes > best.freeLanes)) best = worker;
    }
    if (!best) throw new Error("no connected worker has a free place (a bug in the gate)");
    return best;
  }

  /** Hands queued calls to the pool while connected workers have free places. */
  #pump(): void {
    while (this.#queue.size > 0 && this.#inPool < this.#capacity() && !this.#closing) {
      const tracked = this.#queue.shift()!;
      tracked.inPool = true;
      this.#inPool++;
      this.#pool.execute(tracked.call);
    }
  }

  #untrack(tracked: Tracked): void {
    if (tracked.inPool) this.#inPool--;
    tracked.inPool = false;
    this.#tracked.delete(tracked.call.id);
  }

  /** Reports to the scheduler with its own calls, and re-queues calls of lost jobs. */
  #poolHost(host: ExecutorHost): ExecutorHost {
    const original = (call: Call) => this.#tracked.get(call.id);
    return {
      started: (call) => {
        const tracked = original(call);
        if (tracked) host.started(tracked.call);
      },
      comm: (call, frame) => {
        const tracked = original(call);
        if (tracked) host.comm(tracked.call, frame);
      },
      output: (call, text, stream) => {
        const tracked = original(call);
        if (tracked) host.output?.(tracked.call, text, stream);
      },
      fulfilled: (call, value) => {
        const tracked = original(call);
        if (!tracked) return;
        this.#untrack(tracked);
        host.fulfilled(tracked.call, value);
        queueMicrotask(() => this.#pump());
      },
      rejected: (call, error) => {
        const tracked = original(call);
        if (!tracked) return;
        const lost = error instanceof JobLostError ? error : undefined;
        if (lost && !this.#closing && tracked.requeues < this.#options.requeueLost) {
          tracked.requeues++;
          this.#inPool--;
          tracked.inPool = false;
          this.#queue.unshift(tracked);
          queueMicrotask(() => {
            this.#pump();
            this.#adapt();
          });
          return;
        }
        this.#untrack(tracked);
        queueMicrotask(() => this.#pump());
        const ending = lost?.jobId ? this.#endings.get(lost.jobId) : undefined;
        if (!ending) {
          host.rejected(tracked.call, error);
          return;
        }
        // Not re-queued: the future gets the engine's word on why its job ended.
        this.#track(ending.then((final) => {
          const reason = final?.reason && final.reason !== "None"
            ? `; ${this.#engine.title} says: ${final.reason}`
            : "";
          host.rejected(
            tracked.call,
            this.#engine.lostError(lost!.jobId, final?.state, `${lost!.why}${reason}`),
          );
        }));
      },
    };
  }

  // -- workers ------------------------------------------------------------

  #onWorker(accepted: AcceptedWorker): void {
    const jobId = accepted.hello.jobId;
    const job = jobId ? [...this.#jobs].find((j) => j.jobId === jobId && !j.ended) : undefined;
    if (this.#closing || (job && job.released)) {
      accepted.conn.close();
      return;
    }
    const worker = new RemoteWorker(
      accepted,
      jobId ? `${this.kind}-${jobId}` : `worker-${this.#nextWorker++}`,
      {
        callOptions: (call) => {
          const tracked = this.#tracked.get(call.id);
          return { limits: tracked?.call.limits ?? {}, permissions: tracked?.call.permissions };
        },
        closed: (w, why) => this.#onWorkerClosed(w, why),
      },
    );
    this.#workers.add(worker);
    if (job) this.#attach(job, worker);
    this.#pump();
  }

  #attach(job: Job, worker: RemoteWorker): void {
    job.worker = worker;
    job.connected = true;
    job.state = "RUNNING";
    job.node ??= worker.host;
    this.#startFailures = 0;
  }

  #onWorkerClosed(worker: RemoteWorker, why: string): void {
    this.#workers.delete(worker);
    const job = [...this.#jobs].find((j) => j.worker === worker);
    if (job) {
      job.worker = undefined;
      job.connected = false;
      job.ended = true;
      this.#jobs.delete(job);
    }
    const lost = !worker.released && !this.#closing;
    const error = this.#engine.lostError(
      worker.jobId,
      undefined,
      `its worker's connection ended (${why})`,
    );
    if (lost && worker.busy > 0 && job?.jobId) {
      // Asked now, so that a call that is not re-queued can say "TIMEOUT" or "CANCELLED".
      const jobId = job.jobId;
      const ending = this.#finalState(jobId);
      this.#endings.set(jobId, ending);
      this.#track(ending.finally(() => this.#endings.delete(jobId)));
      worker.failLanes(error);
      this.#pump();
      this.#adapt();
      return;
    }
    worker.failLanes(error);
    this.#afterLoss(job, lost);
  }

  #afterLoss(job: Job | undefined, lost: boolean): void {
    // A job whose worker went away is over; make sure the engine agrees.
    if (lost && job?.jobId) this.#track(this.#engine.cancel([job.jobId]).catch(() => {}));
    this.#pump();
    this.#adapt();
  }

  /**
   * How a job whose worker is gone ended: waits until the engine lists it in
   * a final state (`CANCELLED`, `TIMEOUT`, `NODE_FAIL`…) or, once it no
   * longer lists it, asks accounting. A job still running without its
   * worker is cancelled. A job neither listed nor accounted for after the
   * engine's `accountingLag`, or still live after {@linkcode FINAL_STATE_WAIT_MS}
   * more, gets the last state seen.
   */
  async #finalState(jobId: string): Promise<QueuedJob | undefined> {
    const begun = performance.now();
    let last: QueuedJob | undefined;
    let unlistedSince: number | undefined;
    let cancelled = false;
    while (true) {
      try {
        const listed = (await this.#engine.queue()).get(jobId);
        if (listed) last = listed;
        if (listed && !this.#engine.isLive(listed.state)) return listed;
        if (!listed) {
          const accounted = await this.#engine.accounting(jobId).catch(() => undefined);
          if (accounted) return accounted;
          // Neither listed nor accounted for (accounting may be off): the engine cannot tell.
          unlistedSince ??= performance.now();
          if (performance.now() - unlistedSince >= this.#engine.accountingLag) return last;
        } else if (listed.state === "RUNNING" && !cancelled) {
          cancelled = true;
          await this.#engine.cancel([jobId]).catch(() => {});
        }
      } catch { /* the engine is busy: try again */ }
      if (performance.now() - begun >= FINAL_STATE_WAIT_MS + this.#engine.accountingLag) {
        return last;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  // -- jobs ---------------------------------------------------------------

  #workerCommand(): readonly string[] {
    if (this.#options.workerCommand) return this.#options.workerCommand;
    // Inside a compiled baton binary, the binary itself is the CLI.
    if (Deno.build.standalone) return [Deno.execPath(), "worker"];
    const cli = CLI.protocol === "file:" ? decodeURIComponent(CLI.pathname) : CLI.href;
    return [Deno.execPath(), "run", "-A", "--no-lock", cli, "worker"];
  }

  #submit(): Promise<void> {
    const job: Job = {
      state: "SUBMITTING",
      connected: false,
      ended: false,
      released: false,
      submittedAtPoll: this.#polls,
      idleSince: performance.now(),
    };
    this.#jobs.add(job);
    const script = this.#engine.script({
      jobName: this.#options.jobName,
      connect: this.#connect,
      token: this.#token,
      workerCommand: this.#workerCommand(),
    });
    const submission = this.#engine.submit(script).then(
      (jobId) => {
        this.#submitted.add(jobId);
        job.jobId = jobId;
        job.state = "PENDING";
        job.submittedAtPoll = this.#polls + 1;
        // A worker quicker than the submit command's answer dialled in before its job was known.
        const early = [...this.#workers].find((w) => w.jobId === jobId);
        if (early) this.#attach(job, early);
        if (this.#closing || this.#broken) job.released = true;
      },
      (error) => {
        job.ended = true;
        this.#jobs.delete(job);
        this.#startFailed(`submitting a job failed: ${(error as Error).message}`);
        throw error;
      },
    );
    this.#track(submission.catch(() => {}));
    return submission;
  }

  #track(promise: Promise<unknown>): void {
    this.#background.add(promise);
    promise.finally(() => this.#background.delete(promise));
  }

  async #settleBackground(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  #liveJobs(): Job[] {
    return [...this.#jobs].filter((j) => !j.ended && !j.released);
  }

  /** Jobs the run wants now: the fixed number, or what the queue needs within `{ min, max }`. */
  #target(): number {
    const o = this.#options;
    if (!o.adaptive) return o.max;
    const demand = this.#queue.size + this.#inPool;
    return Math.min(o.max, Math.max(o.min, Math.ceil(demand / o.concurrency)));
  }

  /** Submits jobs up to the target (scaling down happens in the poll, after `idleTimeout`). */
  #adapt(): void {
    if (!this.#host || this.#closing || this.#broken) return;
    const missing = this.#target() - this.#liveJobs().length;
    for (let i = 0; i < missing; i++) this.#submit().catch(() => {});
  }

  async #tick(): Promise<void> {
    if (this.#polling || this.#closing) return;
    this.#polling = true;
    const poll = ++this.#polls;
    try {
      const queued = await this.#engine.queue();
      if (!this.#closing) this.#reconcile(queued, poll);
    } catch {
      // The engine's listing can fail while its controller is busy: try again at the next tick.
    } finally {
      this.#polling = false;
    }
    if (!this.#closing) {
      this.#releaseIdle();
      this.#adapt();
    }
  }

  /** Updates states from the listing; notices jobs that ended without (or behind) their worker. */
  #reconcile(queued: Map<string, QueuedJob>, poll: number): void {
    for (const job of this.#jobs) {
      if (!job.jobId || job.ended) continue;
      const seen = queued.get(job.jobId);
      if (seen) {
        if (!job.connected) job.state = seen.state;
        job.reason = seen.reason;
        job.node = seen.node ?? job.node;
      }
      const stuck = seen !== undefined && this.#engine.isStuck(seen.state);
      const over = seen ? stuck || !this.#engine.isLive(seen.state) : poll > job.submittedAtPoll;
      if (!over) continue;
      if (job.worker) {
        // The job is over but its connection lingers (e.g. the node died): drop it.
        job.worker.abort();
        continue;
      }
      job.ended = true;
      this.#jobs.delete(job);
      // A job that will never run on its own (Grid Engine's error state) is deleted.
      if (stuck) this.#track(this.#engine.cancel([job.jobId]).catch(() => {}));
      if (!job.released && !job.connected) {
        this.#startFailed(
          `${this.#engine.title} job ${job.jobId} ended (${seen?.state ?? "no longer listed"}${
            seen?.reason && seen.reason !== "None" ? `, ${seen.reason}` : ""
          }) before its worker connected${this.#logHint(job.jobId)}`,
        );
      }
    }
  }

  #logHint(jobId: string): string {
    const file = this.#engine.logFile(jobId);
    try {
      const text = Deno.readTextFileSync(file).trimEnd();
      return text
        ? `. Its output (${file}) ends with:\n${text.split("\n").slice(-10).join("\n")}`
        : "";
    } catch {
      return `; see its output file (${file} if it ran here)`;
    }
  }

  #startFailed(why: string): void {
    this.#lastFailure = why;
    if (++this.#startFailures < MAX_START_FAILURES || this.#broken) return;
    this.#broken = new WorkerCrashedError(
      `${this.#engine.title} worker jobs keep failing before they connect (${MAX_START_FAILURES} in a row); last: ${this.#lastFailure}`,
    );
    for (const tracked of this.#queue.drain()) {
      this.#tracked.delete(tracked.call.id);
      this.#host?.rejected(tracked.call, this.#broken);
    }
  }

  /** Adaptive mode: lets go of jobs idle for `idleTimeout` that the queue does not need. */
  #releaseIdle(): void {
    if (!this.#options.adaptive) return;
    let surplus = this.#liveJobs().length - this.#target();
    if (surplus <= 0) return;
    const now = performance.now();
    const idle = this.#liveJobs()
      .filter((job) => {
        if (job.worker) {
          return job.worker.busy === 0 && now - job.worker.idleSince >= this.#options.idleTimeout;
        }
        return job.jobId !== undefined && now - job.idleSince >= this.#options.idleTimeout;
      })
      // Jobs still waiting in the engine's queue go first, newest first.
      .sort((a, b) => Number(!!a.worker) - Number(!!b.worker) || b.idleSince - a.idleSince);
    for (const job of idle) {
      if (surplus-- <= 0) break;
      job.released = true;
      if (job.worker) this.#track(job.worker.close());
      this.#track(this.#engine.cancel([job.jobId!]).catch(() => {}));
    }
  }

  /**
   * Waits until the engine lists none of `ids` as live, cancelling the rest
   * again every few seconds; after {@linkcode GONE_WAIT_MS}, says on stderr
   * which are left.
   */
  async #awaitGone(ids: string[]): Promise<void> {
    const started = performance.now();
    let cancelledAt = started;
    let left = ids;
    while (true) {
      try {
        const queued = await this.#engine.queue();
        left = ids.filter((id) => {
          const job = queued.get(id);
          return job !== undefined && this.#engine.isLive(job.state);
        });
        if (left.length === 0) return;
      } catch { /* try again */ }
      const now = performance.now();
      if (now - started >= GONE_WAIT_MS) break;
      if (now - cancelledAt >= RECANCEL_MS) {
        cancelledAt = now;
        await this.#engine.cancel(left).catch(() => {});
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    console.error(
      `baton: ${this.#engine.title} still lists job(s) ${left.join(", ")} of ${this.jobName} ` +
        `${Math.round(GONE_WAIT_MS / 1000)}s after they were cancelled; giving up waiting`,
    );
  }
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * `HOST:PORT` for workers: the name asked for (or this host's name), which
 * the nodes resolve themselves; this host's name when bound to all addresses.
 */
function connectAddress(bound: string, port: number, asked?: string): string {
  let host = asked ?? Deno.hostname() ?? bound;
  if (host === "0.0.0.0" || host === "::") host = Deno.hostname();
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
