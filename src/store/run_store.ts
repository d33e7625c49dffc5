/**
 * The run store: one SQLite database (`node:sqlite`, built into Deno) in a
 * directory such as `.baton/`, with job logs as files beside it. WAL
 * journal, one transaction per write, a busy timeout: a run killed at any
 * moment leaves every committed record readable, and two runs on one store
 * at once do not corrupt it.
 *
 * @module
 */

import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { join, resolve } from "node:path";
import { decodeValue } from "./codec.ts";
import { StoreError, UnknownRunError } from "./errors.ts";
import { SCHEMA_SQL, SCHEMA_VERSION } from "./schema.ts";

/** The database file inside a store directory. */
export const DATABASE_FILE = "baton.db";
/** The folder of log files inside a store directory: `logs/<run>/<job>.log`. */
export const LOGS_FOLDER = "logs";

/**
 * How a run ended; `lost` is a run whose process is gone without recording an end.
 *
 * @category Extending
 */
export type RunState = "running" | "ok" | "failed" | "stopped" | "lost";

/**
 * Where a job of a stored run is: not started, running, or finished one way
 * or another; `skipped` (a resume reused its result from the run it resumed)
 * and `cached` (`cache: true` reused a stored success) count as successes.
 *
 * @category Extending
 */
export type JobRecordState =
  | "idle"
  | "running"
  | "succeeded"
  | "failed"
  | "cancelled"
  | "skipped"
  | "cached";

/** States whose result a later run may reuse. */
export const SUCCESS_STATES: readonly JobRecordState[] = ["succeeded", "skipped", "cached"];

/**
 * A stored run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, RunStore } from "@baton/baton";
 * const dir = await Deno.makeTempDir();
 * await new Flow(job(() => 42), { label: "demo", store: dir }).run();
 * const store = RunStore.open(dir);
 * const [latest] = store.runs({ limit: 1 });
 * assert.equal(latest.state, "ok");
 * assert.equal(latest.counts.succeeded, 1);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @category Extending
 */
export interface RunRecord {
  /** The run id; it names the run's folder under `logs/`. */
  readonly id: string;
  /** The workflow: its file's absolute path (CLI), or the flow's label (library). */
  readonly workflow: string;
  /** SHA-256 of the workflow file, when there is one. */
  readonly workflowHash?: string;
  /** The top flow's label. */
  readonly label: string;
  /** The run this one resumed, if any. */
  readonly resumedFrom?: string;
  /** Start, in milliseconds since the epoch. */
  readonly startedAt: number;
  /** End, once recorded. */
  readonly endedAt?: number;
  /** How it ended (or `running`, or `lost` when its process died without saying). */
  readonly state: RunState;
  /** The flow's `why()` at the end. */
  readonly why?: string;
  /** The error that ended it, as one line. */
  readonly error?: string;
  /** The flow's `list()` at the end. */
  readonly listing?: string;
  /** The process that ran it. */
  readonly pid?: number;
  /** The host it ran on. */
  readonly host?: string;
  /** Whether some job output could not be written to its log file. */
  readonly logsIncomplete: boolean;
  /** Its jobs by state. */
  readonly counts: Readonly<Record<JobRecordState, number>>;
}

/**
 * A job as recorded when its run starts (what a flow tells `createRun`).
 *
 * @example
 * ```ts
 * import type { JobPlan } from "@baton/baton";
 * const plan: JobPlan = {
 *   key: "train",
 *   label: "train",
 *   kind: "module",
 *   position: 0,
 *   depth: 0,
 *   requires: ["prep"],
 *   critical: true,
 *   forever: false,
 *   cache: false,
 * };
 * ```
 * @category Extending
 */
