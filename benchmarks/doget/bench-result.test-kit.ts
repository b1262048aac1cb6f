/** A sample benchmark result for the report tests. */
import type { ScenarioId, TableName } from "./bench-options.js";
import { SCENARIO_LABELS } from "./bench-options.js";
import type { BenchResult, ScenarioResult } from "./bench-result.js";
import { computeRatios } from "./bench-result.js";

/** A successful scenario with the given median (min = 0.9 x, max = 1.1 x). */
export function okScenario(table: TableName, scenario: ScenarioId, medianGBps: number): ScenarioResult {
  return {
    scenario,
    label: SCENARIO_LABELS[scenario],
    table,
    runs: 1,
    status: "ok",
    figures: {
      medianGBps,
      minGBps: medianGBps * 0.9,
      maxGBps: medianGBps * 1.1,
      medianRowsPerSecond: (medianGBps * 1e9) / 32,
      medianSeconds: 1 / medianGBps,
      passSeconds: [1 / medianGBps],
    },
    server: { maxRssBytes: 300 * 1024 * 1024, cpuSeconds: 2, cpuPerWall: 0.9, waitPerWall: 0.05 },
    client: { maxRssBytes: 200 * 1024 * 1024, cpuSeconds: 3, cpuPerWall: 1, waitPerWall: null },
    loadAverage: [1, 1.5],
  };
}

/** A failed scenario. */
export function failedScenario(table: TableName, scenario: ScenarioId, error: string): ScenarioResult {
  return { scenario, label: SCENARIO_LABELS[scenario], table, runs: 1, status: "failed", error, loadAverage: [2, 2] };
}

/** A whole result from its scenarios. */
export function sampleResult(scenarios: ScenarioResult[]): BenchResult {
  return {
    benchmark: "doget",
    date: "2026-01-01T00:00:00.000Z",
    command: "pnpm bench:doget",
    quick: false,
    passes: 5,
    warmup: 1,
    rounds: 1,
    machine: {
      cpus: 2,
      cpuModel: "Test CPU",
      totalMemoryBytes: 8 * 1024 ** 3,
      os: "Linux 6",
      node: "v20.0.0",
      python: "3.11.0",
      pyarrow: "26.0.1",
      grpcJs: "1.14.7",
      apacheArrow: "21.2.0",
      gitRevision: "abc1234",
    },
    tables: [
      {
        name: "fixed",
        description: "4 x int64",
        rows: 100,
        batches: 2,
        batchRows: 50,
        bodyBytes: 3200,
        fileBytes: 4000,
      },
      {
        name: "strings",
        description: "strings <&>",
        rows: 10,
        batches: 1,
        batchRows: 10,
        bodyBytes: 999,
        fileBytes: 1200,
      },
    ],
    scenarios,
    ratios: computeRatios(scenarios, ["fixed", "strings"]),
  };
}
