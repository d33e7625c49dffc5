/**
 * A small hyperparameter search for the monitor's screenshot: trials run in
 * Web Workers, imported there by module URL; high learning rates diverge.
 */
import { remote } from "../mod.ts";

/** A trial's configuration. */
export interface Config {
  lr: number;
  depth: number;
  optimizer: "adam" | "sgd";
}

/** Scores a configuration in 40–200 ms; fails with a cause when the rate is too high. */
export const trial = remote(import.meta.url, async function trial(config: Config): Promise<number> {
  await new Promise((r) => setTimeout(r, 40 + Math.random() * 160));
  if (config.lr > 0.03) {
    throw new RangeError(`loss diverged to NaN at lr=${config.lr.toFixed(4)}`, {
      cause: new Error(`gradient norm above the clip of 10 (${config.optimizer})`),
    });
  }
  return -((Math.log10(config.lr) + 2.5) ** 2) - (config.depth - 6) ** 2 / 10 + Math.random();
});

/** A random configuration, from a seeded generator so that runs look alike. */
export function sampler(seed = 7): () => Config {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return () => ({
    lr: 10 ** (-5 + 3.8 * random()),
    depth: 1 + Math.floor(random() * 12),
    optimizer: random() < 0.5 ? "adam" : "sgd",
  });
}