export interface JobPlan {
  /** Its id in the run: the label, with nested flows' labels as a path (`sub/train`). */
  readonly key: string;
  /** Its label. */
  readonly label: string;
  /** `function`, `task`, `command`, `run`, `module`, `flow`, or the class name of a custom job. */
  readonly kind: string;
  /** Its place in the listing (topological order, nested flows after their flow). */
  readonly position: number;
  /** Nesting depth (0: the top flow's jobs). */
  readonly depth: number;
  /** The key of the nested flow it is in, if any. */
  readonly parent?: string;
  /** Keys of the jobs it requires. */
  readonly requires: readonly string[];
  /** Whether its failure fails its flow. */
  readonly critical: boolean;
  /** Whether it is a forever job. */
  readonly forever: boolean;
  /** Whether it has `cache: true`. */
  readonly cache: boolean;
}

/**
 * A stored job of a run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, RunStore } from "@baton/baton";
 * const dir = await Deno.makeTempDir();
 * const flow = new Flow({ label: "demo", store: dir });
 * flow.add(job(() => 42), { label: "answer" });
 * await flow.run();
 * const store = RunStore.open(dir);
 * const [run] = store.runs();
 * const jobs = store.jobs(run.id).map((job) => [job.key, job.state, job.attempts]);
 * assert.deepEqual(jobs, [["answer", "succeeded", 1]]);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @category Extending
 */
export interface JobRecord extends JobPlan {
  /** The run it belongs to. */
  readonly run: string;
  /** Hash of what it computes (see docs/durable.md), when it has a definition. */
  readonly definitionHash?: string;
  /** Hash of what it got from the jobs it requires. */
  readonly inputsHash?: string;
  /** Hash of definition, inputs and result together: what its successors' inputs hash. */
  readonly outputHash?: string;
  /** Where it is. */
  readonly state: JobRecordState;
  /** How many times it started (retries included). */
  readonly attempts: number;
  /** Start, in milliseconds since the epoch. */
  readonly startedAt?: number;
  /** End. */
  readonly endedAt?: number;
  /** A one-line rendering of its result. */
  readonly resultSummary?: string;
  /** Whether a result is stored (read it with `store.result(run, key)`). */
  readonly hasResult: boolean;
  /** Its error: name, message and stack. */
  readonly error?: { readonly name: string; readonly message: string; readonly stack?: string };
  /** The run whose result it reused (`skipped` or `cached`). */
  readonly reusedFrom?: string;
  /** The absolute path of its log file, once it wrote output. */
  readonly logFile?: string;
  /** Whether some of its output could not be written to the log file. */
  readonly logIncomplete: boolean;
}

/**
 * One event of a run's timeline, in order (`seq`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, RunStore } from "@baton/baton";
 * const dir = await Deno.makeTempDir();
 * await new Flow(job(() => 42), { label: "demo", store: dir }).run();
 * const store = RunStore.open(dir);
 * const [run] = store.runs();
 * const events = store.events(run.id);
 * assert.ok(events.length > 0);
 * assert.ok(events.every((e, i) => i === 0 || e.seq > events[i - 1].seq));
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @category Extending
 */
