/**
 * The collatz demo, run through Redis by two `baton worker` processes: the
 * same program as `examples/collatz.ts`, only the scheduler differs.
 *
 * Run: `deno task example:redis`. Uses `$REDIS_URL` when set; otherwise starts
 * a private redis-server (if installed) on a free loopback port, and stops it
 * at the end.
 *
 * @module
 */

import { Scheduler } from "../mod.ts";

/** One collatz step; self-contained, so it is shipped to the workers by source. */
function collatz(n: number): number {
  return n % 2 === 0 ? n / 2 : 3 * n + 1;
}

const WORKER = new URL("../cli.ts", import.meta.url).pathname;
const queue = `collatz-${crypto.randomUUID().slice(0, 6)}`;
const cleanups: Array<() => Promise<unknown>> = [];

try {
  const url = Deno.env.get("REDIS_URL") ?? await startRedis();
  // Two workers, as they would run on two other machines.
  for (const name of ["worker-a", "worker-b"]) {
    cleanups.push(await startWorker(url, name));
  }

  const scheduler = Scheduler.withRedis({ connection: url, queue });
  const task = scheduler.task(collatz);
  const answers: number[] = [];
  scheduler.onStart(() => {
    answers.push(12);
    task.submit(12);
  });
  task.onResult((_future, n) => {
    answers.push(n);
    if (scheduler.running() && n !== 1) task.submit(n);
  });
  const exit = await scheduler.run({ timeout: "30s" });
  console.log(`[${answers.join(", ")}]`);
  console.log(`exit: ${exit.code}`);
  console.log(String(scheduler));
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}

/** Starts redis-server on a free port; its stop goes into `cleanups`. */
async function startRedis(): Promise<string> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("redis-server", {
      args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      stdout: "null",
      stderr: "inherit",
    }).spawn();
  } catch {
    console.error(
      "No redis-server here: install it (apt-get install redis-server) or set REDIS_URL.",
    );
    Deno.exit(1);
  }
  cleanups.push(async () => {
    child.kill("SIGTERM");
    await child.status;
  });
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return `redis://127.0.0.1:${port}`;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`redis-server did not start on port ${port}`);
}

/** Starts `baton worker` and waits until it serves the queue; returns its stop. */
async function startWorker(url: string, name: string): Promise<() => Promise<unknown>> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", WORKER, "worker", "--redis", url, "--queue", queue, "--name", name],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("serving queue")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${name} exited before serving the queue`);
    text += value;
  }
  console.log(text.trim());
  // Keep reading, so the worker never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done);
  })();
  return async () => {
    child.kill("SIGTERM");
    await child.status;
  };
}
