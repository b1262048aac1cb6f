import { describe, expect, it } from "vitest";
import { renderClusterChart, renderClusterMarkdown } from "./cluster-report.js";
import type { ClusterBenchResult } from "./cluster-result.js";
import { quantile, summarizeLatencies } from "./latency-stats.js";

describe("latency stats", () => {
  it("takes nearest-rank quantiles", () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    const figures = summarizeLatencies(samples);
    expect(figures).toMatchObject({ calls: 100, p50Ms: 50, p90Ms: 90, p99Ms: 99, maxMs: 100, meanMs: 50.5 });
    expect(quantile([7], 0.99)).toBe(7);
    expect(() => quantile([], 0.5)).toThrow(RangeError);
  });
});

const info = (p50: number, rate: number) => ({
  latency: { calls: 10, p50Ms: p50, p90Ms: p50 * 2, p99Ms: p50 * 3, maxMs: p50 * 4, meanMs: p50 },
  callsPerSecond: rate,
  concurrency: 8,
  endpoints: 1,
});
const ingest = (mbps: number) => ({
  medianMBps: mbps,
  minMBps: mbps - 1,
  maxMBps: mbps + 1,
  plannerCpuSeconds: 0.5,
  workersCpuSeconds: 2,
});
const result: ClusterBenchResult = {
  name: "cluster",
  quick: false,
  startedAt: "2026-01-01T00:00:00.000Z",
  durationSeconds: 60,
  machine: {
    cpus: 2,
    cpuModel: "cpu",
    totalMemoryBytes: 2 ** 33,
    os: "Linux",
    node: "v20",
    python: "3.11",
    pyarrow: "26.0.1",
    grpcJs: "1.14.7",
    apacheArrow: "21.2.0",
    gitRevision: "abc",
  },
  loadAverage: { start: 1, end: 2 },
  cluster: { workers: 3, zones: ["a", "b", "c"], replicas: 2, registry: "redis" },
  flightInfo: [
    { shards: 1, planner: info(2, 400), reference: info(1, 800) },
    { shards: 1000, planner: info(60, 15), reference: info(6, 100) },
  ],
  ingest: {
    bodyBytes: 50e6,
    shardTargetBytes: 8 * 2 ** 20,
    directConcurrency: 2,
    passes: [],
    planner: ingest(20),
    direct: ingest(25),
  },
  readCpu: {
    clients: 2,
    rounds: 3,
    seconds: 1,
    mbPerSecond: 100,
    cpuSeconds: { planner: 1, workers: 6, redis: 1, clients: 2 },
    plannerShareOfCluster: 1 / 8,
    plannerShareOfTotal: 0.1,
    dataset: "bench/read",
    shards: 8,
    bodyBytes: 64e6,
  },
};

describe("cluster report", () => {
  it("renders the tables with ratios to the references", () => {
    const md = renderClusterMarkdown(result);
    expect(md).toContain("| 1000 | 60.00 | 180.00 | 15.0 | 6.00 | 18.00 | 100.0 | 10.0x |");
    expect(md).toContain("Direct / through planner: 1.25x.");
    expect(md).toContain("| planner | 1.00 | 10.0% |");
    expect(md).toContain("The planner used 12.5% of the cluster's CPU");
  });

  it("renders a well-formed SVG with one bar per figure", () => {
    const svg = renderClusterChart(result);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    // 2 datasets x 3 bars + 2 ingest bars + 4 CPU bars + background + 3 legend squares.
    expect(svg.match(/<rect /g)?.length).toBe(6 + 2 + 4 + 1 + 3);
    expect(svg).not.toContain("NaN");
  });
});