export interface EventRecord {
  /** The run. */
  readonly run: string;
  /** Its position in the run's timeline, from 1. */
  readonly seq: number;
  /** When, in milliseconds since the epoch. */
  readonly time: number;
  /** The job's key, for job events. */
  readonly job?: string;
  /**
   * `run-started`, `job-scheduled`, `job-started`, `job-done`, `job-failed`,
   * `job-cancelled`, `job-skipped`, `job-cached`, `flow-done`,
   * `logs-incomplete`, `store-degraded`, `run-ended`.
   */
  readonly type: string;
  /** Details (duration, error, the run a result came from…). */
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * Fields of a job's record that change as it runs (see {@linkcode JobRecord}); `null` clears one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, RunStore } from "@baton/baton";
 * const dir = await Deno.makeTempDir();
 * const flow = new Flow({ label: "demo", store: dir });
 * flow.add(job(() => 42), { label: "train" });
 * await flow.run();
 * const store = RunStore.open(dir);
 * const [run] = store.runs();
 * store.updateJob(run.id, "train", { state: "running", startedAt: Date.now() });
 * assert.equal(store.jobs(run.id)[0].state, "running");
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @category Extending
 */
export interface JobUpdate {
  /** Where it is. */
  state?: JobRecordState;
  /** How many times it started. */
  attempts?: number;
  /** Start, in milliseconds since the epoch. */
  startedAt?: number;
  /** End. */
  endedAt?: number;
  /** Hash of its definition. */
  definitionHash?: string | null;
  /** Hash of its inputs. */
  inputsHash?: string | null;
  /** Hash of definition, inputs and result. */
  outputHash?: string | null;
  /** Its result, serialized with `node:v8`. */
  result?: Uint8Array | null;
  /** A one-line rendering of its result. */
  resultSummary?: string | null;
  /** Its error. */
  error?: { name: string; message: string; stack?: string } | null;
  /** The run whose result it reused. */
  reusedFrom?: string | null;
  /** Its log file, relative to the store directory. */
  logFile?: string;
  /** Whether its log lost output. */
  logIncomplete?: boolean;
}

/**
 * Options of {@linkcode RunStore.open}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RunStore, StoreError } from "@baton/baton";
 * const dir = await Deno.makeTempDir();
 * // for reading: refuse a missing store
 * assert.throws(() => RunStore.open(`${dir}/.baton`, { create: false }), StoreError);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @category Extending
 */
export interface OpenOptions {
  /** Make the directory and the database when missing, and require write access (default `true`). */
  create?: boolean;
}

const COLUMNS: Record<keyof JobUpdate, string> = {
  state: "state",
  attempts: "attempts",
  startedAt: "started_at",
  endedAt: "ended_at",
  definitionHash: "definition_hash",
  inputsHash: "inputs_hash",
  outputHash: "output_hash",
  result: "result",
  resultSummary: "result_summary",
  error: "error",
  reusedFrom: "reused_from",
  logFile: "log_file",
  logIncomplete: "log_incomplete",
};

/** Databases below this size are checked page by page when opened for writing. */
const QUICK_CHECK_BELOW = 64 * 1024 * 1024;

type Row = Record<string, SQLInputValue>;

function errorText(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}

function isCorruption(error: unknown): boolean {
  const message = errorText(error);
  return /file is not a database|database disk image is malformed|malformed|corrupt/i.test(message);
}

function corrupt(directory: string, file: string, cause: unknown): StoreError {
  return new StoreError(
    "corrupt",
    directory,
    `the run store database ${file} is corrupt (${errorText(cause)}). To recover, move it ` +
      `aside and run again: mv ${file} ${file}.corrupt (a new store starts empty; the logs ` +
      `under ${join(directory, LOGS_FOLDER)} stay readable), or restore it from a backup`,
    { cause },
  );
}

function hostName(): string | undefined {
  try {
    return Deno.hostname();
  } catch {
    return undefined;
  }
}

/** Whether the process `pid` on this host is gone (`false` when unknown). */
function processGone(pid: number | undefined, host: string | undefined): boolean {
  if (pid === undefined || host === undefined || host !== hostName()) return false;
  if (Deno.build.os !== "linux") return false;
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] === "Z";
  } catch (error) {
    return error instanceof Deno.errors.NotFound;
  }
}

/**
 * A run store: the runs of workflows and flows, their jobs with states,
 * hashes and results, their timelines, and their logs. Open one with
 * {@linkcode RunStore.open}; the read API (`runs`, `run`, `jobs`,
 * `events`, `result`, `logFile`, `readLog`) is what `baton runs`, `baton
 * show` and `baton logs` use. Flows write through it when given
 * `new Flow({ store })`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flow, job, RunStore } from "@baton/baton";
 * const dir = await Deno.makeTempDir();
 * const flow = new Flow({ label: "demo", store: `${dir}/.baton` });
 * flow.add(job(() => 42), { label: "answer" });
 * await flow.run();
 * const store = RunStore.open(`${dir}/.baton`, { create: false });
 * const [run] = store.runs();
 * assert.deepEqual(store.jobs(run.id).map((j) => [j.key, j.state]), [["answer", "succeeded"]]);
 * assert.deepEqual(store.result(run.id, "answer"), { value: 42 });
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @category Extending
 */
