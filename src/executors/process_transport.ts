/**
 * One `deno run` subprocess as a pool {@linkcode Transport}: frames on its
 * stdin/stdout, stderr kept (a tail) for diagnostics, CPU limits applied to
 * the running process before each call, its resident set watched while a
 * call with a memory limit runs, and its death classified as the limit the
 * running call hit or as a crash.
 *
 * @module
 */

import { startTimer, stopTimer, type Timer } from "../timers.ts";
import type { FromWorker, ToWorker, WireError } from "../wire/messages.ts";
import { decodeError, encodeError } from "../wire/codec.ts";
import type { Dispatch, Transport, TransportEvents } from "./pool.ts";
import { encodeFrame, FrameBatch, FrameReader } from "../wire/framing.ts";
import { connectBackArgs } from "./process_flags.ts";
import {
  cpuTimeUsed,
  findTool,
  resetPeakResidentSet,
  residentSet,
  setCpuLimit,
} from "./prlimit.ts";
import { CpuTimeLimitError, MemoryLimitError, WorkerCrashedError } from "../wire/errors.ts";

/** How to start one process. */
export interface ProcessSpec {
  /** Arguments of `deno` (`run`, flags, main module). */
  readonly denoArgs: readonly string[];
  /** RLIMIT_DATA in bytes, set as the process starts. */
  readonly dataLimit?: number;
  /** Copy the child's stderr to ours (it is always kept for crash reports). */
  readonly forwardStderr: boolean;
}

/** A process transport; `done` settles once the child exited and its pipes closed. */
export interface ProcessTransport extends Transport {
  /** Settles when the child has exited and every pipe is closed. */
  readonly done: Promise<void>;
}

const STDERR_TAIL = 4096;
/** How often the resident set of a process whose call has a memory limit is read, in ms. */
const MEMORY_SAMPLE_MS = 20;
/** What V8 says when the data-segment cap (or the system) refuses an allocation. */
const ALLOCATION_REFUSED =
  /Array buffer allocation failed|allocation failed|could not allocate memory|out of memory/i;

interface Running {
  readonly dispatch: Dispatch;
  /** CPU time the process had used when the call started, in ms. */
  cpuBase?: number;
  watch?: Timer;
  /** CPU time the call had used when the parent killed it for that, in ms. */
  cpuKilledAt?: number;
  /** The highest resident set seen while it ran, in bytes. */
  peak?: number;
  /** Whether the kernel's peak (`VmHWM`) was reset as it started, so it counts this call only. */
  peakReset?: boolean;
  memoryWatch?: ReturnType<typeof setTimeout>;
  /** Set when the parent killed the process for going over the memory limit. */
  memoryKilled?: boolean;
}

/** Starts a subprocess; messages and its death are reported through `events`. */
export function spawnProcess(spec: ProcessSpec, events: TransportEvents): ProcessTransport {
  return new ProcessChannel(spec, events);
}

/** In the write queue: lift the CPU limit a call before left, before what follows is written. */
const LIFT = Symbol("lift the CPU limit");

/** A call with a CPU or memory limit: its frame is written once its limits are in place. */
interface Limited {
  readonly running: Running;
  readonly frame: Uint8Array;
}

/**
 * Pipelining: calls without CPU or memory limits are written as they come
 * (several per child; the pool decides how many), batched into one write
 * per tick. A call with a CPU or memory limit is exclusive (the pool sends
 * it only to an idle child and nothing else until it answers), so the
 * process's CPU time and resident set during it are its own: its CPU limit
 * is set on the process just before its frame is written and lifted before
 * the next call's.
 */
