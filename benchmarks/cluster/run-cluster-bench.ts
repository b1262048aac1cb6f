/**
 * The cluster benchmark: `pnpm bench:cluster [--quick] [--out DIR]`.
 *
 * Starts Redis, a planner and three workers (zones a, b, c) as processes of the built CLI,
 * then measures GetFlightInfo latency and rate for datasets of 1, 100 and 1,000 shards
 * (with a static FlightInfo server as the same-run reference), ingest throughput through
 * the planner versus direct to workers, and the planner's share of CPU while pyarrow
 * clients read. Writes `<out>/<name>.json`, `.md` and `.svg`.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createClusterClient } from "@flight-cluster/client";
import { connect, FlightDescriptor } from "@flight-cluster/protocol";
import { machineInfo } from "../doget/machine-info.js";
import {
  type BenchProcess,
  killAllBenchProcesses,
  startBenchProcess,
  startClusterNode,
  startRedis,
} from "./bench-processes.js";
import { BENCH_SCHEMA, benchBatch, benchBatches } from "./bench-table.js";
import { renderClusterChart, renderClusterMarkdown } from "./cluster-report.js";
import type { ClusterBenchResult, IngestSummary } from "./cluster-result.js";
import { measureFlightInfo } from "./flight-info-bench.js";
import { type IngestPass, measureIngest } from "./ingest-bench.js";
import { measureReadCpu } from "./read-cpu-bench.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const HERE = fileURLToPath(new URL(".", import.meta.url));
const log = (line: string): void => void process.stderr.write(`[bench:cluster] ${line}\n`);

const USAGE = `Usage: pnpm bench:cluster [--quick] [--out DIR] [--name NAME]

  --quick      smaller tables and fewer calls (about 1-2 minutes); results named cluster-quick.*
  --out DIR    where results go (default benchmarks/results)
  --name NAME  base name of the result files (default cluster, or cluster-quick)
`;

const { values } = parseArgs({
  options: {
    quick: { type: "boolean" },
    out: { type: "string" },
    name: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help === true) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const quick = values.quick === true;
const outDir = values.out ?? join(REPO_ROOT, "benchmarks/results");
const name = values.name ?? (quick ? "cluster-quick" : "cluster");
const python = process.env["FLIGHT_CLUSTER_PYTHON"] || join(REPO_ROOT, ".venv/bin/python");
const MiB = 1024 * 1024;
const settings = quick
  ? { infoCalls: [300, 100, 20], ingestBytes: 48 * MiB, ingestPasses: 2, readBytes: 16 * MiB, readRounds: 3 }
  : { infoCalls: [1500, 400, 60], ingestBytes: 256 * MiB, ingestPasses: 3, readBytes: 64 * MiB, readRounds: 8 };
const SHARD_TARGET = 8 * MiB;
const ZONES = ["a", "b", "c"] as const;

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAllBenchProcesses();
    process.exit(130);
  });
}

function summarize(passes: readonly IngestPass[]): IngestSummary {
  const sorted = [...passes].sort((a, b) => a.mbPerSecond - b.mbPerSecond);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)] as IngestPass;
  return {
    medianMBps: mid.mbPerSecond,
    minMBps: sorted[0]?.mbPerSecond ?? 0,
    maxMBps: sorted[sorted.length - 1]?.mbPerSecond ?? 0,
    plannerCpuSeconds: mid.plannerCpuSeconds,
    workersCpuSeconds: mid.workersCpuSeconds,
  };
}

async function uploadThroughPlanner(uri: string, dataset: string, bytes: number): Promise<void> {
  const client = connect(uri);
  try {
    const { writer } = client.doPut(FlightDescriptor.forPath(dataset), BENCH_SCHEMA);
    for (const batch of benchBatches(bytes)) await writer.write(batch);
    await writer.close();
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAtStart = loadavg()[0] ?? 0;
  const workDir = join(REPO_ROOT, "benchmarks/.work/cluster", String(process.pid));
  await mkdir(workDir, { recursive: true });
  const started: BenchProcess[] = [];
  try {
    const redis = await startRedis();
    started.push(redis);
    const planner = await startClusterNode(REPO_ROOT, "planner", "planner", [
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--redis",
      redis.uri,
      "--replicas",
      "2",
      "--shard-target-bytes",
      String(SHARD_TARGET),
      "--log-level",
      "warn",
    ]);
    started.push(planner);
    const workers = await Promise.all(
      ZONES.map((zone, i) =>
        startClusterNode(REPO_ROOT, "worker", `worker-${zone}`, [
          "--host",
          "127.0.0.1",
          "--port",
          "0",
          "--redis",
          redis.uri,
          "--zone",
          zone,
          "--id",
          `bench-${zone}`,
          "--data-dir",
          join(workDir, `worker-${i}`),
          "--log-level",
          "warn",
        ]),
      ),
    );
    started.push(...workers);
    log(`cluster up: planner ${planner.uri}, workers ${workers.map((w) => w.uri).join(" ")}`);

    // GetFlightInfo: datasets of 1, 100 and 1,000 tiny shards (one 2 KiB batch each, at a 2 KiB
    // shard target), written with our client's parallel put.
    const shardCounts = [1, 100, 1000];
    const writer = createClusterClient(planner.uri);
    for (const count of shardCounts) {
      const batches = Array.from({ length: count }, (_, i) => benchBatch(i * 64, 64));
      const summary = await writer.put(`bench/shards-${count}`, batches, { shardTargetBytes: 2048, concurrency: 8 });
      if (summary.shards !== count)
        throw new Error(`bench/shards-${count} has ${summary.shards} shards, expected ${count}`);
      log(`created bench/shards-${count}`);
    }
    writer.close();
    const reference = await startBenchProcess(
      "static-info-server",
      process.execPath,
      [join(HERE, "static-info-server.js"), planner.uri, ...shardCounts.map((c) => `bench/shards-${c}`)],
      /\bready\b.*?\b(grpc(?:\+tcp)?:\/\/\S+)/,
      60_000,
    );
    started.push(reference);
    const flightInfo: ClusterBenchResult["flightInfo"][number][] = [];
    for (const [i, count] of shardCounts.entries()) {
      const calls = settings.infoCalls[i] ?? 50;
      const options = { calls, warmup: Math.max(5, Math.floor(calls / 10)), rateCalls: calls, concurrency: 8 };
      const dataset = `bench/shards-${count}`;
      const plannerFigures = await measureFlightInfo(planner.uri, dataset, options);
      const referenceFigures = await measureFlightInfo(reference.uri, dataset, options);
      log(
        `GetFlightInfo ${count} shards: planner p50 ${plannerFigures.latency.p50Ms.toFixed(2)} ms p99 ${plannerFigures.latency.p99Ms.toFixed(2)} ms ` +
          `${plannerFigures.callsPerSecond.toFixed(0)}/s; reference p50 ${referenceFigures.latency.p50Ms.toFixed(2)} ms ${referenceFigures.callsPerSecond.toFixed(0)}/s`,
      );
      flightInfo.push({ shards: count, planner: plannerFigures, reference: referenceFigures });
    }
    await reference.stop();

    // Ingest: through the planner vs direct to the workers.
    const batches = benchBatches(settings.ingestBytes);
    const bodyBytes = batches.reduce((sum, b) => sum + b.data.byteLength, 0);
    const passes = await measureIngest({
      plannerUri: planner.uri,
      plannerPid: planner.pid,
      workerPids: workers.map((w) => w.pid),
      schema: BENCH_SCHEMA,
      batches,
      passes: settings.ingestPasses,
      directConcurrency: 2,
      log,
    });

    // Planner CPU share while pyarrow clients read.
    await uploadThroughPlanner(planner.uri, "bench/read", settings.readBytes);
    const readInfo = await (async () => {
      const client = connect(planner.uri);
      try {
        return await client.getFlightInfo(FlightDescriptor.forPath("bench/read"));
      } finally {
        client.close();
      }
    })();
    const readCpu = await measureReadCpu({
      python,
      readerScript: join(REPO_ROOT, "benchmarks/cluster/py/reader.py"),
      plannerUri: planner.uri,
      dataset: "bench/read",
      plannerPid: planner.pid,
      workerPids: workers.map((w) => w.pid),
      redisPid: redis.pid,
      clients: 2,
      rounds: settings.readRounds,
    });
    log(
      `read: ${readCpu.mbPerSecond.toFixed(0)} MB/s, planner ${(readCpu.plannerShareOfCluster * 100).toFixed(1)}% of cluster CPU`,
    );

    const result: ClusterBenchResult = {
      name,
      quick,
      startedAt: startedAt.toISOString(),
      durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
      machine: machineInfo(python, REPO_ROOT),
      loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
      cluster: { workers: workers.length, zones: ZONES, replicas: 2, registry: "redis" },
      flightInfo,
      ingest: {
        bodyBytes,
        shardTargetBytes: SHARD_TARGET,
        directConcurrency: 2,
        passes,
        planner: summarize(passes.filter((p) => p.path === "planner")),
        direct: summarize(passes.filter((p) => p.path === "direct")),
      },
      readCpu: {
        ...readCpu,
        dataset: "bench/read",
        shards: readInfo.endpoints.length,
        bodyBytes: readInfo.totalBytes,
      },
    };
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(join(outDir, `${name}.md`), renderClusterMarkdown(result));
    await writeFile(join(outDir, `${name}.svg`), renderClusterChart(result));
    log(`wrote ${join(outDir, name)}.{json,md,svg}`);
  } finally {
    for (const proc of started.reverse()) await proc.stop().catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  killAllBenchProcesses();
  process.stderr.write(
    `[bench:cluster] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