export class RunStore {
  /** The store's directory (absolute). */
  readonly path: string;
  /** The database file. */
  readonly databasePath: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #closed = false;
  #inTransaction = false;

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.databasePath = join(path, DATABASE_FILE);
    this.#db = db;
  }

  /**
   * Opens (by default creating) the store in directory `path`.
   *
   * @throws {StoreError} when the directory is missing (and cannot or may
   * not be made), read-only, not a directory, or the database is corrupt
   * or from a newer baton; the message says what to do.
   */
  static open(path: string, options: OpenOptions = {}): RunStore {
    const create = options.create ?? true;
    const directory = resolve(path);
    const file = join(directory, DATABASE_FILE);
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.statSync(directory);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw unusable(directory, error);
    }
    if (info && !info.isDirectory) {
      throw new StoreError(
        "not-a-directory",
        directory,
        `the run store ${directory} is not a directory: a store is a directory like .baton ` +
          `holding ${DATABASE_FILE} and ${LOGS_FOLDER}/`,
      );
    }
    if (!info) {
      if (!create) {
        throw new StoreError(
          "missing",
          directory,
          `no run store at ${directory}: baton run makes one (.baton) beside the workflow ` +
            `file; give the store with --store PATH`,
        );
      }
      try {
        Deno.mkdirSync(directory);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) {
          throw new StoreError(
            "missing",
            directory,
            `cannot make the run store ${directory}: its parent directory does not exist`,
          );
        }
        throw unusable(directory, error);
      }
    }
    if (create) probeWritable(directory);
    else {
      try {
        Deno.statSync(file);
      } catch {
        throw new StoreError(
          "missing",
          directory,
          `no run store database ${file}: this directory holds no runs yet`,
        );
      }
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(file, { timeout: 15_000 });
    } catch (error) {
      throw isCorruption(error) ? corrupt(directory, file, error) : unusable(directory, error);
    }
    try {
      db.exec("PRAGMA busy_timeout = 15000");
      if (create) {
        // The check reads every page: only for stores small enough to read at once.
        if (Deno.statSync(file).size < QUICK_CHECK_BELOW) {
          const check = db.prepare("PRAGMA quick_check(1)").get() as Row | undefined;
          const verdict = check && Object.values(check)[0];
          if (verdict !== "ok") throw new Error(`quick_check: ${String(verdict)}`);
        }
        db.exec("PRAGMA journal_mode = WAL");
        db.exec("PRAGMA synchronous = NORMAL");
      }
      db.exec("PRAGMA foreign_keys = ON");
      migrate(db, directory, file, create);
    } catch (error) {
      db.close();
      if (error instanceof StoreError) throw error;
      throw isCorruption(error) || /quick_check/.test(errorText(error))
        ? corrupt(directory, file, error)
        : unusable(directory, error);
    }
    return new RunStore(directory, db);
  }

  /** Closes the database. Further calls throw. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  /**
   * Runs `writes` in one transaction (a commit costs a hundred times a
   * write: a flow run records each burst of events at once). Nested calls
   * join the outer transaction.
   */
  batch<T>(writes: () => T): T {
    return this.#transaction(writes);
  }

  // ---- reading ----

  /** Runs, newest first; `workflow` keeps one workflow's, `limit` the newest few. */
  runs(options: { workflow?: string; limit?: number } = {}): RunRecord[] {
    const where = options.workflow === undefined ? "" : "WHERE workflow = ?";
    const params: SQLInputValue[] = options.workflow === undefined ? [] : [options.workflow];
    const limit = options.limit === undefined ? "" : ` LIMIT ${Math.max(0, options.limit | 0)}`;
    const rows = this.#sql(`SELECT * FROM runs ${where} ORDER BY id DESC${limit}`)
      .all(...params) as Row[];
    return rows.map((row) => this.#runRecord(row));
  }

  /** One run, or `undefined`. */
  run(id: string | number): RunRecord | undefined {
    const row = this.#sql("SELECT * FROM runs WHERE id = ?").get(runNumber(id)) as
      | Row
      | undefined;
    return row ? this.#runRecord(row) : undefined;
  }

  /**
   * The run `id`; `"latest"` means the newest (of `workflow`, when given).
   *
   * @throws {UnknownRunError} naming the known runs when there is no such run.
   */
  requireRun(id: string | number, workflow?: string): RunRecord {
    const record = String(id) === "latest"
      ? this.runs({ workflow, limit: 1 })[0]
      : /^\d+$/.test(String(id))
      ? this.run(id)
      : undefined;
    if (!record) {
      throw new UnknownRunError(String(id), this.runs({ limit: 20 }).map((r) => r.id));
    }
    return record;
  }

  /** The jobs of run `id`, in listing order. */
  jobs(id: string | number): JobRecord[] {
    const rows = this.#sql(
      `SELECT run_id, key, label, kind, position, depth, parent, requires, critical, forever,
        cache, definition_hash, inputs_hash, output_hash, state, attempts, started_at, ended_at,
        result IS NOT NULL AS has_result, result_summary, error, reused_from, log_file,
        log_incomplete
       FROM jobs WHERE run_id = ? ORDER BY position`,
    ).all(runNumber(id)) as Row[];
    return rows.map((row) => this.#jobRecord(row));
  }

  /** The events of run `id` in order; `after` skips those up to that `seq`. */
  events(id: string | number, options: { after?: number } = {}): EventRecord[] {
    const rows = this.#sql(
      "SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq",
    ).all(runNumber(id), options.after ?? 0) as Row[];
    return rows.map((row) => ({
      run: String(row.run_id),
      seq: Number(row.seq),
      time: Number(row.time),
      job: row.job === null ? undefined : String(row.job),
      type: String(row.type),
      data: row.data === null ? {} : JSON.parse(String(row.data)),
    }));
  }

  /** The stored result of a job, as `{ value }`; `undefined` when none is stored. */
  result(id: string | number, key: string): { value: unknown } | undefined {
    const bytes = this.resultBytes(id, key);
    return bytes === undefined ? undefined : { value: decodeValue(bytes) };
  }

  /** The stored serialization of a job's result. */
  resultBytes(id: string | number, key: string): Uint8Array | undefined {
    const row = this.#sql("SELECT result FROM jobs WHERE run_id = ? AND key = ?")
      .get(runNumber(id), key) as Row | undefined;
    const result = row?.result;
    return result instanceof Uint8Array ? result : undefined;
  }

  /** The folder of a run's log files. */
  logsFolder(id: string | number): string {
    return join(this.path, LOGS_FOLDER, String(runNumber(id)));
  }

  /** The log file of a job, once it wrote output. */
  logFile(id: string | number, key: string): string | undefined {
    const row = this.#sql("SELECT log_file FROM jobs WHERE run_id = ? AND key = ?")
      .get(runNumber(id), key) as Row | undefined;
    return row?.log_file ? join(this.path, String(row.log_file)) : undefined;
  }

  /** What a job wrote (`""` when it wrote nothing). */
  readLog(id: string | number, key: string): string {
    const file = this.logFile(id, key);
    if (!file) return "";
    try {
      return Deno.readTextFileSync(file);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return "";
      throw error;
    }
  }

  // ---- writing (what a durable flow run records) ----

  /** Records a new run and its jobs (all `idle`); returns its id. */
  createRun(run: {
    workflow: string;
    workflowHash?: string;
    label: string;
    resumedFrom?: string;
    jobs: readonly JobPlan[];
  }): string {
    return this.#transaction(() => {
      const { lastInsertRowid } = this.#sql(
        `INSERT INTO runs (workflow, workflow_hash, label, resumed_from, started_at, state, pid, host)
         VALUES (?, ?, ?, ?, ?, 'running', ?, ?)`,
      ).run(
        run.workflow,
        run.workflowHash ?? null,
        run.label,
        run.resumedFrom === undefined ? null : runNumber(run.resumedFrom),
        Date.now(),
        Deno.pid,
        hostName() ?? null,
      );
      const insert = this.#sql(
        `INSERT INTO jobs (run_id, key, label, kind, position, depth, parent, requires, critical,
           forever, cache, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'idle')`,
      );
      for (const job of run.jobs) {
        insert.run(
          lastInsertRowid,
          job.key,
          job.label,
          job.kind,
          job.position,
          job.depth,
          job.parent ?? null,
          JSON.stringify(job.requires),
          job.critical ? 1 : 0,
          job.forever ? 1 : 0,
          job.cache ? 1 : 0,
        );
      }
      return String(lastInsertRowid);
    });
  }

  /** Changes fields of a job's record. */
  updateJob(id: string, key: string, update: JobUpdate): void {
    const sets: string[] = [];
    const values: SQLInputValue[] = [];
    for (const [field, value] of Object.entries(update)) {
      if (value === undefined) continue;
      sets.push(`${COLUMNS[field as keyof JobUpdate]} = ?`);
      values.push(
        value === null
          ? null
          : field === "error"
          ? JSON.stringify(value)
          : field === "reusedFrom"
          ? runNumber(value as string)
          : typeof value === "boolean"
          ? (value ? 1 : 0)
          : value as SQLInputValue,
      );
    }
    if (!sets.length) return;
    this.#sql(`UPDATE jobs SET ${sets.join(", ")} WHERE run_id = ? AND key = ?`)
      .run(...values, runNumber(id), key);
  }

  /** Appends an event to a run's timeline. */
  addEvent(
    id: string,
    seq: number,
    type: string,
    job?: string,
    data?: Record<string, unknown>,
  ): void {
    this.#sql(
      "INSERT INTO events (run_id, seq, time, job, type, data) VALUES (?, ?, ?, ?, ?, ?)",
    )
      .run(
        runNumber(id),
        seq,
        Date.now(),
        job ?? null,
        type,
        data && Object.keys(data).length ? JSON.stringify(data) : null,
      );
  }

  /** Records how a run ended. */
  finishRun(
    id: string,
    end: {
      state: Exclude<RunState, "running" | "lost">;
      why: string;
      error?: string;
      listing?: string;
    },
  ): void {
    this.#sql(
      "UPDATE runs SET ended_at = ?, state = ?, why = ?, error = ?, listing = ? WHERE id = ?",
    ).run(Date.now(), end.state, end.why, end.error ?? null, end.listing ?? null, runNumber(id));
  }

  /** Notes that some output of run `id` is missing from its log files. */
  markLogsIncomplete(id: string): void {
    this.#sql("UPDATE runs SET logs_incomplete = 1 WHERE id = ?").run(runNumber(id));
  }

  /**
   * The newest stored success with these hashes (any run, any workflow), for
   * `cache: true`; `exclude` leaves out a run (the one running).
   */
  findSuccess(
    definitionHash: string,
    inputsHash: string,
    exclude?: string,
  ): { run: string; key: string; outputHash?: string } | undefined {
    const row = this.#sql(
      `SELECT run_id, key, output_hash FROM jobs
       WHERE definition_hash = ? AND inputs_hash = ? AND state IN ('succeeded', 'skipped', 'cached')
         AND result IS NOT NULL AND run_id != ?
       ORDER BY run_id DESC LIMIT 1`,
    ).get(definitionHash, inputsHash, exclude === undefined ? -1 : runNumber(exclude)) as
      | Row
      | undefined;
    if (!row) return undefined;
    return {
      run: String(row.run_id),
      key: String(row.key),
      outputHash: row.output_hash === null ? undefined : String(row.output_hash),
    };
  }

  /** A prepared statement, compiled once per store. */
  #sql(text: string): StatementSync {
    let statement = this.#statements.get(text);
    if (!statement) this.#statements.set(text, statement = this.#db.prepare(text));
    return statement;
  }

  #transaction<T>(fn: () => T): T {
    if (this.#inTransaction) return fn();
    this.#db.exec("BEGIN IMMEDIATE");
    this.#inTransaction = true;
    try {
      const value = fn();
      this.#db.exec("COMMIT");
      return value;
    } catch (error) {
      try {
        this.#db.exec("ROLLBACK");
      } catch { /* the transaction is gone already */ }
      throw error;
    } finally {
      this.#inTransaction = false;
    }
  }

  #runRecord(row: Row): RunRecord {
    const counts: Record<JobRecordState, number> = {
      idle: 0,
      running: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
      skipped: 0,
      cached: 0,
    };
    const byState = this.#sql(
      "SELECT state, count(*) AS n FROM jobs WHERE run_id = ? GROUP BY state",
    ).all(row.id) as Row[];
    for (const { state, n } of byState) counts[state as JobRecordState] = Number(n);
    const pid = row.pid === null ? undefined : Number(row.pid);
    const host = row.host === null ? undefined : String(row.host);
    let state = String(row.state) as RunState;
    if (state === "running" && processGone(pid, host)) state = "lost";
    return {
      id: String(row.id),
      workflow: String(row.workflow),
      workflowHash: optional(row.workflow_hash),
      label: String(row.label),
      resumedFrom: optional(row.resumed_from),
      startedAt: Number(row.started_at),
      endedAt: row.ended_at === null ? undefined : Number(row.ended_at),
      state,
      why: optional(row.why),
      error: optional(row.error),
      listing: optional(row.listing),
      pid,
      host,
      logsIncomplete: Number(row.logs_incomplete) === 1,
      counts,
    };
  }

  #jobRecord(row: Row): JobRecord {
    return {
      run: String(row.run_id),
      key: String(row.key),
      label: String(row.label),
      kind: String(row.kind),
      position: Number(row.position),
      depth: Number(row.depth),
      parent: optional(row.parent),
      requires: JSON.parse(String(row.requires)),
      critical: Number(row.critical) === 1,
      forever: Number(row.forever) === 1,
      cache: Number(row.cache) === 1,
      definitionHash: optional(row.definition_hash),
      inputsHash: optional(row.inputs_hash),
      outputHash: optional(row.output_hash),
      state: String(row.state) as JobRecordState,
      attempts: Number(row.attempts),
      startedAt: row.started_at === null ? undefined : Number(row.started_at),
      endedAt: row.ended_at === null ? undefined : Number(row.ended_at),
      resultSummary: optional(row.result_summary),
      hasResult: Number(row.has_result) === 1,
      error: row.error === null ? undefined : JSON.parse(String(row.error)),
      reusedFrom: optional(row.reused_from),
      logFile: row.log_file === null ? undefined : join(this.path, String(row.log_file)),
      logIncomplete: Number(row.log_incomplete) === 1,
    };
  }
}

