/**
 * The raw references of the process rows: `deno run` children speaking
 * length-prefixed JSON frames over stdio (bench/fixtures/framed_child.ts),
 * with no pool, no scheduler and no limits — what the pipes themselves cost.
 *
 * @module
 */

import { measure, type Measurement } from "./stats.ts";

const CHILD = new URL("./fixtures/framed_child.ts", import.meta.url).pathname;
const HEADER = 8;
const MAGIC = 0x42544e31;

/** One raw child: frames out batched per tick, answers split off its stdout. */
class RawChild {
  readonly process: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder = new TextEncoder();
  #pending: Uint8Array[] = [];
  #flushing = false;
  readonly reading: Promise<void>;

  constructor(onAnswer: (id: number) => void) {
    this.process = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-lock", CHILD],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.process.stdin.getWriter();
    this.#writer.closed.catch(() => {});
    this.reading = this.#read(onAnswer);
  }

  send(id: number, x: number): void {
    const payload = this.#encoder.encode(JSON.stringify({ id, x }));
    const frame = new Uint8Array(HEADER + payload.length);
    const view = new DataView(frame.buffer);
    view.setUint32(0, MAGIC);
    view.setUint32(4, payload.length);
    frame.set(payload, HEADER);
    this.#pending.push(frame);
    if (!this.#flushing) {
      this.#flushing = true;
      queueMicrotask(() => this.#flush());
    }
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const frames = this.#pending;
      this.#pending = [];
      let size = 0;
      for (const f of frames) size += f.length;
      const batch = new Uint8Array(size);
      let at = 0;
      for (const f of frames) {
        batch.set(f, at);
        at += f.length;
      }
      await this.#writer.write(batch).catch(() => {});
    }
    this.#flushing = false;
  }

  async #read(onAnswer: (id: number) => void): Promise<void> {
    const decoder = new TextDecoder();
    // One buffer, handed back by each BYOB read; unread bytes stay at its start.
    const reader = this.process.stdout.getReader({ mode: "byob" });
    let buffer = new ArrayBuffer(1 << 16);
    let end = 0;
    try {
      for (;;) {
        if (end === buffer.byteLength) {
          const bigger = new Uint8Array(buffer.byteLength * 2);
          bigger.set(new Uint8Array(buffer));
          buffer = bigger.buffer;
        }
        const { value, done } = await reader.read(new Uint8Array(buffer, end));
        if (done || !value) break;
        buffer = value.buffer as ArrayBuffer;
        end += value.byteLength;
        const bytes = new Uint8Array(buffer);
        const view = new DataView(buffer);
        let start = 0;
        while (end - start >= HEADER) {
          const length = view.getUint32(start + 4);
          if (end - start < HEADER + length) break;
          const { id } = JSON.parse(
            decoder.decode(bytes.subarray(start + HEADER, start + HEADER + length)),
          );
          start += HEADER + length;
          onAnswer(id);
        }
        bytes.copyWithin(0, start, end);
        end -= start;
      }
    } catch { /* killed */ }
  }

  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.reading;
    await this.process.status;
  }
}

/** `children` raw children, `inFlight` calls outstanding, `total` calls timed after a warm-up. */
export async function rawThroughput(
  children: number,
  inFlight: number,
  total: number,
): Promise<Measurement> {
  const sentAt = new Float64Array(total);
  const latencies: number[] = [];
  let sent = 0;
  let warm = 0;
  let onWarm = () => {};
  let done = () => {};
  const pool: RawChild[] = [];
  const onAnswer = (child: RawChild) => (id: number) => {
    if (id < 0) {
      if (++warm === children) onWarm();
      return;
    }
    latencies.push(performance.now() - sentAt[id]);
    if (latencies.length === total) done();
    else if (sent < total) send(child);
  };
  const send = (child: RawChild) => {
    sentAt[sent] = performance.now();
    child.send(sent++, 1);
  };
  for (let i = 0; i < children; i++) {
    const child: RawChild = new RawChild((id) => handler(id));
    const handler = onAnswer(child);
    pool.push(child);
  }
  await new Promise<void>((resolve) => {
    onWarm = resolve;
    for (const child of pool) child.send(-1, 0);
  });
  const started = performance.now();
  await new Promise<void>((resolve) => {
    done = resolve;
    for (let i = 0; i < inFlight; i++) send(pool[i % children]);
  });
  const elapsed = performance.now() - started;
  await Promise.all(pool.map((c) => c.close()));
  return measure(latencies, elapsed);
}

/**
 * Ms from SIGKILL of a raw child to a freshly spawned one answering its
 * first frame, `rounds` times; the median is the measurement's `p50`.
 */
export async function rawKillRespawn(rounds: number): Promise<Measurement> {
  const costs: number[] = [];
  let answered = () => {};
  const spawn = () => new RawChild(() => answered());
  let child = spawn();
  await new Promise<void>((resolve) => {
    answered = resolve;
    child.send(0, 0);
  });
  for (let round = 0; round < rounds; round++) {
    const at = performance.now();
    child.process.kill("SIGKILL");
    await child.process.status;
    child = spawn();
    await new Promise<void>((resolve) => {
      answered = resolve;
      child.send(0, 0);
    });
    costs.push(performance.now() - at);
  }
  await child.close();
  const m = measure(costs, 1);
  return { ...m, perSecond: 1000 / m.p50 };
}
