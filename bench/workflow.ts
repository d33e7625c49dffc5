/**
 * Validation of large workflow files: `baton validate`'s checks (YAML with
 * positions, the schema, jobs, requirements, cycles) on files of 1k to 40k
 * chained jobs, against the `yaml` library's own `parse()` of the same text
 * (the reference: what reading the file costs at all) and `JSON.parse` of
 * the same data (a floor no YAML reader reaches). Linear validation shows
 * as a flat µs/job column.
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

/** The best of `rounds` timings of `fn`, in ms (the least disturbed by other load). */
async function best(rounds: number, fn: () => unknown): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

const sizes = Deno.args.length ? Deno.args.map(Number) : [1_000, 5_000, 20_000, 40_000];
const dir = await Deno.makeTempDir();
const rows = [[
  "jobs",
  "file KiB",
  "baton ms",
  "µs/job",
  "yaml.parse ms",
  "JSON.parse ms",
  "ratio",
]];
try {
  await checkWorkflowFile(await write(workflow(500))); // warm-up
  for (const n of sizes) {
    const text = workflow(n);
    const path = await write(text);
    const rounds = n > 10_000 ? 3 : 5;
    const baton = await best(rounds, async () => {
      const { spec, issues } = await checkWorkflowFile(path);
      if (issues.length || spec?.jobs.length !== n) throw new Error(`${n}: ${issues[0]?.message}`);
    });
    const json = JSON.stringify(parse(text, { uniqueKeys: false }));
    // Quadratic in the number of keys: one round is enough to show it.
    const reference = await best(n > 10_000 ? 1 : rounds, () => parse(text));
    const floor = await best(rounds, () => JSON.parse(json));
    rows.push([
      String(n),
      (text.length / 1024).toFixed(0),
      baton.toFixed(0),
      ((baton * 1000) / n).toFixed(1),
      reference.toFixed(0),
      floor.toFixed(1),
      `${(baton / reference).toFixed(2)}x yaml.parse`,
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
console.log("workflow validation: chained run jobs, best of 3-5 rounds");
for (const row of rows) console.log(row.map((cell, c) => cell.padStart(widths[c])).join("  "));
