/**
 * The Slurm executor's pure parts: option checking, the job script, parsing
 * of sbatch/squeue output and worker arguments, errors over the wire, and
 * the endpoint's token check.
 */

import assert from "node:assert/strict";
import { SlurmExecutor, WallTimeLimitError, WorkerCrashedError } from "../mod.ts";
import { resolveSlurmOptions } from "../src/executors/slurm/options.ts";
import { jobScript, slurmTime } from "../src/executors/slurm/script.ts";
import { isLive, parseQueue, parseSubmitted } from "../src/executors/slurm/commands.ts";
import { decodeError, encodeError } from "../src/wire/codec.ts";
import { Endpoint } from "../src/executors/hpc/endpoint.ts";
import { writeAll } from "../src/executors/slurm/connection.ts";
import { parseAddress, parseConnectArgs } from "../src/cli/worker_connect.ts";

const CONTEXT = {
  jobName: "baton-test",
  connect: "login1:4000",
  token: "t0k3n'with quote",
  workerCommand: ["/usr/bin/deno", "run", "-A", "/repo/cli.ts", "worker"],
};

Deno.test("slurm: the job script carries the options as #SBATCH lines and the token only in the environment", () => {
  const script = jobScript(
    resolveSlurmOptions({
      workers: 2,
      partition: "cpu",
      cpus: 4,
      memory: "1.5GB",
      time: "90m",
      account: "proj1",
      extraArgs: ["--qos=debug"],
      prologue: ["module load deno"],
      logDirectory: "/shared/logs/",
    }),
    CONTEXT,
  );
  assert.equal(
    script,
    [
      "#!/usr/bin/env bash",
      "#SBATCH --job-name=baton-test",
      "#SBATCH --ntasks=1",
      "#SBATCH --cpus-per-task=4",
      "#SBATCH --mem=1536M",
      "#SBATCH --time=0-01:30:00",
      "#SBATCH --partition=cpu",
      "#SBATCH --account=proj1",
      "#SBATCH --output=/shared/logs/baton-%j.log",
      "#SBATCH --qos=debug",
      "# A baton worker: it dials back to the scheduler and runs its calls.",
      "module load deno",
      `export BATON_TOKEN='t0k3n'\\''with quote'`,
      "exec /usr/bin/deno run -A /repo/cli.ts worker --connect login1:4000 --concurrency 4",
      "",
    ].join("\n"),
  );
  assert.equal(slurmTime(1), "0-00:01:00");
  assert.equal(slurmTime(1441), "1-00:01:00");
  // Slurm counts minutes: 30 s is rounded up, never down to nothing.
  assert.equal(resolveSlurmOptions({ workers: 1, time: "30s" }).timeMinutes, 1);
});

Deno.test("slurm: bad options are refused, naming the value and what is accepted", () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ workers: 0 }, /workers must be a positive integer, got 0/],
    [{ workers: { min: 3, max: 2 } }, /workers.min \(3\) must not exceed workers.max \(2\)/],
    [{ workers: "two" }, /workers must be a positive integer or \{ min, max \}, got "two"/],
    [{ workers: 1, cpus: 1.5 }, /cpus must be a positive integer, got 1.5/],
    [
      { workers: 1, partition: "a b" },
      /partition must be a non-empty string of letters.*got "a b"/,
    ],
    [{ workers: 1, memory: "lots" }, /lots/],
    [{ workers: 1, time: "soon" }, /soon/],
    [
      { workers: 1, extraArgs: ["qos=debug"] },
      /sbatch options like "--qos=debug", got "qos=debug"/,
    ],
    [{ workers: 1, prologue: ["a\nb"] }, /prologue must be a list of single-line strings/],
    [{ workers: 1, submitCommand: [] }, /submitCommand must be a non-empty list of strings/],
    [{ workers: 1, port: 70000 }, /port must be an integer from 0 to 65535, got 70000/],
    [{ workers: 1, requeueLost: -1 }, /requeueLost must be a non-negative integer, got -1/],
    [
      { workers: 1, partiton: "cpu" },
      /Unknown option "partiton" in Scheduler.withSlurm\(\) options \(did you mean "partition"\?\)/,
    ],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => new SlurmExecutor(options as never), message, JSON.stringify(options));
  }
});

