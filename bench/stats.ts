/** Shared measurement helpers for the benchmarks. */

/** Throughput and latency of one measured run. */
export interface Measurement {
  /** Calls per second. */
  perSecond: number;
  /** Median submit→result latency, ms. */
  p50: number;
  /** 99th percentile submit→result latency, ms. */
  p99: number;
}

/** Summarises `latencies` (ms) of `count` calls over `elapsed` ms. */
export function measure(latencies: number[], elapsed: number): Measurement {
  const sorted = [...latencies].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { perSecond: (latencies.length / elapsed) * 1000, p50: pick(0.5), p99: pick(0.99) };
}

/** One table row. */
export function row(name: string, m: Measurement, ratio?: number): string {
  const cells = [
    name.padEnd(44),
    `${Math.round(m.perSecond).toLocaleString("en-US").padStart(9)} tasks/s`,
    `p50 ${m.p50.toFixed(3).padStart(7)} ms`,
    `p99 ${m.p99.toFixed(3).padStart(7)} ms`,
  ];
  if (ratio !== undefined) cells.push(`ratio ${ratio.toFixed(2)}`);
  return cells.join("  ");
}

/** A subject measured against its reference in alternating rounds of one run. */
export interface Comparison {
  /** The reference's measurements, one per round. */
  reference: Measurement[];
  /** The subject's measurements, one per round. */
  subject: Measurement[];
  /** Per-round ratios subject/reference of the chosen figure, sorted. */
  ratios: number[];
}

/** Which figure a comparison divides: throughput (higher is better) or p99 latency. */
export type Figure = "perSecond" | "p99" | "p50";

/**
 * Runs `reference` and `subject` alternately for `rounds` rounds (the order
 * flips every round so neither always runs on a warmer machine) and returns
 * each round's ratio `subject / reference` for `figure`. A ratio within a
 * round is what a noisy 2-core machine can compare; absolute figures are not.
 */
export async function compareRounds(
  rounds: number,
  reference: () => Promise<Measurement>,
  subject: () => Promise<Measurement>,
  figure: Figure = "perSecond",
): Promise<Comparison> {
  const result: Comparison = { reference: [], subject: [], ratios: [] };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      result.reference.push(await reference());
      result.subject.push(await subject());
    } else {
      result.subject.push(await subject());
      result.reference.push(await reference());
    }
    result.ratios.push(result.subject[round][figure] / result.reference[round][figure]);
  }
  result.ratios.sort((a, b) => a - b);
  return result;
}

/** The median of sorted `values`. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One line: the scenario, both medians, and the ratio's median with its min–max. */
export function ratioLine(
  name: string,
  comparison: Comparison,
  figure: Figure = "perSecond",
  target?: string,
): string {
  const pick = (ms: Measurement[]) => median(ms.map((m) => m[figure]));
  const show = (value: number) =>
    figure === "perSecond"
      ? `${Math.round(value).toLocaleString("en-US")}/s`
      : `${value.toFixed(3)} ms`;
  const r = comparison.ratios;
  const cells = [
    name.padEnd(46),
    `baton ${show(pick(comparison.subject)).padStart(11)}`,
    `ref ${show(pick(comparison.reference)).padStart(11)}`,
    `ratio ${median(r).toFixed(2)} (${r[0].toFixed(2)}–${r.at(-1)!.toFixed(2)})`,
  ];
  if (target) cells.push(`target ${target}`);
  return cells.join("  ");
}

/**
 * What starts a line that `targetLine` made, so that `bench/run.ts` can find it in any output.
 *
 * @example
 * ```ts ignore
 * output.split("\n").filter((line) => line.startsWith(TARGET_MARK));
 * ```
 */
export const TARGET_MARK = "▸ ";

/**
 * One figure checked against its target, for figures that are not a ratio
 * of two runs (µs per job, bytes per future). `bench/run.ts` collects these
 * lines, and `ratioLine` lines that name a target, into its summary.
 *
 * @example
 * ```ts ignore
 * console.log(targetLine("100k queued futures", "560 B", "≤ 800 B", true));
 * ```
 */
export function targetLine(name: string, figure: string, target: string, met: boolean): string {
  return `${TARGET_MARK}${name.padEnd(46)}  ${figure}  target ${target}  ${met ? "met" : "MISSED"}`;
}

/**
 * A row of the summary: the scenario, its figure, the target and whether it is met.
 *
 * @example
 * ```ts ignore
 * const row: SummaryRow = { name: "futures", figure: "560 B", target: "≤ 800 B", met: true };
 * ```
 */
export interface SummaryRow {
  /** The scenario. */
  name: string;
  /** The measured figure, as printed. */
  figure: string;
  /** The target, e.g. `≥ 0.90`. */
  target: string;
  /** Whether the figure meets the target. */
  met: boolean;
}

/**
 * The rows of a benchmark's output that carry a target: `targetLine` lines
 * and `ratioLine` lines with a target (met when the median ratio is on the
 * right side of it).
 *
 * @example
 * ```ts ignore
 * for (const row of summaryRows(output)) console.log(row.name, row.met ? "met" : "MISSED");
 * ```
 */
export function summaryRows(output: string): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const line of output.split("\n")) {
    if (line.startsWith(TARGET_MARK)) {
      const m = /^(.*?)\s{2,}(.*)\s{2}target (.*?)\s{2}(met|MISSED)$/.exec(
        line.slice(TARGET_MARK.length),
      );
      if (m) {
        rows.push({ name: m[1].trim(), figure: m[2].trim(), target: m[3], met: m[4] === "met" });
      }
      continue;
    }
    const r = /^(.*?)\s{2,}baton.*ratio (\d+\.\d+) \((\S+)\)\s+target ([≥≤]) ?(\d+(?:\.\d+)?)/.exec(
      line,
    );
    if (!r) continue;
    const ratio = Number(r[2]), bound = Number(r[5]);
    rows.push({
      name: r[1].trim(),
      figure: `ratio ${r[2]} (${r[3]})`,
      target: `${r[4]} ${r[5]}`,
      met: r[4] === "≥" ? ratio >= bound : ratio <= bound,
    });
  }
  return rows;
}
