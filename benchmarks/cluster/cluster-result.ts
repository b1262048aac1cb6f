/** The shape of a cluster benchmark run (benchmarks/results/cluster.json). */
import type { MachineInfo } from "../doget/bench-result.js";
import type { InfoFigures } from "./flight-info-bench.js";
import type { IngestPass } from "./ingest-bench.js";
import type { ReadCpuFigures } from "./read-cpu-bench.js";

/** Median, fastest and slowest of the ingest passes of one path. */
export interface IngestSummary {
  readonly medianMBps: number;
  readonly minMBps: number;
  readonly maxMBps: number;
  /** Median CPU seconds of the planner and workers per pass. */
  readonly plannerCpuSeconds: number;
  readonly workersCpuSeconds: number;
}

/** Everything one run measured. */
export interface ClusterBenchResult {
  readonly name: string;
  readonly quick: boolean;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly machine: MachineInfo;
  /** 1-minute load average at the start and at the end of the run (other work on the machine). */
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly cluster: {
    readonly workers: number;
    readonly zones: readonly string[];
    readonly replicas: number;
    readonly registry: "redis";
  };
  readonly flightInfo: ReadonlyArray<{
    readonly shards: number;
    readonly planner: InfoFigures;
    readonly reference: InfoFigures;
  }>;
  readonly ingest: {
    readonly bodyBytes: number;
    readonly shardTargetBytes: number;
    readonly directConcurrency: number;
    readonly passes: readonly IngestPass[];
    readonly planner: IngestSummary;
    readonly direct: IngestSummary;
  };
  readonly readCpu: ReadCpuFigures & { readonly dataset: string; readonly shards: number; readonly bodyBytes: number };
}
