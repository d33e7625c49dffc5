/**
 * Log files of one run: `logs/<run>/<job>.log`, one per job that writes
 * output, appended as the output arrives. A write that fails (disk full,
 * I/O error) never stops the run: that file stops growing, is marked
 * incomplete, and the owner hears about it once.
 *
 * @module
 */

import { dirname, join, relative } from "node:path";

const encoder = new TextEncoder();

/**
 * A job key as a relative file path: nested flows become folders; `/`,
 * `\`, control characters and dot-only segments are replaced.
 */
export function logFileName(key: string): string {
  const segments = key.split("/").map((segment) => {
    // deno-lint-ignore no-control-regex
    const clean = segment.replace(/[\\\x00-\x1f\x7f]/g, "_");
    return clean === "" ? "_" : /^\.+$/.test(clean) ? clean.replaceAll(".", "_") : clean;
  });
  return `${segments.join("/")}.log`;
}

/** What the owner of the log files is told. */
export interface LogEvents {
  /** A job's log file was made (`file` relative to the store). */
  created?(key: string, file: string): void;
  /** A write failed: the job's log is incomplete from now on. */
  failed?(key: string, file: string, error: unknown): void;
}

/**
 * The log files of one run, under `folder` (inside the store at `root`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LogFiles } from "./logs.ts";
 * const root = await Deno.makeTempDir();
 * const failures: unknown[] = [];
 * const logs = new LogFiles(root, `${root}/logs/3`, { failed: (_k, _f, e) => failures.push(e) });
 * logs.write("train", "epoch 1\n");
 * logs.close();
 * assert.equal(await Deno.readTextFile(logs.pathOf("train")), "epoch 1\n");
 * assert.deepEqual(failures, []);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export class LogFiles {
  readonly #root: string;
  readonly #folder: string;
  readonly #events: LogEvents;
  readonly #files = new Map<string, Deno.FsFile | null>();
  readonly #incomplete = new Set<string>();

  /** Log files in `folder`, reported relative to the store directory `root`. */
  constructor(root: string, folder: string, events: LogEvents = {}) {
    this.#root = root;
    this.#folder = folder;
    this.#events = events;
  }

  /** Keys of the jobs whose log lost some output. */
  get incomplete(): ReadonlySet<string> {
    return this.#incomplete;
  }

  /** The absolute path of a job's log file. */
  pathOf(key: string): string {
    return join(this.#folder, logFileName(key));
  }

  /** Appends `text` to the job's log; never throws. */
  write(key: string, text: string): void {
    if (text === "" || this.#incomplete.has(key)) return;
    let file = this.#files.get(key);
    const path = this.pathOf(key);
    try {
      if (file === undefined) {
        Deno.mkdirSync(dirname(path), { recursive: true });
        file = Deno.openSync(path, { create: true, append: true });
        this.#files.set(key, file);
        this.#events.created?.(key, relative(this.#root, path));
      }
      const bytes = encoder.encode(text);
      for (let written = 0; written < bytes.length;) {
        written += file!.writeSync(bytes.subarray(written));
      }
    } catch (error) {
      this.#incomplete.add(key);
      try {
        file?.close();
      } catch { /* already unusable */ }
      this.#files.set(key, null);
      this.#events.failed?.(key, relative(this.#root, path), error);
    }
  }

  /** Closes every file. */
  close(): void {
    for (const file of this.#files.values()) {
      try {
        file?.close();
      } catch { /* closing a broken file */ }
    }
    this.#files.clear();
  }
}
