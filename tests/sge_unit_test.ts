/**
 * The Grid Engine executor's pure parts: option checking, the job script,
 * and the parsing of qsub, qstat -xml and qacct output. Runs anywhere.
 */

import assert from "node:assert/strict";
import { JobLostError, Scheduler, SgeExecutor, SgeJobLostError } from "../mod.ts";
import { resolveSgeOptions } from "../src/executors/sge/options.ts";
import { sgeScript, sgeTime } from "../src/executors/sge/script.ts";
import { parseQacct, parseQstat, parseQsub, sgeState } from "../src/executors/sge/commands.ts";

const CONTEXT = {
  jobName: "baton-test",
  connect: "login1:4000",
  token: "t0k3n'with quote",
  workerCommand: ["/usr/bin/deno", "run", "-A", "/repo/cli.ts", "worker"],
};

Deno.test("sge: the job script carries the options as #$ lines, the token only in the environment", () => {
  const script = sgeScript(
    resolveSgeOptions({
      workers: 2,
      queue: "all.q",
      slots: 4,
      memory: "1.5GB",
      time: "90m",
      project: "proj1",
      extraArgs: ["-l gpu=1"],
      prologue: ["module load deno"],
      logDirectory: "/shared/logs/",
    }),
    CONTEXT,
  );
  assert.equal(
    script,
    [
      "#!/bin/bash",
      "#$ -N baton-test",
      "#$ -S /bin/bash",
      "#$ -cwd",
      "#$ -j y",
      "#$ -o /shared/logs/baton-$JOB_ID.log",
      "#$ -q all.q",
      "#$ -pe smp 4",
      "#$ -l h_rt=1:30:00",
      "#$ -l mem_free=1536M",
      "#$ -P proj1",
      "#$ -l gpu=1",
      "# A baton worker: it dials back to the scheduler and runs its calls.",
      "module load deno",
      `export BATON_TOKEN='t0k3n'\\''with quote'`,
      `exec /usr/bin/deno run -A /repo/cli.ts worker --connect login1:4000 --concurrency 4 --job-id "$JOB_ID"`,
      "",
    ].join("\n"),
  );
  const single = sgeScript(resolveSgeOptions({ workers: 1, memoryResource: "h_vmem" }), CONTEXT);
  assert.doesNotMatch(single, /-pe |h_rt|-q /);
  assert.equal(sgeTime(1), "0:00:01");
  assert.equal(sgeTime(90_500), "0:01:31");
  assert.equal(sgeTime(25 * 3600_000), "25:00:00");
});

Deno.test("sge: bad options are refused, naming the value, with did-you-mean", () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ workers: 0 }, /workers must be a positive integer, got 0/],
    [{ workers: 1, slots: 0 }, /slots must be a positive integer, got 0/],
    [{ workers: 1, queue: "all q" }, /queue must be a non-empty string.*got "all q"/],
    [{ workers: 1, extraArgs: ["gpu=1"] }, /qsub options like "-l gpu=1", got "gpu=1"/],
    [{ workers: 1, time: "soon" }, /soon/],
    [
      { workers: { min: 0, maxx: 2 } },
      /Unknown option "maxx" in the workers options \(did you mean "max"\?\)/,
    ],
    [
      { workers: 1, slot: 2 },
      /Unknown option "slot" in Scheduler.withSge\(\) options \(did you mean "slots"\?\)/,
    ],
    [{ workers: 1, partition: "cpu" }, /Unknown option "partition" in Scheduler.withSge\(\)/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => new SgeExecutor(options as never), message, JSON.stringify(options));
  }
  assert.throws(
    () => Scheduler.withSge({ workers: 1, qeue: "all.q" } as never),
    /did you mean "queue"/,
  );
  assert.equal(new SgeExecutor({ workers: 1 }).kind, "sge");
});

Deno.test("sge: qsub, qstat -xml and qacct output are parsed; states are named", () => {
  assert.equal(parseQsub("12\n"), "12");
  assert.equal(parseQsub("13.1-4:1\n"), "13");
  assert.throws(() => parseQsub("Unable to run job: denied"), /Could not read a job id/);
  const xml = `<?xml version='1.0'?>
<job_info  xmlns:xsd="http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/qstat.xsd">
  <queue_info>
    <job_list state="running">
      <JB_job_number>2</JB_job_number>
      <JB_name>baton-test</JB_name>
      <state>r</state>
      <queue_name>all.q@node3</queue_name>
    </job_list>
  </queue_info>
  <job_info>
    <job_list state="pending">
      <JB_job_number>3</JB_job_number>
      <JB_name>baton-test</JB_name>
      <state>qw</state>
      <queue_name></queue_name>
    </job_list>
    <job_list state="pending">
      <JB_job_number>4</JB_job_number>
      <JB_name>someone-else</JB_name>
      <state>qw</state>
    </job_list>
    <job_list state="pending">
      <JB_job_number>5</JB_job_number>
      <JB_name>baton-test</JB_name>
      <state>Eqw</state>
    </job_list>
  </job_info>
</job_info>`;
  assert.deepEqual([...parseQstat(xml, "baton-test").values()], [
    { jobId: "2", state: "RUNNING", reason: "r", node: "node3" },
    { jobId: "3", state: "PENDING", reason: "qw", node: undefined },
    { jobId: "5", state: "ERROR", reason: "Eqw", node: undefined },
  ]);
  assert.throws(() => parseQstat("error: commlib error", "x"), /Unexpected qstat output/);
  assert.deepEqual(
    ["qw", "hqw", "r", "t", "Rr", "s", "dr", "Eqw"].map(sgeState),
    ["PENDING", "HELD", "RUNNING", "RUNNING", "RUNNING", "SUSPENDED", "DELETING", "ERROR"],
  );
  const record = (failed: string, exit: string) =>
    `==============\nqname all.q\nhostname node3\njobnumber 7\nfailed ${failed}\nexit_status ${exit}\n`;
  assert.equal(parseQacct(record("0", "0"), "7")?.state, "COMPLETED");
  assert.equal(parseQacct(record("0", "1"), "7")?.state, "FAILED");
  const timeout = parseQacct(
    record("37  : qmaster enforced h_rt, h_cpu, or h_vmem limit", "137 (Killed)"),
    "7",
  );
  assert.equal(timeout?.state, "TIMEOUT");
  assert.equal(timeout?.node, "node3");
  assert.match(timeout!.reason, /failed 37: qmaster enforced h_rt/);
  assert.equal(parseQacct(record("100 : assumedly after job", "137"), "7")?.state, "CANCELLED");
  assert.equal(parseQacct(record("1 : assumedly before job", "0"), "7")?.state, "FAILED");
  assert.equal(parseQacct(record("0", "0"), "8"), undefined);
  const lost = new SgeJobLostError("7", "TIMEOUT", "its worker's connection ended");
  assert.ok(lost instanceof JobLostError);
  assert.equal(lost.message, "Grid Engine job 7 was lost (TIMEOUT): its worker's connection ended");
});