function optional(value: SQLInputValue | undefined): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

function runNumber(id: string | number): number {
  const n = Number(id);
  return Number.isSafeInteger(n) && n > 0 ? n : -1;
}

function unusable(directory: string, error: unknown): StoreError {
  const readOnly = error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.NotCapable ||
    /read-only|readonly|permission denied|operation not permitted/i.test(errorText(error));
  return new StoreError(
    readOnly ? "read-only" : "missing",
    directory,
    readOnly
      ? `the run store ${directory} is read-only (${errorText(error)}): baton records runs ` +
        `there; make it writable, or give another store with --store PATH`
      : `cannot use the run store ${directory}: ${errorText(error)}`,
    { cause: error },
  );
}

/** Writes and removes a probe file: a read-only directory is refused before any job runs. */
function probeWritable(directory: string): void {
  const probe = join(directory, `.write-probe-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  try {
    Deno.writeFileSync(probe, new Uint8Array());
    Deno.removeSync(probe);
  } catch (error) {
    throw unusable(directory, error);
  }
}

function migrate(db: DatabaseSync, directory: string, file: string, create: boolean): void {
  const version = Number(
    (db.prepare("PRAGMA user_version").get() as Row).user_version ?? 0,
  );
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      "too-new",
      directory,
      `the run store ${file} was written by a newer baton (schema ${version}, this baton ` +
        `knows ${SCHEMA_VERSION}): upgrade baton, or give another store with --store PATH`,
    );
  }
  if (version === SCHEMA_VERSION) return;
  if (!create) {
    throw new StoreError("missing", directory, `no run store tables in ${file}`);
  }
  // Two runs may create the store at once: the write lock makes one do it.
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(SCHEMA_SQL);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