class ProcessChannel implements ProcessTransport {
  readonly pid: number;
  readonly done: Promise<void>;
  readonly #child: Deno.ChildProcess;
  readonly #events: TransportEvents;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  /** Where the child connects back to read its frames, when it can (see `openSocket`). */
  readonly #socket?: Socket;
  /** That connection, once the child made it; until then writes wait. */
  #conn?: Promise<Deno.Conn>;
  readonly #ready = Promise.withResolvers<void>();
  /** Frames not yet queued for writing (the current tick's). */
  readonly #batch = new FrameBatch(4096);
  /** What waits to be written, in order. */
  readonly #queue: Array<Uint8Array | Limited | typeof LIFT> = [];
  #flushing = false;
  /** Calls written (or about to be), in the order the child runs them: the first runs. */
  readonly #calls: Running[] = [];
  #cpuLimited = false;
  #liftQueued = false;
  #isReady = false;
  #killed = false;
  /** Killed by this channel after its call answered (over its memory limit): no crash to report. */
  #retiring = false;
  /** What that call ends with, reported when the process is gone. */
  #retiredWith?: Error;
  #exited = false;
  #protocolError?: string;
  #stderr = "";

  constructor(spec: ProcessSpec, events: TransportEvents) {
    this.#events = events;
    let socket = openSocket();
    const socketArgs = socket && connectBackArgs(spec.denoArgs, socket.path);
    if (!socketArgs) {
      socket?.close();
      socket = undefined;
    }
    this.#socket = socket;
    const [command, args] = wrap(socketArgs ? { ...spec, denoArgs: socketArgs } : spec);
    this.#child = new Deno.Command(command, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.#child.pid;
    this.#writer = this.#child.stdin.getWriter();
    this.#writer.closed.catch(() => {/* the child died; reported by status */});
    this.#ready.promise.catch(() => {/* only awaited by writes, which handle it */});
    if (this.#socket) {
      const socket = this.#socket;
      this.#conn = socket.listener.accept().finally(() => socket.close());
      this.#conn.catch(() => {/* the child died first; writes handle it */});
    }
    this.done = Promise.all([
      this.#readFrames(),
      this.#readStderr(spec.forwardStderr),
      this.#child.status,
    ]).then(([, , status]) => this.#onExit(status));
  }

  /** The call the child runs now. */
  get #running(): Running | undefined {
    return this.#calls[0];
  }

  post(message: ToWorker, dispatch?: Dispatch): void {
    if (message.t === "call" && dispatch) {
      const running: Running = { dispatch };
      const { cpuTime, memory } = dispatch.limits;
      if (cpuTime !== undefined || memory !== undefined) {
        // Serialize now, so that a value that cannot be cloned throws to the caller.
        const frame = encodeFrame(message);
        this.#cut();
        this.#queue.push({ running, frame });
      } else {
        if (this.#cpuLimited && !this.#liftQueued) {
          this.#cut();
          this.#queue.push(LIFT);
          this.#liftQueued = true;
        }
        this.#batch.add(message);
      }
      this.#calls.push(running);
    } else {
      this.#batch.add(message);
    }
    if (!this.#flushing) {
      this.#flushing = true;
      queueMicrotask(() => this.#flush());
    }
  }

  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    this.#stopWatch();
    this.#ready.reject(new Error("killed"));
    this.#signal("SIGKILL");
  }

  /** Moves the frames of this tick into the write queue. */
  #cut(): void {
    if (this.#batch.size > 0) this.#queue.push(this.#batch.take());
  }

