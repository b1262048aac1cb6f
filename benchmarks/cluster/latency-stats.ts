/** Percentiles of latency samples. */

/** Latency figures in milliseconds. */
export interface LatencyFigures {
  readonly calls: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** The `q`-quantile (0..1) of sorted samples, nearest-rank. @throws RangeError for no samples. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError("no samples");
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Summarize latency samples (ms). */
export function summarizeLatencies(samples: readonly number[]): LatencyFigures {
  const sorted = [...samples].sort((x, y) => x - y);
  return {
    calls: sorted.length,
    p50Ms: quantile(sorted, 0.5),
    p90Ms: quantile(sorted, 0.9),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] as number,
    meanMs: sorted.reduce((s, v) => s + v, 0) / sorted.length,
  };
}
