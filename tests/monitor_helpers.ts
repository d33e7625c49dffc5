/** Helpers for the monitor tests: SSE reading and a Prometheus text parser. */
import assert from "node:assert/strict";

/** One parsed SSE message. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/** Reads SSE messages from a response body until `done(messages)` or the deadline. */
export class SseReader {
  readonly messages: SseMessage[] = [];
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** Reads until `done` holds; fails after `ms`. */
  async until(done: (messages: SseMessage[]) => boolean, ms = 10_000): Promise<SseMessage[]> {
    const deadline = Date.now() + ms;
    while (!done(this.messages)) {
      const left = deadline - Date.now();
      assert.ok(left > 0, `SSE: condition not met in ${ms} ms; got ${this.messages.length}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), left));
      const next = await Promise.race([this.#reader.read(), timeout]);
      clearTimeout(timer);
      if (next === "timeout") continue;
      if (next.done) throw new Error("SSE stream ended");
      this.#buffer += this.#decoder.decode(next.value, { stream: true });
      this.#parse();
    }
    return this.messages;
  }

  /** Data messages (the default `message` type), parsed as JSON. */
  // deno-lint-ignore no-explicit-any
  events(): any[] {
    return this.messages.filter((m) => m.event === "message").map((m) => JSON.parse(m.data));
  }

  /** Reads and parses to the end of the stream. */
  async drain(): Promise<SseMessage[]> {
    for (;;) {
      const next = await this.#reader.read();
      if (next.done) return this.messages;
      this.#buffer += this.#decoder.decode(next.value, { stream: true });
      this.#parse();
    }
  }

  /** Cancels the stream (the server side drops the client). */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }

  #parse(): void {
    let end: number;
    while ((end = this.#buffer.indexOf("\n\n")) >= 0) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const message: SseMessage = { event: "message", data: "" };
      let hasData = false;
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "id") message.id = value;
        else if (field === "event") message.event = value;
        else if (field === "data") {
          message.data += (hasData ? "\n" : "") + value;
          hasData = true;
        }
      }
      if (hasData) this.messages.push(message);
    }
  }
}

/** A sample of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses the Prometheus text exposition format strictly enough to catch
 * mistakes: every sample must belong to a declared family, label values
 * must be well escaped, values must be numbers, and histograms must have
 * cumulative buckets ending in `+Inf` equal to `_count`.
 */
export function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  assert.ok(text.endsWith("\n"), "exposition must end with a newline");
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const nameRe = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) {
      assert.match(line.split(" ")[2], nameRe, line);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      assert.match(name, nameRe, line);
      assert.ok(["counter", "gauge", "histogram", "summary", "untyped"].includes(type), line);
      assert.ok(!types.has(name), `family ${name} declared twice`);
      types.set(name, type);
      continue;
    }
    assert.ok(
      !line.startsWith("#") && line.trim() !== "",
      `unexpected line ${JSON.stringify(line)}`,
    );
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `malformed sample ${JSON.stringify(line)}`);
    const [, name, rawLabels, rawValue] = m;
    const labels: Record<string, string> = {};
    if (rawLabels) {
      const labelRe = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"\s*(,|$)/y;
      let pos = 0;
      while (pos < rawLabels.length) {
        labelRe.lastIndex = pos;
        const lm = labelRe.exec(rawLabels);
        assert.ok(lm, `malformed labels in ${JSON.stringify(line)}`);
        labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
        pos = labelRe.lastIndex;
      }
    }
    const value = rawValue === "+Inf"
      ? Infinity
      : rawValue === "-Inf"
      ? -Infinity
      : Number(rawValue);
    assert.ok(!Number.isNaN(value) || rawValue === "NaN", `bad value in ${line}`);
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
    assert.ok(types.has(family), `sample ${name} has no # TYPE`);
    if (family !== name) {
      assert.equal(types.get(family), "histogram", `${name} suffix on non-histogram`);
    }
    samples.push({ name, labels, value });
  }
  for (const [family, type] of types) {
    if (type !== "histogram") continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((s) => s.name === `${family}_bucket`)) {
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      let previous = -1;
      let previousLe = -Infinity;
      for (const b of buckets) {
        const le = b.labels.le === "+Inf" ? Infinity : Number(b.labels.le);
        assert.ok(le > previousLe, `${family} ${key}: le not increasing`);
        assert.ok(b.value >= previous, `${family} ${key}: buckets not cumulative`);
        previous = b.value;
        previousLe = le;
      }
      assert.equal(previousLe, Infinity, `${family} ${key}: no +Inf bucket`);
      const count = samples.find((s) =>
        s.name === `${family}_count` && JSON.stringify(s.labels) === key
      );
      assert.equal(count?.value, previous, `${family} ${key}: +Inf bucket != _count`);
    }
  }
  return { types, samples };
}

/** Polls `check` until it returns true; fails after `ms`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A GET over a raw connection with the `Host` header given (`fetch` sets
 * its own); returns the status code.
 */
export async function statusWithHost(url: string, path: string, host: string): Promise<number> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET /${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    let text = "";
    const buffer = new Uint8Array(4096);
    while (!text.includes("\r\n")) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  } finally {
    conn.close();
  }
}