  /** Writes the queue in order; one write for each run of plain frames. */
  async #flush(): Promise<void> {
    try {
      if (!this.#isReady) await this.#ready.promise;
      for (;;) {
        this.#cut();
        const item = this.#queue.shift();
        if (item === undefined) break;
        if (item instanceof Uint8Array) await this.#write(item);
        else if (item === LIFT) {
          this.#liftQueued = false;
          if (!(await this.#applyCpuLimit(undefined))) return;
        } else {
          if (!(await this.#applyCpuLimit(item.running))) return;
          await this.#write(item.frame);
          const memory = item.running.dispatch.limits.memory;
          if (memory !== undefined) this.#watchMemory(item.running, memory);
        }
      }
    } catch {
      // A failed write means the child is gone; its exit is reported from its status.
    } finally {
      this.#flushing = false;
    }
  }

  /** Writes to the child's socket, or else its stdin. */
  async #write(bytes: Uint8Array): Promise<void> {
    if (!this.#conn) return this.#writer.write(bytes);
    const conn = await this.#conn;
    for (let written = 0; written < bytes.byteLength;) {
      written += await conn.write(bytes.subarray(written));
    }
  }

  /** Sets (or lifts) the CPU limit; `false` when it could not, and the process is ended. */
  async #applyCpuLimit(running: Running | undefined): Promise<boolean> {
    try {
      await this.#limitCpu(running);
      return true;
    } catch (error) {
      if (this.#killed || this.#exited || Number.isNaN(cpuTimeUsed(this.pid))) return false;
      // A limit that cannot be applied must not silently pass: end the process.
      this.#protocolError = `could not set its CPU limit (${(error as Error)?.message})`;
      this.#signal("SIGKILL");
      return false;
    }
  }

  /** Sets the kernel CPU limit for this call, or lifts one left by an earlier call. */
  async #limitCpu(running: Running | undefined): Promise<void> {
    const limit = running?.dispatch.limits.cpuTime;
    if (limit === undefined) {
      if (this.#cpuLimited) await setCpuLimit(this.pid, "unlimited");
      this.#cpuLimited = false;
      return;
    }
    const base = cpuTimeUsed(this.pid);
    if (Number.isNaN(base)) throw new Error(`process ${this.pid} is gone`);
    running!.cpuBase = base;
    // RLIMIT_CPU counts whole seconds of the process's total: round up, never down.
    await setCpuLimit(this.pid, Math.ceil((base + limit) / 1000));
    this.#cpuLimited = true;
    this.#watchCpu(running!, limit);
  }

  /**
   * The kernel's limit has one-second steps and SIGXCPU can be caught, so the
   * parent also checks the child's CPU time when the limit could first be
   * reached, and kills it (SIGKILL) once it is.
   */
  #watchCpu(running: Running, limit: number): void {
    const check = () => {
      if (this.#running !== running) return;
      const used = cpuTimeUsed(this.pid) - running.cpuBase!;
      if (Number.isNaN(used)) return;
      if (used >= limit) {
        running.cpuKilledAt = used;
        this.#signal("SIGKILL");
        return;
      }
      running.watch = startTimer(check, Math.max(10, limit - used));
    };
    running.watch = startTimer(check, limit);
  }

  /**
   * Samples the resident set while the call runs, and kills the process the
   * first time it is over the limit: memory V8 does not manage (typed
   * arrays, Wasm, native code) counts too.
   */
  #watchMemory(running: Running, limit: number): void {
    if (this.#running !== running) return;
    running.peakReset = resetPeakResidentSet(this.pid);
    const check = () => {
      if (this.#running !== running) return;
      const memory = residentSet(this.pid);
      if (memory) {
        running.peak = Math.max(running.peak ?? 0, memory.rss);
        if (memory.rss > limit) {
          running.memoryKilled = true;
          this.#signal("SIGKILL");
          return;
        }
      }
      running.memoryWatch = setTimeout(check, MEMORY_SAMPLE_MS);
    };
    check();
  }

  #stopWatch(running = this.#running): void {
    stopTimer(running?.watch);
    clearTimeout(running?.memoryWatch);
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch { /* already exited */ }
  }

  async #readFrames(): Promise<void> {
    const reader = new FrameReader();
    // A BYOB read fills one buffer, handed back each time: no fresh 64 kB chunk per read.
    const stdout = this.#child.stdout.getReader({ mode: "byob" });
    let buffer = new ArrayBuffer(64 * 1024);
    try {
      for (;;) {
        const { value: chunk, done } = await stdout.read(new Uint8Array(buffer));
        if (done || !chunk) break;
        buffer = chunk.buffer as ArrayBuffer;
        if (this.#protocolError) continue; // drain until the child is gone
        try {
          for (const message of reader.push(chunk)) this.#onMessage(message as FromWorker);
        } catch (error) {
          this.#protocolError = `its stdout carried something other than baton frames (${
            (error as Error).message
          }); task code must not write to the real stdout`;
          this.#signal("SIGKILL");
        }
      }
    } catch { /* the pipe broke as the child died */ }
  }

  #onMessage(message: FromWorker): void {
    if (this.#killed) return;
    if (message.t === "ready") {
      this.#isReady = true;
      this.#ready.resolve();
      this.#events.ready();
      return;
    }
    if (message.t === "ok" || message.t === "err" || message.t === "dropped") {
      const calls = this.#calls;
      const id = message.id;
      // Nearly always the first: calls answer in order, a dropped one aside.
      const index = calls[0]?.dispatch.call.id === id
        ? 0
        : calls.findIndex((r) => r.dispatch.call.id === id);
      if (index >= 0) {
        const running = calls[index];
        const limit = running.dispatch.limits.memory;
        if (limit !== undefined && message.t !== "dropped") {
          message = this.#checkMemory(running, limit, message);
          if (this.#retiring && message.t === "err") {
            // Reported as the end of this call once the process is gone: until then
            // the pool sees the call running, so it sends nothing more here.
            this.#stopWatch(running);
            this.#retiredWith = decodeError(message.error);
            return;
          }
        }
        if (index === 0) calls.shift();
        else calls.splice(index, 1);
        this.#stopWatch(running);
      }
    }
    this.#events.message(message);
  }

  /**
   * A call with a memory limit that answered: over the limit at its peak, it
   * is rejected and its process replaced; an allocation refused under the
   * limit is a `MemoryLimitError` too, never a bare `RangeError`.
   */
  #checkMemory(
    running: Running,
    limit: number,
    message: Extract<FromWorker, { t: "ok" | "err" }>,
  ): FromWorker {
    const memory = residentSet(this.pid);
    const peak = Math.max(
      running.peak ?? 0,
      memory?.rss ?? 0,
      running.peakReset && memory && !Number.isNaN(memory.peak) ? memory.peak : 0,
    );
    const reject = (detail: string, cause?: WireError): FromWorker => ({
      t: "err",
      id: message.id,
      error: encodeError(
        new MemoryLimitError(
          limit,
          peak || undefined,
          detail,
          cause ? { cause: decodeError(cause) } : undefined,
        ),
      ),
    });
    if (peak > limit) {
      // Its memory may still be held: the next call gets a fresh process.
      this.#retiring = true;
      this.#signal("SIGKILL");
      return reject(`; process ${this.pid} went over it (resident set) and was replaced`);
    }
    if (
      message.t === "err" && message.error.chain?.includes("RangeError") &&
      ALLOCATION_REFUSED.test(message.error.message)
    ) {
      return reject(`; an allocation was refused (${message.error.message})`, message.error);
    }
    return message;
  }

  async #readStderr(forward: boolean): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of this.#child.stderr) {
        if (forward) await Deno.stderr.write(chunk).catch(() => 0);
        this.#stderr = (this.#stderr + decoder.decode(chunk, { stream: true })).slice(-STDERR_TAIL);
      }
    } catch { /* the pipe broke as the child died */ }
  }

  #onExit(status: Deno.CommandStatus): void {
    this.#exited = true;
    this.#stopWatch();
    this.#ready.reject(new Error("exited"));
    this.#writer.close().catch(() => {});
    this.#socket?.close();
    this.#conn?.then((conn) => conn.close(), () => {}).catch(() => {/* already closed */});
    if (this.#killed) return; // the pool ended it and has already moved on
    this.#events.exit(this.#retiredWith ?? this.#classify(status));
  }

  /** Which limit the running call hit, or a crash report. */
  #classify(status: Deno.CommandStatus): Error {
    const running = this.#running;
    const limits = running?.dispatch.limits ?? {};
    const signal = status.signal ?? undefined;
    const stderr = stripAnsi(this.#stderr);
    if (running && limits.cpuTime !== undefined) {
      const observed = running.cpuKilledAt ??
        (signal === "SIGXCPU"
          ? Math.ceil(running.cpuBase! / 1000 + limits.cpuTime / 1000) * 1000 -
            running.cpuBase!
          : undefined);
      if (observed !== undefined) {
        return new CpuTimeLimitError(limits.cpuTime, observed, `; process ${this.pid} was killed`);
      }
    }
    if (running && limits.memory !== undefined && running.memoryKilled) {
      return new MemoryLimitError(
        limits.memory,
        running.peak,
        `; process ${this.pid} went over it (resident set) and was killed`,
      );
    }
    if (
      running && limits.memory !== undefined &&
      (signal === "SIGTRAP" || status.code === 133 ||
        /out of memory|memory allocation of \d+ bytes failed/i.test(stderr))
    ) {
      return new MemoryLimitError(
        limits.memory,
        running.peak ?? lastHeapSize(stderr),
        `; process ${this.pid} ran out of memory and was replaced`,
      );
    }
    const name = running?.dispatch.call.task ?? (running?.dispatch.call.fn.name || "a call");
    const what = !this.#isReady
      ? ` at start-up${running ? ` (${name} was waiting for it)` : ""}`
      : running
      ? ` while running ${name}`
      : "";
    const how = this.#protocolError ??
      (signal ? `was killed by ${signal}` : `exited with code ${status.code}`);
    return new WorkerCrashedError(
      `process ${this.pid} ${how}${what}; it was replaced${
        stderr.trim() ? `. Its stderr ended with:\n${lastLines(stderr, 10)}` : ""
      }`,
      { code: status.code, signal, stderr },
    );
  }
}

interface Socket {
  readonly path: string;
  readonly listener: Deno.UnixListener;
  /** Stops listening and removes the socket and its directory (the connection stays). */
  close(): void;
}

/**
 * A Unix socket in a fresh private directory, for one child to connect
 * back to. Frames to the child go over it rather than its stdin: Deno
 * reads stdin on a blocking thread (a thread hop per read, on top of the
 * wake-up), a socket on the event loop. Measured in bench/process_hop.ts:
 * a quarter to a half less CPU per call in the child. `undefined` when this
 * process may not make one: the child then reads its stdin.
 */
function openSocket(): Socket | undefined {
  let dir: string;
  let listener: Deno.UnixListener;
  try {
    dir = Deno.makeTempDirSync({ prefix: "baton-" });
  } catch {
    return undefined;
  }
  const path = `${dir}/s`;
  try {
    listener = Deno.listen({ transport: "unix", path });
  } catch {
    Deno.removeSync(dir, { recursive: true });
    return undefined;
  }
  let open = true;
  return {
    path,
    listener,
    close() {
      if (!open) return;
      open = false;
      listener.close();
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* gone */ }
    },
  };
}

/** The command line: deno, under prlimit (data limit) and setpriv (dies with its parent). */
function wrap(spec: ProcessSpec): [string, string[]] {
  // In a `deno compile` binary execPath() is the binary, which does not take
  // deno's `run`: it serves as a child through its hidden `__worker` command.
  let argv = Deno.build.standalone
    ? [Deno.execPath(), "__worker", ...spec.denoArgs]
    : [Deno.execPath(), ...spec.denoArgs];
  const prlimit = findTool("prlimit");
  if (spec.dataLimit !== undefined && prlimit) {
    argv = [prlimit, `--data=${spec.dataLimit}`, "--", ...argv];
  }
  // Without it a child busy in a loop would outlive a parent that crashed.
  const setpriv = findTool("setpriv");
  if (setpriv) argv = [setpriv, "--pdeathsig", "KILL", "--", ...argv];
  return [argv[0], argv.slice(1)];
}

/** The heap size V8 last reported before running out of memory, in bytes. */
function lastHeapSize(stderr: string): number | undefined {
  const sizes = [...stderr.matchAll(/(\d+(?:\.\d+)?) \(\d+(?:\.\d+)?\) -> /g)];
  const last = sizes.at(-1);
  return last ? Math.round(Number(last[1]) * 1024 ** 2) : undefined;
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}

function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}
