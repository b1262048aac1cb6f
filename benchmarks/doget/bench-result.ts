/** The shape of benchmarks/results/doget.json and the ratios derived from the scenarios. */
import type { ScenarioId, TableName } from "./bench-options.js";
import type { ThroughputFigures } from "./bench-stats.js";

/** The machine and software the run measured. */
export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly totalMemoryBytes: number;
  readonly os: string;
  readonly node: string;
  readonly python: string;
  readonly pyarrow: string;
  readonly grpcJs: string;
  readonly apacheArrow: string;
  /** `git describe --always --dirty` of the repository. */
  readonly gitRevision: string;
}

/** One generated table. */
export interface TableInfo {
  readonly name: TableName;
  readonly description: string;
  readonly rows: number;
  readonly batches: number;
  readonly batchRows: number;
  /** Arrow body bytes (sum of the record-batch message bodies): the "bytes delivered" of every scenario. */
  readonly bodyBytes: number;
  /** Size of the IPC file, bytes. */
  readonly fileBytes: number;
}

/** Resource use of one process of a scenario. */
export interface ProcessFigures {
  /** Peak RSS, bytes. */
  readonly maxRssBytes: number;
  /** CPU seconds (user + system) over the process's life. */
  readonly cpuSeconds: number;
  /**
   * CPU seconds per wall second while passes ran (1 = one core busy): for a client over its
   * timed passes; for a server over everything it served (warm-up included). Null when unknown.
   */
  readonly cpuPerWall: number | null;
  /**
   * Seconds spent waiting for a CPU per wall second over the same span (Linux run-queue wait,
   * summed over threads): how much other work on the machine held this process back. Null when unknown.
   */
  readonly waitPerWall: number | null;
}

/** One scenario on one table. */
export interface ScenarioResult {
  readonly scenario: ScenarioId;
  readonly label: string;
  readonly table: TableName;
  /** How many times the scenario ran (one per round); figures cover the timed passes of all runs. */
  readonly runs: number;
  readonly status: "ok" | "failed";
  /** Why it failed (with the process's stderr tail). */
  readonly error?: string;
  readonly figures?: ThroughputFigures;
  readonly server?: ProcessFigures;
  readonly client?: ProcessFigures;
  /** What the server reported when ready (e.g. pre-encoded message count and wire bytes). */
  readonly serverFacts?: Readonly<Record<string, unknown>>;
  /** 1-minute load average before and after the scenario, mean over its runs (other work on the machine shows here). */
  readonly loadAverage: readonly [number, number];
}

/** A ratio of two scenarios' median throughputs on one table. */
export interface RatioResult {
  readonly table: TableName;
  /** e.g. "a/b". */
  readonly name: string;
  readonly value: number | null;
  /** The target, if it sets one. */
  readonly target: number | null;
  /** Whether value >= target; null without a target or a value. */
  readonly met: boolean | null;
}

/** Everything one run measured. */
export interface BenchResult {
  readonly benchmark: "doget";
  readonly date: string;
  readonly command: string;
  readonly quick: boolean;
  /** Timed passes per run. */
  readonly passes: number;
  /** Warm-up passes per run. */
  readonly warmup: number;
  /** Rounds: every scenario of every table ran once per round, rounds one after another. */
  readonly rounds: number;
  readonly machine: MachineInfo;
  readonly tables: readonly TableInfo[];
  readonly scenarios: readonly ScenarioResult[];
  readonly ratios: readonly RatioResult[];
}

/** The ratios reported, numerator over denominator; targets from the issue (fixed-width table only). */
const RATIOS: ReadonlyArray<{
  numerator: ScenarioId;
  denominator: ScenarioId;
  target?: Partial<Record<TableName, number>>;
}> = [
  { numerator: "a", denominator: "b", target: { fixed: 0.8 } },
  { numerator: "a", denominator: "c", target: { fixed: 0.5 } },
  { numerator: "a2", denominator: "b" },
  { numerator: "a2", denominator: "c" },
  { numerator: "b", denominator: "c" },
];

/**
 * Ratios of median GB/s between scenarios of the same table. A ratio whose scenarios did not
 * both succeed has value null (and is still listed, so a missing figure is visible).
 */
export function computeRatios(scenarios: readonly ScenarioResult[], tables: readonly TableName[]): RatioResult[] {
  const medianOf = (table: TableName, id: ScenarioId): number | undefined =>
    scenarios.find((s) => s.table === table && s.scenario === id && s.status === "ok")?.figures?.medianGBps;
  const ran = (table: TableName, id: ScenarioId): boolean =>
    scenarios.some((s) => s.table === table && s.scenario === id);
  const ratios: RatioResult[] = [];
  for (const table of tables) {
    for (const ratio of RATIOS) {
      if (!ran(table, ratio.numerator) || !ran(table, ratio.denominator)) continue;
      const top = medianOf(table, ratio.numerator);
      const bottom = medianOf(table, ratio.denominator);
      const value = top !== undefined && bottom !== undefined && bottom > 0 ? top / bottom : null;
      const target = ratio.target?.[table] ?? null;
      ratios.push({
        table,
        name: `${ratio.numerator}/${ratio.denominator}`,
        value,
        target,
        met: target === null || value === null ? null : value >= target,
      });
    }
  }
  return ratios;
}
