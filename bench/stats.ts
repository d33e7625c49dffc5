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
