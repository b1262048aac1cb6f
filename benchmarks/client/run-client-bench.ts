/**
 * The client benchmark: `pnpm bench:client [--quick] [--out DIR] [--name NAME]`.
 *
 * For each added latency (0 ms and 20 ms one way per location): starts Redis, a planner
 * and N workers, each worker behind its own delay proxy (its advertised location) when
 * latency is added and reached directly when not, loads datasets of N shards (shard i on
 * worker i, replicas 1, so every endpoint has one location on its own worker), then runs
 * each scenario as its own process: (a) our parallel client, (a') the same with the ordered
 * merge, (a") the same with V8's default heap growth (the others use
 * `useStreamingHeapGrowth`, as the CLI does), (b) our client one endpoint at a time, (c)
 * pyarrow looping over the endpoints, (d) pyarrow with a thread pool. Writes
 * `<out>/<name>.json`, `.md` and `.svg`. Method: docs/benchmarks.md, "Client benchmark".
 */
import { execFileSync } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, release, totalmem, type } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { benchSchema, shardBatches } from "./bench-data.js";
import { cpuSecondsOf, killAllChildren } from "./child-process.js";
import { renderClientChart } from "./client-chart.js";
import { renderClientMarkdown } from "./client-report.js";
import {
  type ClientBenchResult,
  checksumProblem,
  checkTargets,
  type MachineFacts,
  type RunFigures,
  SCENARIOS,
  type ScenarioFigures,
  type ScenarioId,
  summarizeScenario,
} from "./client-result.js";
import { type LatencyCluster, startLatencyCluster } from "./latency-cluster.js";
import { uploadPinned } from "./pinned-upload.js";
import { runScenarios, type ScenarioCommand } from "./scenario-runner.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const HERE = fileURLToPath(new URL(".", import.meta.url));
const log = (line: string): void => void process.stderr.write(`[bench:client] ${line}\n`);

const USAGE = `Usage: pnpm bench:client [--quick] [options]

  --quick             8 x 4 MiB only, 3 timed passes (about 1-2 minutes); results named client-quick.*
  --shard-mib LIST    shard sizes in MiB, comma-separated (default 1,8,32; quick 4)
  --delays LIST       one-way delays per location in ms (default 0,20)
  --workers N         workers = endpoints (default 8)
  --passes N          timed passes per scenario, after 1 warm-up round (default: 5, and
                      more for small shards: 72 MiB / shard size, at most 15; quick 3);
                      passes alternate between the scenarios, round by round
  --scenarios LIST    subset of a,a-ordered,a-v8-heap,a-threads,b,c,d (default all)
  --out DIR           where results go (default benchmarks/results)
  --name NAME         base name of the result files (default client, or client-quick)
`;

