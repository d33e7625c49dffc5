/**
 * The Slurm executor: the scheduler listens on a TCP endpoint, submits
 * worker jobs with `sbatch`, and each job dials back and runs calls on its
 * own process executor. Dispatch, comm and cancellation go through the
 * shared {@linkcode Pool}; this file manages jobs: submission, adaptive
 * scaling, loss and replacement, and cleanup.
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
import { isLive, type QueuedJob, SlurmCommands } from "./commands.ts";
import { jobScript } from "./script.ts";
import { type ResolvedSlurmOptions, resolveSlurmOptions, type SlurmOptions } from "./options.ts";
import { SlurmJobLostError } from "./errors.ts";

/**
 * One worker of the Slurm executor as shown in renderings and the monitor.
 * Its `id` reads like `slurm-42 (RUNNING on node7)`.
 *
 * @example
 * ```ts ignore
 * for (const w of executor.info().workers as SlurmWorkerInfo[]) console.log(w.jobId, w.state);
 * ```
 */
export interface SlurmWorkerInfo extends WorkerInfo {
  /** The Slurm job id (undefined while `sbatch` runs, or for a worker started by hand). */
  readonly jobId?: string;
  /** `SUBMITTING`, then Slurm's state (`PENDING`, `RUNNING`…); `CONNECTED` once it dialled in. */
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
const CLI = new URL("../../../cli.ts", import.meta.url);

/**
 * Runs calls in Slurm jobs. Each job runs a worker
 * (`baton worker --connect`) that dials
 * back to this process's TCP endpoint, presents a token, and runs calls on
 * a {@linkcode ProcessExecutor} of `concurrency` processes inside the job's
 * allocation, which enforces per-call limits as it does locally.
 *
 * Jobs that Slurm ends (`scancel`, time limit, node failure) re-queue their
 * running calls (`requeueLost` times, default once) and are replaced while
 * the run wants them. `shutdown()` cancels every job it submitted.
 *
 * @example
 * ```ts ignore
 * import { Scheduler, SlurmExecutor } from "@baton/baton";
 * const scheduler = new Scheduler({
 *   executor: new SlurmExecutor({ workers: 4, partition: "cpu", time: "1h", memory: "4GB" }),
 * });
 * ```
 */
export class SlurmExecutor implements Executor {
  /** Always `"slurm"`. */
  readonly kind = "slurm";
  readonly #options: ResolvedSlurmOptions;
  readonly #permissions?: Permissions;
  readonly #defaults: ResolvedLimits;
  readonly #jobName: string;
  readonly #commands: SlurmCommands;
  readonly #pool: Pool;
  readonly #queue = new Queue<Tracked>();
  readonly #tracked = new Map<number, Tracked>();
  readonly #jobs = new Set<Job>();
  readonly #workers = new Set<RemoteWorker>();
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

