/**
 * Job output as whole lines: text arrives in pieces, views print lines.
 *
 * @module
 */

import type { OutputStream } from "../../wire/messages.ts";

/** One line of a job's output, without its newline. */
export interface OutputLine {
  /** The job's key in the run. */
  readonly key: string;
  /** Where it was written. */
  readonly stream: OutputStream;
  /** The line. */
  readonly text: string;
}

/** Splits each job's output (per stream) into lines; keeps partial lines until they end. */
export class LineSplitter {
  readonly #partial = new Map<string, string>();

  /** The complete lines in `text`, after what was left of the job's stream. */
  push(key: string, text: string, stream: OutputStream): OutputLine[] {
    const id = `${stream}\0${key}`;
    const parts = ((this.#partial.get(id) ?? "") + text).split(/\r?\n/);
    const rest = parts.pop()!;
    if (rest) this.#partial.set(id, rest);
    else this.#partial.delete(id);
    return parts.map((line) => ({ key, stream, text: line }));
  }

  /** The unfinished lines of a job (or of every job), now. */
  flush(key?: string): OutputLine[] {
    const out: OutputLine[] = [];
    for (const [id, text] of this.#partial) {
      const [stream, k] = id.split("\0") as [OutputStream, string];
      if (key !== undefined && k !== key) continue;
      out.push({ key: k, stream, text });
      this.#partial.delete(id);
    }
    return out;
  }
}

/** `train | text` for stdout, `train ! text` for stderr. */
export function prefixed(line: OutputLine): string {
  return `${line.key} ${line.stream === "stdout" ? "|" : "!"} ${line.text}`;
}