const { values } = parseArgs({
  options: {
    quick: { type: "boolean" },
    "shard-mib": { type: "string" },
    delays: { type: "string" },
    workers: { type: "string" },
    passes: { type: "string" },
    scenarios: { type: "string" },
    out: { type: "string" },
    name: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

function fail(message: string): never {
  process.stderr.write(`bench:client: ${message}\n${USAGE}`);
  process.exit(2);
}

function integers(name: string, text: string, min: number, max: number): number[] {
  const list = text.split(",").map((part) => Number(part.trim()));
  if (list.length === 0 || list.some((n) => !Number.isSafeInteger(n) || n < min || n > max)) {
    fail(`--${name} must be integers in ${min}..${max}, got ${text}`);
  }
  return list;
}

if (values.help === true) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const quick = values.quick === true;
const shardSizes = integers("shard-mib", values["shard-mib"] ?? (quick ? "4" : "1,8,32"), 1, 1024);
const delays = integers("delays", values.delays ?? "0,20", 0, 10_000);
const workerCount = integers("workers", values.workers ?? "8", 1, 64)[0] as number;
const passes = integers("passes", values.passes ?? (quick ? "3" : "5"), 1, 100)[0] as number;
/** Timed passes for a shard size: more for small ones, whose passes are short and noisier. */
const passesFor = (shardMiB: number): number =>
  values.passes !== undefined || quick ? passes : Math.max(passes, Math.min(15, Math.round(72 / shardMiB)));
const PASSES_RULE =
  values.passes !== undefined || quick
    ? `${passes} per scenario`
    : `${passes} per scenario, or 72 MiB / shard size when more (at most 15)`;
const WARMUP = 1;
const known = new Set<string>(SCENARIOS.map((s) => s.id));
const scenarioIds = (values.scenarios ?? SCENARIOS.map((s) => s.id).join(",")).split(",").map((s) => s.trim());
for (const id of scenarioIds) if (!known.has(id)) fail(`unknown scenario ${id}`);
const outDir = values.out ?? join(REPO_ROOT, "benchmarks/results");
const name = values.name ?? (quick ? "client-quick" : "client");
const python = process.env["FLIGHT_CLUSTER_PYTHON"] || join(REPO_ROOT, ".venv/bin/python");
const MiB = 1024 * 1024;
const ZONES = ["a", "b", "c"];

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, {
      cwd: REPO_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "unknown";
  }
}

function machineFacts(): MachineFacts {
  const [pythonVersion = "unknown", pyarrow = "unknown"] = run(python, [
    "-c",
    "import sys, pyarrow; print(sys.version.split()[0], pyarrow.__version__)",
  ]).split(" ");
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    totalMemoryBytes: totalmem(),
    os: `${type()} ${release()}`,
    node: process.version,
    python: pythonVersion,
    pyarrow,
    gitRevision: run("git", ["describe", "--always", "--dirty"]),
  };
}

/** The command line of a scenario against `dataset`. */
function scenarioCommand(id: ScenarioId, plannerUri: string, dataset: string): ScenarioCommand {
  const common = ["--planner", plannerUri, "--dataset", dataset];
  const node = (
    concurrency: number,
    ordered: boolean,
    heapGrowth: "streaming" | "v8" = "streaming",
    receiveThreads = 0,
  ): ScenarioCommand => ({
    id,
    command: process.execPath,
    args: [
      join(HERE, "fetch-scenario.js"),
      ...common,
      "--concurrency",
      String(concurrency),
      "--ordered",
      String(ordered),
      "--heap-growth",
      heapGrowth,
      "--receive-threads",
      String(receiveThreads),
    ],
  });
  const py = (mode: string): ScenarioCommand => ({
    id,
    command: python,
    args: [join(REPO_ROOT, "benchmarks/client/py/pyarrow_fetch.py"), ...common, "--mode", mode],
  });
  switch (id) {
    case "a":
      return node(workerCount, false);
    case "a-ordered":
      return node(workerCount, true);
    case "a-v8-heap":
      return node(workerCount, false, "v8");
    case "a-threads":
      return node(workerCount, false, "streaming", 2);
    case "b":
      return node(1, false);
    case "c":
      return py("loop");
    case "d":
      return py("threads");
  }
}

function clusterPids(cluster: LatencyCluster): number[] {
  return [
    cluster.plannerPid,
    cluster.redisPid,
    ...cluster.workers.flatMap((worker) =>
      worker.proxyPid === undefined ? [worker.workerPid] : [worker.workerPid, worker.proxyPid],
    ),
  ];
}

async function measureDelay(delayMs: number): Promise<RunFigures[]> {
  const workDir = join(REPO_ROOT, "benchmarks/.work/client", `${process.pid}-${delayMs}`);
  await mkdir(workDir, { recursive: true });
  let cluster: LatencyCluster | undefined;
  try {
    cluster = await startLatencyCluster({
      repoRoot: REPO_ROOT,
      workDir,
      workers: Array.from({ length: workerCount }, (_, i) => ({ zone: ZONES[i % ZONES.length] as string, delayMs })),
      replicas: 1,
      shardTargetBytes: Math.max(...shardSizes) * MiB,
      directWithoutDelay: true,
      log,
    });
    const schema = benchSchema();
    const figures: RunFigures[] = [];
    for (const shardMiB of shardSizes) {
      const dataset = `bench/client-${shardMiB}mib`;
      const workers = cluster.workers;
      const loaded = await uploadPinned({
        plannerUri: cluster.plannerUri,
        dataset,
        schema,
        targets: workers.map((worker) => [worker.directUri]),
        batchesOf: (index) => shardBatches(index, shardMiB),
        concurrency: 2,
      });
      log(`${delayMs} ms: loaded ${dataset}: ${loaded.shards} shards, ${loaded.rows} rows`);
      const loadBefore = loadavg()[0] ?? 0;
      const pids = clusterPids(cluster);
      const proxyPids = cluster.workers.flatMap((worker) => (worker.proxyPid === undefined ? [] : [worker.proxyPid]));
      const measured = await runScenarios({
        scenarios: scenarioIds.map((id) => scenarioCommand(id as ScenarioId, cluster?.plannerUri ?? "", dataset)),
        warmup: WARMUP,
        passes: passesFor(shardMiB),
        clusterCpuSeconds: () => ({
          total: pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
          proxies: proxyPids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
        }),
        passTimeoutMs: 600_000,
        log: (line) => log(`${delayMs} ms, ${workerCount} x ${shardMiB} MiB: ${line}`),
      });
      const scenarios: ScenarioFigures[] = [];
      for (const [id, measuredRun] of measured) {
        const summary = summarizeScenario(id, measuredRun);
        scenarios.push(summary);
        log(
          `${delayMs} ms, ${workerCount} x ${shardMiB} MiB, ${id}: median ${(summary.medianSeconds * 1000).toFixed(0)} ms ` +
            `(${summary.megabytesPerSecond.toFixed(0)} MB/s), client CPU ${summary.clientCpuMsPerPass.toFixed(0)} ms/pass, ` +
            `waited for CPU ${summary.clientWaitPerWall.toFixed(2)}/wall, cluster CPU ${summary.clusterCpuMsPerPass.toFixed(0)} ms/pass ` +
            `(proxies ${summary.proxyCpuMsPerPass.toFixed(0)})`,
        );
      }
      const bytes = measured.values().next().value?.passes[0]?.bytes ?? 0;
      const runFigures: RunFigures = {
        delayMs,
        shardMiB,
        dataset,
        endpoints: workerCount,
        rows: loaded.rows,
        bytes,
        passes: passesFor(shardMiB),
        loadBefore,
        loadAfter: loadavg()[0] ?? 0,
        scenarios,
      };
      const problem = checksumProblem(runFigures);
      if (problem !== undefined) throw new Error(problem);
      figures.push(runFigures);
    }
    return figures;
  } finally {
    await cluster?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const runs: RunFigures[] = [];
  for (const delayMs of delays) runs.push(...(await measureDelay(delayMs)));
  const result: ClientBenchResult = {
    name,
    quick,
    startedAt: startedAt.toISOString(),
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    machine: machineFacts(),
    method: {
      workers: workerCount,
      endpoints: workerCount,
      replicas: 1,
      warmupPasses: WARMUP,
      timedPasses: PASSES_RULE,
      delaysMs: delays,
      shardMiB: shardSizes,
    },
    runs,
    targets: checkTargets(runs),
  };
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(outDir, `${name}.md`), renderClientMarkdown(result));
  await writeFile(join(outDir, `${name}.svg`), renderClientChart(result));
  for (const target of result.targets) {
    log(
      `target ${target.what} (${target.shardMiB} MiB shards): ${target.value.toFixed(2)} x ${target.met ? "met" : "NOT met"}`,
    );
  }
  log(`wrote ${join(outDir, name)}.{json,md,svg} in ${result.durationSeconds.toFixed(0)} s`);
}

main().catch((error: unknown) => {
  killAllChildren();
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