Deno.test("slurm: sbatch and squeue output is parsed; job states are classified", () => {
  assert.equal(parseSubmitted("42\n"), "42");
  assert.equal(parseSubmitted("42;cluster2\n"), "42");
  assert.throws(
    () => parseSubmitted("sbatch: error: Batch job submission failed"),
    /Could not read a job id/,
  );
  const jobs = parseQueue(
    "12|RUNNING|None|node7\n13|PENDING|Resources|\n\n14|TIMEOUT|TimeLimit|node8\n",
  );
  assert.deepEqual([...jobs.values()], [
    { jobId: "12", state: "RUNNING", reason: "None", node: "node7" },
    { jobId: "13", state: "PENDING", reason: "Resources", node: undefined },
    { jobId: "14", state: "TIMEOUT", reason: "TimeLimit", node: "node8" },
  ]);
  assert.throws(() => parseQueue("JOBID PARTITION NAME"), /Unexpected squeue line/);
  assert.deepEqual(
    ["PENDING", "RUNNING", "COMPLETING", "CANCELLED", "TIMEOUT", "NODE_FAIL", "COMPLETED"].map(
      isLive,
    ),
    [true, true, true, false, false, false, false],
  );
});

Deno.test("slurm: worker arguments, with the token from BATON_TOKEN when not given", () => {
  const env = (name: string) => name === "BATON_TOKEN" ? "from-env" : undefined;
  assert.deepEqual(parseConnectArgs(["--connect", "node1:4000", "--concurrency", "3"], env), {
    connect: "node1:4000",
    token: "from-env",
    concurrency: 3,
  });
  assert.equal(parseConnectArgs(["--connect", "[::1]:9", "--token", "x"], env).token, "x");
  assert.deepEqual(parseAddress("[::1]:9"), ["::1", 9]);
  assert.throws(() => parseConnectArgs(["--token", "x"], env), /--connect HOST:PORT is required/);
  assert.throws(() => parseConnectArgs(["--connect", "node1"], env), /got "node1"/);
  assert.throws(
    () => parseConnectArgs(["--connect", "n:1"], () => undefined),
    /a token is required/,
  );
  assert.throws(
    () => parseConnectArgs(["--connect", "n:1", "--concurrency", "0"], env),
    /--concurrency must be a positive integer, got "0"/,
  );
  assert.throws(
    () => parseConnectArgs(["--connect", "n:1", "--executor", "threads"], env),
    /--executor must be "processes", "workers", "sequential", got "threads"/,
  );
  assert.throws(() => parseConnectArgs(["--connect", "n:1", "--bogus"], env), /bogus/);
});

Deno.test("slurm: limit errors and crashes keep their class across the wire (the one codec)", () => {
  const roundTrip = (error: Error) => decodeError(structuredClone(encodeError(error)));
  const rebuilt = roundTrip(new WallTimeLimitError(1000, 1012, "; process 9 was killed"));
  assert.ok(rebuilt instanceof WallTimeLimitError);
  assert.equal(rebuilt.limit, 1000);
  assert.equal(rebuilt.observed, 1012);
  assert.match(rebuilt.message, /process 9 was killed/);
  const crashed = roundTrip(new WorkerCrashedError("process 7 exited", { code: 3 }));
  assert.ok(crashed instanceof WorkerCrashedError);
  assert.equal(crashed.code, 3);
  assert.ok(roundTrip(new RangeError("nope")) instanceof RangeError);
});

Deno.test("slurm: the endpoint refuses wrong tokens, garbage and oversized hellos; accepts the token", async () => {
  const token = "a-token-of-at-least-16-chars";
  const accepted: string[] = [];
  const endpoint = Endpoint.open(
    { hostname: "127.0.0.1", token, helloTimeout: 2_000 },
    (worker) => {
      accepted.push(worker.hello.jobId ?? "?");
      worker.conn.close();
    },
  );
  const hello = (t: string) =>
    JSON.stringify({ baton: 1, token: t, jobId: "7", concurrency: 1, host: "h", pid: 1 }) + "\n";
  /** Sends `text` and reports whether the endpoint closed the connection. */
  async function closedAfter(text: string): Promise<boolean> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: endpoint.port });
    try {
      await writeAll(conn, new TextEncoder().encode(text)).catch(() => {});
      return await conn.read(new Uint8Array(16)).then((n) => n === null, () => true);
    } finally {
      conn.close();
    }
  }
  assert.equal(await closedAfter(hello("wrong-token-wrong-token")), true);
  assert.equal(await closedAfter("GET / HTTP/1.1\r\n\r\n"), true);
  assert.equal(await closedAfter("x".repeat(5000)), true);
  assert.equal(await closedAfter(hello(token)), true); // accepted, then closed by the callback
  await endpoint.close();
  assert.deepEqual(accepted, ["7"]);
  assert.equal(endpoint.rejected, 3);
  assert.throws(
    () => Endpoint.open({ hostname: "127.0.0.1", token: "short" }, () => {}),
    /at least 16 characters/,
  );
});
