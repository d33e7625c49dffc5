/**
 * Durable runs end to end, as a user types them: a pipeline fails halfway,
 * the bug is fixed, `baton run --resume` runs only what is left (the
 * download is not done again), then `baton runs`, `baton show` and
 * `baton logs` read the run store.
 *
 *     deno task example:resume
 *
 * @module
 */

const cli = new URL("../cli.ts", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "baton-resume-example-" });

const workflow = `# A pipeline whose prepare step has a bug.
name: pipeline
executor: sequential
jobs:
  download:
    module: steps.ts
    export: download
    args: [5]
  prepare:
    module: steps.ts
    export: prepare
    args: [{ from: download }]
  train:
    run: [sh, -c, "echo training on prepared data; sleep 0.2; echo model saved"]
    requires: prepare
  report:
    module: steps.ts
    export: report
    args: [{ from: prepare }]
    requires: train
`;

const steps = (prepareBody: string) => `
export async function download(n: number) {
  console.log("downloading", n, "files (slow, and it costs money)");
  await new Promise((r) => setTimeout(r, 300));
  return Array.from({ length: n }, (_, i) => (i + 1) * 10);
}

export function prepare(data: number[]) {
  console.log("preparing", data.length, "items");
  ${prepareBody}
}

export function report(total: number) {
  console.log("the total is", total);
  return { total };
}
`;

async function baton(...args: string[]): Promise<number> {
  console.log(`\n$ baton ${args.join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args],
    cwd: dir,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  console.log(`(exit ${code})`);
  return code;
}

try {
  await Deno.writeTextFile(`${dir}/wf.yaml`, workflow);
  // The bug: arrays have no sum() (deno run does not type-check, so it shows at run time).
  await Deno.writeTextFile(`${dir}/steps.ts`, steps("return (data as any).sum();"));
  console.log("1. The first run fails at prepare (download succeeded and is recorded):");
  const first = await baton("run", "wf.yaml");
  if (first !== 1) throw new Error(`expected the first run to fail, it exited ${first}`);

  console.log("\n2. Fix prepare (only its code changes), then resume: download is skipped");
  await Deno.writeTextFile(`${dir}/steps.ts`, steps("return data.reduce((a, b) => a + b, 0);"));
  const second = await baton("run", "wf.yaml", "--resume");
  if (second !== 0) throw new Error(`expected the resumed run to succeed, it exited ${second}`);

  console.log("\n3. The run store remembers both runs, their jobs and their logs:");
  await baton("runs");
  await baton("show", "1");
  await baton("logs", "2");
  await baton("logs", "1", "download");
} finally {
  await Deno.remove(dir, { recursive: true });
}
