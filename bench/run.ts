/**
 * `deno task bench`: every benchmark, each against its reference in the same
 * run, then a summary of every row that has a target (issue 13) and whether
 * it is met. Arguments are passed to every benchmark.
 *
 * @module
 */

import { type SummaryRow, summaryRows } from "./stats.ts";

const benches = [
  "workers.ts",
  "processes.ts",
  "flow.ts",
  "futures.ts",
  "workflow.ts",
  "monitor.ts",
  "redis.ts",
];
const summary: SummaryRow[] = [];
const failed: string[] = [];
for (const file of benches) {
  const url = new URL(`./${file}`, import.meta.url);
  const child = new Deno.Command(Deno.execPath(), {
    // The lock that also pins the Redis packages (see tests/cli_helpers.ts).
    args: [
      "run",
      "-A",
      `--lock=${new URL("../tests/deno.lock", import.meta.url).pathname}`,
      url.pathname,
      ...Deno.args,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // Shown as it comes, and kept for the summary.
  let output = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    output += decoder.decode(chunk, { stream: true });
  }
  const { code } = await child.status;
  if (code !== 0) failed.push(`${file} (exit code ${code})`);
  summary.push(...summaryRows(output));
  console.log();
}

console.log(
  `Summary (${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, load average ` +
    `${Deno.loadavg().map((x) => x.toFixed(1)).join(" ")})`,
);
const width = Math.max(8, ...summary.map((row) => row.name.length));
const figureWidth = Math.max(6, ...summary.map((row) => row.figure.length));
console.log(`${"row".padEnd(width)}  ${"figure".padEnd(figureWidth)}  target    `);
for (const row of summary) {
  console.log(
    `${row.name.padEnd(width)}  ${row.figure.padEnd(figureWidth)}  ${row.target.padEnd(8)}  ${
      row.met ? "met" : "MISSED"
    }`,
  );
}
if (failed.length > 0) {
  console.log(`\nFailed: ${failed.join(", ")}`);
  Deno.exit(1);
}