  /** Checks the options; nothing starts until the scheduler runs. */
  constructor(options: SlurmOptions) {
    this.#options = resolveSlurmOptions(options);
    this.#permissions = options.permissions;
    this.#defaults = resolveLimits(options.limits);
    this.#jobName = this.#options.jobName ?? `baton-${crypto.randomUUID().slice(0, 8)}`;
    this.#commands = new SlurmCommands({
      submit: this.#options.submitCommand,
      cancel: this.#options.cancelCommand,
      queue: this.#options.queueCommand,
    }, this.#jobName);
    const capacity = () => this.#capacity();
    this.#pool = new Pool({
      // Places on connected workers; calls are only handed over when one is free.
      get size() {
        return capacity();
      },
      prefetch: 1,
      label: "slurm worker",
      // The worker's own executor enforces every limit, so the pool enforces none.
      onWallTime: "kill",
      limitsOf: () => ({}),
      keyOf: () => "remote",
      spawn: (_key, events) => this.#freestWorker().lane(events),
    });
    this.validate({ limits: this.#defaults });
  }

  /** The `--job-name` of this executor's jobs (how they are found in `squeue`). */
  get jobName(): string {
    return this.#jobName;
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
    return jobScript(this.#options, {
      jobName: this.#jobName,
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
      call: { ...call, limits, permissions: call.permissions ?? this.#permissions },
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
   * Drops the queue, optionally waits for running calls, then says goodbye to
   * every worker, cancels every job it submitted (`scancel`) and waits until
   * `squeue` no longer shows them running.
   */
  async shutdown(wait: boolean): Promise<void> {
    this.#closing = true;
    for (const tracked of this.#queue.drain()) this.#tracked.delete(tracked.call.id);
    await this.#pool.shutdown(wait);
    clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all([...this.#workers].map((w) => w.close()));
    // Submissions still in flight finish first, so that their jobs are cancelled too.
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
    const ids = [...this.#jobs].filter((j) => j.jobId && !j.ended).map((j) => j.jobId!);
    for (const job of this.#jobs) job.released = true;
    if (ids.length) await this.#commands.cancel(ids).catch(() => {});
    await this.#endpoint?.close();
    await Promise.all([...this.#workers].map((w) => w.closed));
    if (ids.length) await this.#awaitGone(ids);
    this.#endpoint = undefined;
    this.#jobs.clear();
    this.#tracked.clear();
    this.#inPool = 0;
    this.#host = undefined;
  }

  /** A snapshot: one worker per job, with its Slurm id and state. */
  info(): ExecutorInfo {
    const workers: SlurmWorkerInfo[] = [];
    const shown = new Set<RemoteWorker>();
    for (const job of this.#jobs) {
      if (job.ended) continue;
      const worker = job.worker;
      if (worker) shown.add(worker);
      const state = job.connected ? "CONNECTED" : job.state;
      workers.push({
        id: `slurm-${job.jobId ?? "?"} (${state}${job.node ? ` on ${job.node}` : ""})`,
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
        ...(o.partition ? { partition: o.partition } : {}),
        cpus: o.cpus,
        ...(o.memoryMegabytes ? { memory: `${o.memoryMegabytes}M` } : {}),
        ...(o.timeMinutes ? { time: `${o.timeMinutes}m` } : {}),
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
        if (
          error instanceof SlurmJobLostError && !this.#closing &&
          tracked.requeues < this.#options.requeueLost
        ) {
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
        host.rejected(tracked.call, error);
        queueMicrotask(() => this.#pump());
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
      jobId ? `slurm-${jobId}` : `worker-${this.#nextWorker++}`,
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
    const error = new SlurmJobLostError(
      worker.jobId,
      undefined,
      `its worker's connection ended (${why})`,
    );
    worker.dropIdleLanes(error);
    if (!lost || worker.busy === 0 || !job?.jobId) {
      worker.failLanes(error);
      this.#afterLoss(job, lost);
      return;
    }
    // Ask Slurm why, so that a rejection says "TIMEOUT" or "CANCELLED".
    this.#track(
      this.#commands.queue().then(
        (jobs) => jobs.get(job.jobId!),
        () => undefined,
      ).then((queued) => {
        const state = queued?.state;
        worker.failLanes(
          new SlurmJobLostError(
            worker.jobId,
            state,
            `its worker's connection ended (${why})${
              queued?.reason && queued.reason !== "None" ? `; Slurm's reason: ${queued.reason}` : ""
            }`,
          ),
        );
        if (job && state) job.state = state;
        this.#afterLoss(job, lost);
      }),
    );
  }

  #afterLoss(job: Job | undefined, lost: boolean): void {
    // A job whose worker went away is over; make sure Slurm agrees.
    if (lost && job?.jobId) this.#track(this.#commands.cancel([job.jobId]).catch(() => {}));
    this.#pump();
    this.#adapt();
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
    const script = jobScript(this.#options, {
      jobName: this.#jobName,
      connect: this.#connect,
      token: this.#token,
      workerCommand: this.#workerCommand(),
    });
    const submission = this.#commands.submit(script).then(
      (jobId) => {
        job.jobId = jobId;
        job.state = "PENDING";
        job.submittedAtPoll = this.#polls + 1;
        // A worker quicker than sbatch's answer dialled in before its job was known.
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
      const queued = await this.#commands.queue();
      if (!this.#closing) this.#reconcile(queued, poll);
    } catch {
      // squeue can fail while slurmctld is busy: try again at the next tick.
    } finally {
      this.#polling = false;
    }
    if (!this.#closing) {
      this.#releaseIdle();
      this.#adapt();
    }
  }

  /** Updates states from `squeue`; notices jobs that ended without (or behind) their worker. */
  #reconcile(queued: Map<string, QueuedJob>, poll: number): void {
    for (const job of this.#jobs) {
      if (!job.jobId || job.ended) continue;
      const seen = queued.get(job.jobId);
      if (seen) {
        if (!job.connected) job.state = seen.state;
        job.reason = seen.reason;
        job.node = seen.node ?? job.node;
      }
      const over = seen ? !isLive(seen.state) : poll > job.submittedAtPoll;
      if (!over) continue;
      if (job.worker) {
        // The job is over but its connection lingers (e.g. the node died): drop it.
        job.worker.abort();
        continue;
      }
      job.ended = true;
      this.#jobs.delete(job);
      if (!job.released && !job.connected) {
        this.#startFailed(
          `Slurm job ${job.jobId} ended (${seen?.state ?? "gone from squeue"}${
            seen?.reason && seen.reason !== "None" ? `, ${seen.reason}` : ""
          }) before its worker connected${this.#logHint(job.jobId)}`,
        );
      }
    }
  }

  #logHint(jobId: string): string {
    const dir = this.#options.logDirectory ?? Deno.cwd();
    const file = this.#options.logDirectory
      ? `${dir}/baton-${jobId}.log`
      : `${dir}/slurm-${jobId}.out`;
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
      `Slurm worker jobs keep failing before they connect (${MAX_START_FAILURES} in a row); last: ${this.#lastFailure}`,
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
      // Jobs still waiting in Slurm's queue go first, newest first.
      .sort((a, b) => Number(!!a.worker) - Number(!!b.worker) || b.idleSince - a.idleSince);
    for (const job of idle) {
      if (surplus-- <= 0) break;
      job.released = true;
      if (job.worker) this.#track(job.worker.close());
      this.#track(this.#commands.cancel([job.jobId!]).catch(() => {}));
    }
  }

  /** Waits (up to 30 s) until `squeue` shows none of `ids` as live. */
  async #awaitGone(ids: string[]): Promise<void> {
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline) {
      try {
        const queued = await this.#commands.queue();
        if (ids.every((id) => !isLive(queued.get(id)?.state ?? "GONE"))) return;
      } catch { /* try again */ }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
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
