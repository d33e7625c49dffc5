// Runs the CLI in a subprocess, as users do.
export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
export const FIXTURES = `${ROOT}/tests/fixtures/workflows`;
/**
 * The lockfile of tests, bench and the Redis example: it also pins the
 * optional (Redis) and test-only packages, which the root deno.lock leaves
 * out so that `deno task demo` installs only what the core needs.
 */
export const TEST_LOCK = `${ROOT}/tests/deno.lock`;

export interface CliOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command `deno run -A cli.ts ...args` from the repository root, output piped. */
export function cliCommand(args: string[], env: Record<string, string> = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `--lock=${TEST_LOCK}`, `${ROOT}/cli.ts`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs `deno run -A cli.ts ...args` to the end. */
export async function cli(args: string[], env: Record<string, string> = {}): Promise<CliOutput> {
  const out = await cliCommand(args, env).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** A copy of a fixture with PLACEHOLDER replaced, next to the original (so relative paths hold). */
export async function fixtureCopy(name: string, token: string): Promise<string> {
  const text = await Deno.readTextFile(`${FIXTURES}/${name}`);
  const path = `${FIXTURES}/tmp_${token}_${name}`;
  await Deno.writeTextFile(path, text.replaceAll("PLACEHOLDER", token));
  return path;
}

import assert from "node:assert/strict";
export { assert };
export const assertEquals: <T>(actual: T, expected: T, message?: string) => void = (a, e, m) =>
  assert.deepStrictEqual(a, e, m);
export const assertMatch = (text: string, re: RegExp): void => assert.match(text, re);
export const assertStringIncludes = (text: string, part: string): void =>
  assert.ok(text.includes(part), `expected to find ${JSON.stringify(part)} in:\n${text}`);

/** Reads a stream into `sink.text` as it comes. */
export async function collect(
  stream: ReadableStream<Uint8Array>,
  sink: { text: string },
): Promise<void> {
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) sink.text += chunk;
}

/** Polls `check` every 25 ms until it is true (a throw counts as not yet), or fails after `ms`. */
export async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (check()) return;
    } catch { /* not there yet */ }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${ms} ms)`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
