/** Made-up figures for the harness's unit tests. */
import {
  type ClientBenchResult,
  checkTargets,
  type RunFigures,
  type ScenarioId,
  type ScenarioRun,
  summarizeScenario,
} from "./client-result.js";
import type { ScenarioPass } from "./scenario-output.js";

/** Passes of 8 endpoints (8,000 rows, 8 MB) that took `seconds` each, using half a core and waiting a quarter. */
export function passes(seconds: readonly number[], checksum = "abc"): ScenarioPass[] {
  return seconds.map((s) => ({
    seconds: s,
    rows: 8_000,
    bytes: 8_000_000,
    batches: 8,
    endpoints: 8,
    locations: { "grpc+tcp://127.0.0.1:1": 4, "grpc+tcp://127.0.0.1:2": 4 },
    checksum,
    cpuSeconds: s / 2,
    runQueueWaitSeconds: s / 4,
  }));
}

/** A scenario run over `passes(seconds)`. */
export function scenarioRun(seconds: readonly number[], checksum = "abc", clusterCpuSeconds = 1): ScenarioRun {
  return {
    passes: passes(seconds, checksum),
    clusterCpuSeconds,
    proxyCpuSeconds: clusterCpuSeconds / 4,
    maxRssBytes: 100 * 1024 * 1024,
  };
}

/** A run where each scenario's passes all took the given seconds. */
export function runOf(delayMs: number, times: Partial<Record<ScenarioId, number>>): RunFigures {
  return {
    delayMs,
    shardMiB: 8,
    dataset: "bench/client-8mib",
    endpoints: 8,
    rows: 8_000,
    bytes: 8_000_000,
    passes: 3,
    loadBefore: 1,
    loadAfter: 2,
    scenarios: Object.entries(times).map(([id, s]) => summarizeScenario(id as ScenarioId, scenarioRun([s, s, s]))),
  };
}

/** A whole result over `runs`. */
export function resultOf(runs: readonly RunFigures[]): ClientBenchResult {
  return {
    name: "client-test",
    quick: false,
    startedAt: "2026-01-01T00:00:00.000Z",
    durationSeconds: 100,
    machine: {
      cpus: 2,
      cpuModel: "Test CPU",
      totalMemoryBytes: 8 * 1024 ** 3,
      os: "Linux test",
      node: "v20.0.0",
      python: "3.11.0",
      pyarrow: "26.0.1",
      gitRevision: "abc1234",
    },
    method: {
      workers: 8,
      endpoints: 8,
      replicas: 1,
      warmupPasses: 1,
      timedPasses: "3 per scenario",
      delaysMs: [...new Set(runs.map((r) => r.delayMs))],
      shardMiB: [8],
    },
    runs,
    targets: checkTargets(runs),
  };
}
