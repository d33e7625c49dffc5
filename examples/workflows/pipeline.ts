/**
 * The functions of `pipeline.yaml`: a toy data pipeline. Each is marked with
 * `remote(import.meta.url, …)`, so workers and processes import it from this
 * module.
 *
 * @module
 */
import { remote } from "../../mod.ts";

/** "Downloads" a data set: deterministic points on a noisy line y = 3x + 1. */
export const download = remote(import.meta.url, function download(n: number): number[][] {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, (_, i) => {
    const x = i / n;
    return [x, 3 * x + 1 + (random() - 0.5) * 0.1];
  });
});

/** Splits the rows into `k` shards, round robin. */
export const split = remote(
  import.meta.url,
  function split(rows: number[][], k: number): number[][][] {
    const shards: number[][][] = Array.from({ length: k }, () => []);
    rows.forEach((row, i) => shards[i % k].push(row));
    return shards;
  },
);

/** Fits y = a·x + b on one shard by gradient descent. */
export const train = remote(
  import.meta.url,
  function train(shards: number[][][], index: number, epochs: number) {
    const rows = shards[index];
    let a = 0, b = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      let ga = 0, gb = 0;
      for (const [x, y] of rows) {
        const error = a * x + b - y;
        ga += error * x;
        gb += error;
      }
      a -= (0.5 * ga) / rows.length;
      b -= (0.5 * gb) / rows.length;
    }
    return { shard: index, a: +a.toFixed(3), b: +b.toFixed(3), rows: rows.length };
  },
);

/** Averages the shard models (the results of the `train` matrix, in order) into a report. */
export const report = remote(
  import.meta.url,
  function report(models: { a: number; b: number; rows: number }[]) {
    const a = models.reduce((s, m) => s + m.a, 0) / models.length;
    const b = models.reduce((s, m) => s + m.b, 0) / models.length;
    return `model y = ${a.toFixed(2)}x + ${b.toFixed(2)} from ${models.length} shards`;
  },
);
