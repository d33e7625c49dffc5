/**
 * Output of the command line: synchronous writes, so that nothing is lost
 * when the process exits right after, and whole lines reach pipes in order.
 *
 * @module
 */

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  for (let written = 0; written < bytes.length;) {
    written += file.writeSync(bytes.subarray(written));
  }
}

/** Writes `text` to stdout. */
export function out(text: string): void {
  writeAll(Deno.stdout, text);
}

/** Writes `text` to stderr. */
export function err(text: string): void {
  writeAll(Deno.stderr, text);
}
