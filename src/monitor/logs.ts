/**
 * The live log tail: output of futures (task event `output`) and jobs (flow
 * event `job-output`) kept per future or job, line by line, within a byte
 * budget. Lines are kept whole; views cut them, the raw route does not.
 *
 * @module
 */

/** One line of output. */
export interface LogLine {
  /** Increasing within its future or job, from 1. */
  seq: number;
  /** When its first part arrived (milliseconds since the epoch). */
  time: number;
  /** `"stdout"`, `"stderr"` or what the emitter said. */
  stream: string;
  /** The text, without its newline. */
  text: string;
  /** Whether the line has not ended yet (more may be appended to it). */
  open: boolean;
}

/** What `read()` returns. */
export interface LogPage {
  lines: LogLine[];
  /** Lines of this key let go of (before the first one kept). */
  dropped: number;
}

interface Tail {
  lines: LogLine[];
  /** Index of the first kept line in `lines` (dropping from the front without shifting). */
  head: number;
  nextSeq: number;
  bytes: number;
  dropped: number;
  /** The unfinished last line of each stream, which its next chunk continues. */
  open: Map<string, LogLine>;
}

/** Output per future or job, bounded by lines per key and by bytes in all. */
export class LogStore {
  readonly #tails = new Map<string, Tail>();
  readonly #linesPerKey: number;
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(options: { linesPerKey: number; maxBytes: number }) {
    this.#linesPerKey = options.linesPerKey;
    this.#maxBytes = options.maxBytes;
  }

  /** Bytes held (two per character, as JavaScript strings take). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether `key` has output. */
  has(key: string): boolean {
    return this.#tails.has(key);
  }

  /**
   * Adds a chunk of output: split into lines; a chunk that does not end with
   * a newline leaves its last line open, and the next chunk of the same
   * stream continues it.
   */
  write(key: string, text: string, stream: string, time: number): void {
    let tail = this.#tails.get(key);
    if (!tail) {
      tail = { lines: [], head: 0, nextSeq: 1, bytes: 0, dropped: 0, open: new Map() };
      this.#tails.set(key, tail);
    }
    const pieces = text.split("\n");
    const open = tail.open.get(stream);
    let first = 0;
    if (open) {
      open.text += pieces[0];
      this.#grow(tail, pieces[0].length);
      first = 1;
      if (pieces.length > 1) {
        open.open = false;
        tail.open.delete(stream);
      }
    }
    for (let i = first; i < pieces.length; i++) {
      const closed = i < pieces.length - 1;
      // A chunk ending in a newline leaves an empty last piece: nothing to add.
      if (!closed && pieces[i] === "") break;
      const line = { seq: tail.nextSeq++, time, stream, text: pieces[i], open: !closed };
      tail.lines.push(line);
      if (!closed) tail.open.set(stream, line);
      this.#grow(tail, pieces[i].length + 32);
      if (tail.lines.length - tail.head > this.#linesPerKey) this.#dropOne(tail);
    }
    if (tail.head > 1024 && tail.head * 2 > tail.lines.length) {
      tail.lines = tail.lines.slice(tail.head);
      tail.head = 0;
    }
    this.#enforceBudget(tail);
  }

  /** Lines of `key` after `after` (a `seq`), at most `limit`. */
  read(key: string, after: number, limit: number): LogPage {
    const tail = this.#tails.get(key);
    if (!tail) return { lines: [], dropped: 0 };
    const out: LogLine[] = [];
    for (let i = tail.head; i < tail.lines.length && out.length < limit; i++) {
      if (tail.lines[i].seq > after) out.push(tail.lines[i]);
    }
    return { lines: out, dropped: tail.dropped };
  }

  /** Every kept line of `key`, whole, as text. */
  text(key: string): string | undefined {
    const tail = this.#tails.get(key);
    if (!tail) return undefined;
    let text = "";
    for (let i = tail.head; i < tail.lines.length; i++) text += `${tail.lines[i].text}\n`;
    return text;
  }

  #grow(tail: Tail, chars: number): void {
    tail.bytes += chars * 2;
    this.#bytes += chars * 2;
  }

  #dropOne(tail: Tail): void {
    const line = tail.lines[tail.head];
    tail.lines[tail.head++] = undefined as unknown as LogLine;
    if (tail.open.get(line.stream) === line) tail.open.delete(line.stream);
    const size = (line.text.length + 32) * 2;
    tail.bytes -= size;
    this.#bytes -= size;
    tail.dropped++;
  }

  /** Over budget: the oldest output goes first (keys in the order they first wrote). */
  #enforceBudget(current: Tail): void {
    if (this.#bytes <= this.#maxBytes) return;
    for (const [key, tail] of this.#tails) {
      // The line just written stays, even when it alone is over the budget.
      while (
        this.#bytes > this.#maxBytes && tail.lines.length - tail.head > (tail === current ? 1 : 0)
      ) {
        this.#dropOne(tail);
      }
      if (tail.lines.length === tail.head && tail !== current) this.#tails.delete(key);
      if (this.#bytes <= this.#maxBytes) return;
    }
  }
}
