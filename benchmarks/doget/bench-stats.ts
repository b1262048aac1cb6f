/** Turning timed passes into throughput figures. */
import type { PassResult } from "./bench-events.js";

/** Throughput of one scenario on one table. GB = 10^9 bytes. */
export interface ThroughputFigures {
  /** Median throughput over the timed passes, GB/s of Arrow body bytes. */
  readonly medianGBps: number;
  /** Slowest pass, GB/s. */
  readonly minGBps: number;
  /** Fastest pass, GB/s. */
  readonly maxGBps: number;
  /** Median rows per second. */
  readonly medianRowsPerSecond: number;
  /** Median pass wall time, seconds. */
  readonly medianSeconds: number;
  /** Every timed pass's wall time, seconds, in run order. */
  readonly passSeconds: readonly number[];
}

/**
 * Median of a non-empty list (mean of the two middle values for an even count).
 * @throws RangeError for an empty list.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of an empty list");
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle]!;
  return sorted.length % 2 === 1 ? upper : (sorted[middle - 1]! + upper) / 2;
}

/**
 * Figures of a scenario from its timed passes. Every pass moved the whole table, so each pass's
 * throughput is `bodyBytes / seconds` and `rows / seconds`.
 *
 * @param bodyBytes the table's Arrow body bytes (the same for every scenario).
 * @param rows the table's row count.
 * @throws RangeError when there is no pass or a pass took no time.
 */
export function summarizePasses(passes: readonly PassResult[], bodyBytes: number, rows: number): ThroughputFigures {
  if (passes.length === 0) throw new RangeError("no timed pass");
  if (passes.some((pass) => !(pass.seconds > 0))) throw new RangeError("a pass took no measurable time");
  const seconds = passes.map((pass) => pass.seconds);
  const gbps = seconds.map((s) => bodyBytes / s / 1e9);
  return {
    medianGBps: median(gbps),
    minGBps: Math.min(...gbps),
    maxGBps: Math.max(...gbps),
    medianRowsPerSecond: median(seconds.map((s) => rows / s)),
    medianSeconds: median(seconds),
    passSeconds: seconds,
  };
}
