/**
 * The functions of `sweep.yaml`: a toy model to tune and a results table.
 * Marked with `remote(import.meta.url, …)`, so workers import them from here.
 *
 * @module
 */
import { remote } from "../../mod.ts";

/** One configuration of the search: what `matrix:` passes as `with`. */
export interface Config {
  /** Learning rate. */
  lr: number;
  /** Model depth. */
  depth: number;
}

/** What a training run reports. */
export interface Score extends Config {
  /** Validation loss (lower is better). */
  loss: number;
}

/**
 * "Trains" a model: takes a moment that grows with depth and returns a
 * loss that is best near lr = 0.1, depth = 8. The largest rate with the
 * deepest model diverges, every time: the file retries it twice, then the
 * search goes on without it.
 */
export const train = remote(import.meta.url, async function train(config: Config): Promise<Score> {
  const { lr, depth } = config;
  await new Promise((resolve) => setTimeout(resolve, 100 + 20 * depth));
  if (lr >= 0.3 && depth >= 16) throw new Error(`loss diverged (lr=${lr}, depth=${depth})`);
  const loss = (Math.log10(lr) + 1) ** 2 + (Math.log2(depth) - 3) ** 2 / 4 + 0.05;
  return { lr, depth, loss: Math.round(loss * 1000) / 1000 };
});

/**
 * Prints the results best first, a failed run as failed, and returns the
 * best configuration. `grid` is the matrix itself (the file passes it with
 * a YAML alias); its combinations come in the order of `scores`: the first
 * key varies slowest.
 */
export const table = remote(
  import.meta.url,
  function table(scores: (Score | undefined)[], grid: { lr: number[]; depth: number[] }) {
    const configs = grid.lr.flatMap((lr) => grid.depth.map((depth) => ({ lr, depth })));
    const rows = configs.map((config, i) => ({ ...config, loss: scores[i]?.loss }));
    rows.sort((a, b) => (a.loss ?? Infinity) - (b.loss ?? Infinity));
    console.log("   lr  depth   loss");
    for (const { lr, depth, loss } of rows) {
      console.log(`${String(lr).padStart(5)}  ${String(depth).padStart(5)}  ${loss ?? "failed"}`);
    }
    return { lr: rows[0].lr, depth: rows[0].depth };
  },
);
