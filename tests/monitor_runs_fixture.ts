/** A run store with two runs, in memory, for the monitor's past-runs tests. */
import type { PastRun, RunSource } from "../mod.ts";

const RUNS: PastRun[] = [
  {
    id: "r2",
    label: "<b>pipeline</b>",
    started: 2000,
    ended: 3000,
    ok: false,
    why: "a CRITICAL job has raised an exception",
    jobs: 2,
    failed: 1,
  },
  {
    id: "r1",
    label: "pipeline",
    started: 0,
    ended: 1000,
    ok: true,
    why: "FINE",
    jobs: 2,
    failed: 0,
  },
];

/** A run store with two runs, in memory: what `baton serve` plugs in. */
export const twoRuns: RunSource = {
  runs: () => RUNS,
  jobs: (run) =>
    run === "r1"
      ? [
        {
          id: "fetch",
          label: "fetch",
          state: "done",
          requires: [],
          started: 0,
          ended: 400,
          result: "42",
        },
        {
          id: "train",
          label: "train",
          state: "done",
          requires: ["fetch"],
          started: 400,
          ended: 1000,
        },
      ]
      : run === "r2"
      ? [
        { id: "fetch", label: "fetch", state: "skipped", requires: [] },
        {
          id: "train",
          label: "train <img src=x onerror=alert(1)>",
          state: "failed",
          requires: ["fetch"],
          started: 2000,
          ended: 3000,
          error: "Error: diverged",
          stack: "Error: diverged\n    at train (train.ts:1:1)",
        },
      ]
      : undefined,
  events: (
    run,
  ) => (run === "r1" || run === "r2"
    ? [{ time: 2000, event: "job-started", job: "train" }]
    : undefined),
  logs: async (run, job, { after, limit }) => {
    await Promise.resolve();
    if (run !== "r2" || job !== "train") return run === "r1" ? [] : undefined;
    const lines = [1, 2, 3].map((seq) => ({ seq, stream: "stdout", text: `epoch ${seq}` }));
    lines.push({ seq: 4, stream: "stderr", text: "z".repeat(5000) });
    return lines.filter((l) => l.seq > after).slice(0, limit);
  },
};
