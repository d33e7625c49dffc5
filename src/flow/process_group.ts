/**
 * A subprocess that is its own process group, so that ending it ends
 * everything it started.
 *
 * `Deno.Command`'s `detached: true` makes the child a session (and process
 * group) leader with `setsid()`; its pid is the group id, so one
 * `kill(-pid)` reaches the command and every process it forked. The child
 * is a tiny `sh` wrapper that first forks a watcher, then `exec`s the
 * command in its place (same pid, real exit status and signal). The
 * watcher reads a pipe from this process and kills the whole group when
 * it closes: when baton closes it at the end of the job, and when baton
 * dies in any way (Ctrl-C without a handler, SIGKILL, a crash), since a
 * detached group no longer gets the terminal's signals. It also keeps the
 * group id alive until the group is killed, so the id is never reused
 * under our feet.
 *
 * @module
 */

import { startTimer, stopTimer } from "../timers.ts";
import type { OutputStream } from "./events.ts";

// fd 3 keeps the pipe from baton for the watcher; the command gets /dev/null and not fd 3.
const WRAPPER = "exec 3<&0; " +
  "{ while read -r _ <&3; do :; done; kill -KILL 0; } </dev/null >/dev/null 2>&1 & " +
  'exec "$@" </dev/null 3<&-';

/** How long pipes may stay open after the process ended (held by a process that left the group). */
const PIPE_GRACE_MS = 200;

/** What a finished group process leaves. */
export interface GroupOutcome {
  /** The command's exit status. */
  readonly status: Deno.CommandStatus;
  /** All it wrote on stdout, decoded as UTF-8. */
  readonly stdout: string;
  /** All it wrote on stderr, decoded as UTF-8. */
  readonly stderr: string;
}

/** A running command in its own process group. */
export interface GroupProcess {
  /** The command's pid, which is also its process group id (except on Windows). */
  readonly pid: number;
  /** Kills the command and everything in its group (SIGKILL); harmless once it ended. */
  kill(): void;
  /**
   * Resolves when the command has exited: kills what is left of its group,
   * reads its pipes to the end (or for a short grace, if something outside
   * the group still holds them), and closes everything.
   */
  readonly done: Promise<GroupOutcome>;
}

/**
 * Starts `argv` as its own process group; `onOutput` gets each piece of
 * text as it arrives.
 */
export function spawnGroup(
  argv: readonly string[],
  options: { cwd?: string; env?: Record<string, string> },
  onOutput: (text: string, stream: OutputStream) => void,
): GroupProcess {
  const grouped = Deno.build.os !== "windows";
  const [program, ...args] = grouped ? ["sh", "-c", WRAPPER, "baton", ...argv] : argv;
  const child = new Deno.Command(program, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: grouped ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    detached: grouped,
  }).spawn();
  let exited = false;
  const kill = (): void => {
    try {
      if (grouped) Deno.kill(-child.pid, "SIGKILL");
      else if (!exited) child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  };
  const stdout = new Pump(child.stdout, "stdout", onOutput);
  const stderr = new Pump(child.stderr, "stderr", onOutput);
  const done = (async (): Promise<GroupOutcome> => {
    const status = await child.status;
    exited = true;
    if (grouped) {
      // The job is over when its process is: the rest of its group goes with it. The
      // watcher is still in the group, so the group id cannot have been reused.
      kill();
      await child.stdin.close().catch(() => {});
    }
    await drain([stdout, stderr]);
    return { status, stdout: stdout.text, stderr: stderr.text };
  })();
  return { pid: child.pid, kill, done };
}

/** Reads a pipe to the end, decoding as it goes. */
class Pump {
  readonly #parts: string[] = [];
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly finished: Promise<void>;

  constructor(
    stream: ReadableStream<Uint8Array>,
    name: OutputStream,
    onOutput: (text: string, stream: OutputStream) => void,
  ) {
    this.#reader = stream.getReader();
    this.finished = this.#read(name, onOutput);
  }

  get text(): string {
    return this.#parts.join("");
  }

  async #read(name: OutputStream, onOutput: (text: string, stream: OutputStream) => void) {
    const decoder = new TextDecoder();
    const take = (text: string) => {
      if (!text) return;
      this.#parts.push(text);
      onOutput(text, name);
    };
    try {
      for (;;) {
        const { value, done } = await this.#reader.read();
        if (done) break;
        take(decoder.decode(value, { stream: true }));
      }
    } catch {
      // Cancelled after the grace: keep what was read.
    } finally {
      take(decoder.decode());
      this.#reader.releaseLock();
    }
  }

  cancel(): Promise<void> {
    return this.#reader.cancel().catch(() => {});
  }
}

/** Waits for the pipes to close, for a short grace at most, then stops reading them. */
async function drain(pumps: Pump[]): Promise<void> {
  const all = Promise.all(pumps.map((p) => p.finished));
  let timer: ReturnType<typeof startTimer> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = startTimer(() => resolve("late"), PIPE_GRACE_MS);
  });
  const outcome = await Promise.race([all, late]);
  stopTimer(timer);
  if (outcome === "late") {
    await Promise.all(pumps.map((p) => p.cancel()));
    await all;
  }
}
