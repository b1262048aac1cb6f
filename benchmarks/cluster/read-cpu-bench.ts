/**
 * The planner's share of CPU while clients read: `clients` pyarrow processes each run
 * `rounds` of GetFlightInfo + DoGet of every endpoint; CPU seconds of the planner, the
 * workers and Redis are taken from /proc over the same window, the clients report theirs.
 */
import { execFile } from "node:child_process";
import { cpuSecondsOf } from "./bench-processes.js";

/** The CPU split of one read run. */
export interface ReadCpuFigures {
  readonly clients: number;
  readonly rounds: number;
  readonly seconds: number;
  /** Arrow bytes read by all clients / seconds, MB/s. */
  readonly mbPerSecond: number;
  readonly cpuSeconds: {
    readonly planner: number;
    readonly workers: number;
    readonly redis: number;
    readonly clients: number;
  };
  /** planner / (planner + workers + redis): the planner's part of the cluster's CPU. */
  readonly plannerShareOfCluster: number;
  /** planner / everything (clients included). */
  readonly plannerShareOfTotal: number;
}

/** Options of {@link measureReadCpu}. */
export interface ReadCpuOptions {
  readonly python: string;
  readonly readerScript: string;
  readonly plannerUri: string;
  readonly dataset: string;
  readonly plannerPid: number;
  readonly workerPids: readonly number[];
  readonly redisPid: number;
  readonly clients: number;
  readonly rounds: number;
}

function runReader(options: ReadCpuOptions): Promise<{ rows: number; bytes: number; seconds: number; cpu: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      options.python,
      [options.readerScript, options.plannerUri, options.dataset, String(options.rounds)],
      { timeout: 30 * 60_000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`reader failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}"));
      },
    );
  });
}

/** Run the readers and split the CPU. */
export async function measureReadCpu(options: ReadCpuOptions): Promise<ReadCpuFigures> {
  const cluster = () => ({
    planner: cpuSecondsOf(options.plannerPid),
    workers: options.workerPids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
    redis: cpuSecondsOf(options.redisPid),
  });
  const before = cluster();
  const started = performance.now();
  const readers = await Promise.all(Array.from({ length: options.clients }, () => runReader(options)));
  const seconds = (performance.now() - started) / 1000;
  const after = cluster();
  const cpuSeconds = {
    planner: after.planner - before.planner,
    workers: after.workers - before.workers,
    redis: after.redis - before.redis,
    clients: readers.reduce((sum, r) => sum + r.cpu, 0),
  };
  const clusterCpu = cpuSeconds.planner + cpuSeconds.workers + cpuSeconds.redis;
  return {
    clients: options.clients,
    rounds: options.rounds,
    seconds,
    mbPerSecond: readers.reduce((sum, r) => sum + r.bytes, 0) / 1e6 / seconds,
    cpuSeconds,
    plannerShareOfCluster: clusterCpu > 0 ? cpuSeconds.planner / clusterCpu : 0,
    plannerShareOfTotal:
      clusterCpu + cpuSeconds.clients > 0 ? cpuSeconds.planner / (clusterCpu + cpuSeconds.clients) : 0,
  };
}
