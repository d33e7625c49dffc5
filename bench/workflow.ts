/**
 * Validation of large workflow files: `baton validate`'s checks (YAML with
 * positions, the schema, jobs, requirements, cycles) on files of 1k to 40k
 * chained jobs, against the `yaml` package's own `parse()` of the same text
 * without its duplicate-key check (the reference: what reading the file
 * costs at all; `baton/yaml` is the ratio), with it (the package's default,
 * quadratic: what baton used), and `JSON.parse` of the same data (a floor
 * no YAML reader reaches). Linear validation shows as a flat µs/job column.
 *
 * Run: `deno run -A bench/workflow.ts` (or `deno run -A bench/workflow.ts 20000`)
 *
 * @module
 */

import { parse } from "yaml";
import { checkWorkflowFile } from "../src/cli/workflow/load.ts";

function workflow(n: number): string {
  let text = "name: big\njobs:\n";
  for (let i = 0; i < n; i++) {
    text += `  job${i}:\n    run: echo ${i}\n` + (i > 0 ? `    requires: job${i - 1}\n` : "");
  }
  return text;
}

/** How long `fn` takes, in ms. */
async function time(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** The best of `rounds` timings of `fn`, in ms (the least disturbed by other load). */
async function best(rounds: number, fn: () => unknown): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < rounds; i++) min = Math.min(min, await time(fn));
  return min;
}

const sizes = Deno.args.length ? Deno.args.map(Number) : [1_000, 5_000, 20_000, 40_000];
const dir = await Deno.makeTempDir();
const rows = [[
  "jobs",
  "KiB",
  "baton ms",
  "µs/job",
  "yaml ms",
  "baton/yaml",
  "yaml+keys ms",
  "JSON ms",
]];
try {
  await checkWorkflowFile(await write(workflow(500))); // warm-up
  for (const n of sizes) {
    const text = workflow(n);
    const path = await write(text);
    // Alternating rounds, so that load from elsewhere weighs on both sides alike.
    let baton = Infinity, linear = Infinity;
    for (let round = 0; round < (n > 10_000 ? 4 : 8); round++) {
      baton = Math.min(
        baton,
        await time(async () => {
          const { spec, issues } = await checkWorkflowFile(path);
          if (issues.length || spec?.jobs.length !== n) {
            throw new Error(`${n}: ${issues[0]?.message}`);
          }
        }),
      );
      linear = Math.min(linear, await time(() => parse(text, { uniqueKeys: false })));
    }
    const rounds = 3;
    // The library's default duplicate-key check is quadratic: one round, and not past 20k jobs.
    const keys = n <= 20_000 ? (await best(1, () => parse(text))).toFixed(0) : "-";
    const json = JSON.stringify(parse(text, { uniqueKeys: false }));
    const floor = await best(rounds, () => JSON.parse(json));
    rows.push([
      String(n),
      (text.length / 1024).toFixed(0),
      baton.toFixed(0),
      ((baton * 1000) / n).toFixed(1),
      linear.toFixed(0),
      `${(baton / linear).toFixed(2)}x`,
      keys,
      floor.toFixed(1),
    ]);
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}

async function write(text: string): Promise<string> {
  const path = `${dir}/wf_${text.length}.yaml`;
  await Deno.writeTextFile(path, text);
  return path;
}

const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
console.log(
  "workflow validation of chained run jobs (best of 4-8 alternating rounds): baton's checks against the yaml " +
    "package's parse without (yaml) and with (yaml+keys) its duplicate-key check, and JSON.parse",
);
for (const row of rows) console.log(row.map((cell, c) => cell.padStart(widths[c])).join("  "));
