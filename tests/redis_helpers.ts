/**
 * Test helpers for the Redis executor: a private redis-server on a free
 * loopback port (or the server of `BATON_TEST_REDIS_URL`, for tests that
 * need not restart it), and `baton worker` subprocesses. Tests never use a
 * Redis they did not start or were not given.
 */

const WORKER_ENTRY = new URL("../cli.ts", import.meta.url).pathname;
const TEST_LOCK = new URL("./deno.lock", import.meta.url).pathname;

/** A Redis server given to the tests; each test still uses queues of its own. */
const GIVEN = Deno.env.get("BATON_TEST_REDIS_URL");

/** Why Redis tests cannot run here, or undefined when they can. */
export const noRedis: string | undefined = GIVEN ? undefined : await (async () => {
  try {
    const { success } = await new Deno.Command("redis-server", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success ? undefined : "redis-server --version failed";
  } catch {
    return "no redis-server binary on PATH (apt-get install redis-server)";
  }
})();

let told = false;

/** Declares a Redis test; skipped, with the reason printed, when redis-server is missing. */
export function redisTest(name: string, fn: () => Promise<void>): void {
  if (noRedis && !told) {
    told = true;
    console.log(`Skipping Redis tests: ${noRedis}`);
  }
  Deno.test({ name, ignore: noRedis !== undefined, fn });
}

/** A free TCP port on 127.0.0.1 (the listener is closed again at once). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Polls `check` until it is truthy; throws after `timeout` ms naming `what`. */
export async function until<T>(what: string, check: () => T | Promise<T>, timeout = 20_000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out after ${timeout}ms waiting for ${what}`);
}

/** A private redis-server. */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** The server's process id (while it runs). */
  readonly pid: number;
  /** Stops the server (SIGTERM, or SIGKILL with `kill`) and waits for it to exit. */
  stop(kill?: boolean): Promise<void>;
  /** Starts it again on the same port and directory. */
  restart(): Promise<void>;
  /** Stops it for good and removes its directory. */
  close(): Promise<void>;
  /** Sends one command and returns the raw reply. */
  command(...args: string[]): Promise<string>;
}

/** Starts redis-server on a free loopback port; `persist` turns on the append-only file. */
export async function startRedis(options: { persist?: boolean } = {}): Promise<TestRedis> {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "baton-redis-" });
  let child: Deno.ChildProcess | undefined;
  const spawn = async () => {
    child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        options.persist ? "yes" : "no",
        "--appendfsync",
        "always",
        "--dir",
        dir,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await until("redis-server to answer PING", async () => {
      try {
        return (await command("PING")).startsWith("+PONG");
      } catch {
        return false;
      }
    }, 10_000);
  };
  const command = async (...args: string[]): Promise<string> => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      const text = `*${args.length}\r\n` +
        args.map((a) => `$${new TextEncoder().encode(a).length}\r\n${a}\r\n`).join("");
      await conn.write(new TextEncoder().encode(text));
      const buffer = new Uint8Array(65536);
      const n = await conn.read(buffer);
      return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
    } finally {
      conn.close();
    }
  };
  const stop = async (kill = false) => {
    if (!child) return;
    const current = child;
    child = undefined;
    current.kill(kill ? "SIGKILL" : "SIGTERM");
    await current.status;
  };
  await spawn();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid ?? 0;
    },
    command,
    stop: async (kill) => {
      await stop(kill);
    },
    restart: async () => {
      await stop();
      await spawn();
    },
    close: async () => {
      await stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * Runs `fn` with a private Redis, then stops it and removes its directory;
 * with `BATON_TEST_REDIS_URL` set, tests that do not `restart` it (nor
 * need `persist`) use that server instead.
 */
export async function withRedis(
  options: { persist?: boolean; restarts?: boolean },
  fn: (redis: TestRedis) => Promise<void>,
): Promise<void> {
  if (GIVEN && !options.persist && !options.restarts) return await fn(givenRedis(GIVEN));
  const redis = await startRedis(options);
  try {
    await fn(redis);
  } finally {
    await redis.close();
  }
}

/** A `baton worker` subprocess. */
export interface TestWorker {
  readonly pid: number;
  readonly name: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  /** Resolves with the exit code when it ends. */
  readonly exited: Promise<number>;
}

/** Starts `baton worker` and waits until it serves the queue. */
export async function startWorker(
  url: string,
  queue: string,
  name: string,
  extra: string[] = [],
): Promise<TestWorker> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `--lock=${TEST_LOCK}`,
      WORKER_ENTRY,
      "worker",
      "--redis",
      url,
      "--queue",
      queue,
      "--name",
      name,
      ...extra,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
  };
  const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const exited = child.status.then(async (s) => {
    await pumped;
    return s.code;
  });
  let done = false;
  exited.then(() => done = true);
  await until(`worker ${name} to start`, () => {
    if (done) throw new Error(`worker ${name} exited early:\n${text}`);
    return text.includes("serving queue");
  });
  return {
    pid: child.pid,
    name,
    output: () => text,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (!done) child.kill(signal);
      return await exited;
    },
  };
}

/** A fresh queue name per test, so tests sharing nothing cannot interfere. */
export function queueName(label: string): string {
  return `${label}-${crypto.randomUUID().slice(0, 6)}`;
}

/** The server of `BATON_TEST_REDIS_URL`: usable, not stoppable. */
function givenRedis(url: string): TestRedis {
  const parsed = new URL(url);
  const port = Number(parsed.port || 6379);
  const hostname = parsed.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
  const refuse = () =>
    Promise.reject(new Error("BATON_TEST_REDIS_URL's server is not the test's to stop"));
  return {
    url,
    port,
    pid: 0,
    stop: refuse,
    restart: refuse,
    close: () => Promise.resolve(),
    command: async (...args: string[]) => {
      const conn = await Deno.connect({ hostname, port });
      const buffer = new Uint8Array(65536);
      const send = async (words: string[]) => {
        await conn.write(new TextEncoder().encode(
          `*${words.length}\r\n` +
            words.map((a) => `$${new TextEncoder().encode(a).length}\r\n${a}\r\n`).join(""),
        ));
        const n = await conn.read(buffer);
        return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
      };
      try {
        const user = parsed.username ? [decodeURIComponent(parsed.username)] : [];
        if (parsed.password) await send(["AUTH", ...user, decodeURIComponent(parsed.password)]);
        const db = parsed.pathname.replace(/^\//, "");
        if (db) await send(["SELECT", db]);
        return await send(args);
      } finally {
        conn.close();
      }
    },
  };
}
