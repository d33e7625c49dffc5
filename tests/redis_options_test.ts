/**
 * The Redis executor's and worker's options are checked before anything
 * connects: unknown keys with did-you-mean, bad values named. Runs anywhere.
 */
import assert from "node:assert/strict";
import { RedisExecutor, RedisWorker, Scheduler } from "../mod.ts";
import { parseWorkerArgs } from "../src/cli/worker_command.ts";
import { resolveLockTimings } from "../src/executors/redis/options.ts";
import { LockTable } from "../src/executors/redis/heartbeat.ts";

const connection = "redis://127.0.0.1:6379";

Deno.test("redis options: unknown keys are refused with did-you-mean, everywhere", () => {
  const cases: Array<[() => unknown, RegExp]> = [
    [
      () => Scheduler.withRedis({ connection, queue: "q", maxAttempt: 3 } as never),
      /Unknown option "maxAttempt" in Scheduler.withRedis\(\) options \(did you mean "maxAttempts"\?\)/,
    ],
    [
      () =>
        new RedisExecutor(
          { connection, queue: "q", backoff: { type: "fixed", dealy: 5 } } as never,
        ),
      /Unknown option "dealy" in the backoff options \(did you mean "delay"\?\)/,
    ],
    [
      () => new RedisExecutor({ connection: { host: "h", prot: 1 }, queue: "q" } as never),
      /Unknown option "prot" in the connection options \(did you mean "port"\?\)/,
    ],
    [
      () => new RedisWorker({ connection, queue: "q", lockDurration: "1s" } as never),
      /Unknown option "lockDurration" in new RedisWorker\(\) options \(did you mean "lockDuration"\?\)/,
    ],
    [
      () => new RedisWorker({ connection, queue: "q", concurency: 2 } as never),
      /did you mean "concurrency"\?/,
    ],
  ];
  for (const [make, message] of cases) assert.throws(make, message);
});

Deno.test("redis options: lock timings have defaults that recover in seconds, and are checked", () => {
  assert.deepEqual(resolveLockTimings({}), {
    lockDuration: 2_000,
    heartbeat: 500,
    stalledInterval: 1_000,
    maxStalls: 1,
  });
  assert.deepEqual(resolveLockTimings({ lockDuration: "30s", stalledInterval: "5s" }), {
    lockDuration: 30_000,
    heartbeat: 500,
    stalledInterval: 5_000,
    maxStalls: 1,
  });
  assert.equal(resolveLockTimings({ lockDuration: "400ms" }).heartbeat, 100);
  const cases: Array<[Parameters<typeof resolveLockTimings>[0], RegExp]> = [
    [{ lockDuration: "1s", heartbeat: "600ms" }, /heartbeat \("600ms"\) must be at most half/],
    [{ lockDuration: "50ms" }, /lockDuration must be from 200ms .* got "50ms"/],
    [{ lockDuration: "600h" }, /lockDuration must be from 200ms to 2147483647ms, got "600h"/],
    [{ stalledInterval: "soon" }, /soon/],
    [{ maxStalls: -1 }, /maxStalls must be a non-negative integer, got -1/],
  ];
  for (const [options, message] of cases) assert.throws(() => resolveLockTimings(options), message);
});

Deno.test("redis options: baton worker passes the lock flags through", () => {
  const options = parseWorkerArgs([
    "--redis",
    connection,
    "--queue",
    "q",
    "--lock-duration",
    "3s",
    "--heartbeat",
    "250ms",
    "--stalled-interval",
    "2s",
  ]);
  assert.ok(options !== "help");
  assert.equal(options.lockDuration, "3s");
  assert.equal(options.heartbeat, "250ms");
  assert.equal(options.stalledInterval, "2s");
  assert.throws(
    () => new RedisWorker({ ...options, heartbeat: "2s" }),
    /heartbeat \("2s"\) must be at most half of lockDuration \(3000ms\)/,
  );
});

Deno.test("redis heartbeat: the shared lock table hands jobs to the heartbeat thread", () => {
  const buffer = new SharedArrayBuffer(LockTable.bytes(2));
  const writer = new LockTable(buffer);
  const reader = new LockTable(buffer);
  const a = writer.write("abc12345-1", "worker-id:1");
  const b = writer.write("abc12345-2", "worker-id:2");
  assert.equal(writer.write("abc12345-3", "worker-id:3"), undefined, "full: the caller posts it");
  assert.deepEqual(reader.read(), [["abc12345-1", "worker-id:1"], ["abc12345-2", "worker-id:2"]]);
  writer.clear(a!);
  assert.deepEqual(reader.read(), [["abc12345-2", "worker-id:2"]]);
  const c = writer.write("é-job", "t");
  assert.equal(c, a, "a freed slot is used again");
  assert.deepEqual(reader.read(), [["é-job", "t"], ["abc12345-2", "worker-id:2"]]);
  writer.clear(b!);
  assert.equal(writer.write("x".repeat(600), "t"), undefined, "too long for a slot");
  assert.equal(writer.write("short", "t"), b, "the slot is still free");
  writer.clear(b!);
  writer.clear(c!);
  assert.deepEqual(reader.read(), []);
});
