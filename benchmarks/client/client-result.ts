/**
 * The figures of a client benchmark run (benchmarks/results/client.json) and the pure
 * functions that derive them from the scenario processes' passes: medians, ratios and
 * the issue's targets.
 */
import type { ScenarioPass } from "./scenario-output.js";

/** The scenarios, in report order. */
export const SCENARIOS = [
  { id: "a", label: "(a) our client, all endpoints at once" },
  { id: "a-ordered", label: "(a') our client, all at once, ordered merge" },
  { id: "a-v8-heap", label: "(a\") our client, all at once, V8's default heap growth" },
  { id: "a-threads", label: "(a*) our client, all at once, 2 receive threads" },
  { id: "b", label: "(b) our client, one endpoint at a time" },
  { id: "c", label: "(c) pyarrow, loop over endpoints" },
  { id: "d", label: "(d) pyarrow, thread pool" },
] as const;

/** A scenario id. */
export type ScenarioId = (typeof SCENARIOS)[number]["id"];

/** The figures of one scenario in one run. */
export interface ScenarioFigures {
  readonly id: ScenarioId;
  readonly label: string;
  /** Median pass wall time, seconds. */
  readonly medianSeconds: number;
  readonly minSeconds: number;
  readonly maxSeconds: number;
  /** Every timed pass, seconds, in run order. */
  readonly passSeconds: readonly number[];
  /** Rows / median seconds. */
  readonly rowsPerSecond: number;
  /** Dataset bytes (FlightInfo total_bytes) / median seconds, MB/s (10^6 bytes). */
  readonly megabytesPerSecond: number;
  /** The client process's CPU seconds over its timed passes / their wall time (1.0 = one core busy). */
  readonly clientCpuPerWall: number;
  /** The client process's CPU per timed pass, ms (less sensitive to other load than wall time). */
  readonly clientCpuMsPerPass: number;
  /** Seconds the client's threads waited for a CPU over the timed passes / their wall time. */
  readonly clientWaitPerWall: number;
  /** CPU of the cluster's processes (workers, proxies, planner, Redis) per timed pass, ms. */
  readonly clusterCpuMsPerPass: number;
  /** The delay proxies' part of `clusterCpuMsPerPass`, ms (a real network would not charge it to these cores). */
  readonly proxyCpuMsPerPass: number;
  /** CPU seconds of the workers, their proxies, the planner and Redis during the timed passes / their wall time. */
  readonly clusterCpuPerWall: number;
  /** Peak RSS of the client process, bytes. */
  readonly clientMaxRssBytes: number;
  /** Distinct locations that served endpoints in the last pass. */
  readonly locationsUsed: number;
  /** XOR of values read in every batch; equal across scenarios when they read the same data. */
  readonly checksum: string;
}

/** One dataset size at one added latency. */
export interface RunFigures {
  /** One-way delay added by every worker's proxy, ms (the round trip gains twice this). */
  readonly delayMs: number;
  /** Size of each shard, MiB of Arrow body. */
  readonly shardMiB: number;
  readonly dataset: string;
  readonly endpoints: number;
  readonly rows: number;
  /** FlightInfo total_bytes (stored shard bytes). */
  readonly bytes: number;
  /** Timed passes of every scenario (after the warm-up round). */
  readonly passes: number;
  /** 1-minute load average before and after the run's scenarios. */
  readonly loadBefore: number;
  readonly loadAfter: number;
  readonly scenarios: readonly ScenarioFigures[];
}

/** A target of the issue, checked. */
export interface TargetCheck {
  readonly what: string;
  readonly delayMs: number;
  readonly shardMiB: number;
  /** The measured ratio. */
  readonly value: number;
  /** The ratio it must reach. */
  readonly target: number;
  readonly met: boolean;
}

/** Machine and software of the run. */
export interface MachineFacts {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly totalMemoryBytes: number;
  readonly os: string;
  readonly node: string;
  readonly python: string;
  readonly pyarrow: string;
  readonly gitRevision: string;
}

/** Everything one run of `pnpm bench:client` measured. */
export interface ClientBenchResult {
  readonly name: string;
  readonly quick: boolean;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly machine: MachineFacts;
  readonly method: {
    readonly workers: number;
    readonly endpoints: number;
    readonly replicas: number;
    readonly warmupPasses: number;
    /** How many timed passes each run took (the figure per run is in `runs[].passes`). */
    readonly timedPasses: string;
    readonly delaysMs: readonly number[];
    readonly shardMiB: readonly number[];
  };
  readonly runs: readonly RunFigures[];
  readonly targets: readonly TargetCheck[];
}

/**
 * Median of a non-empty list (mean of the two middle values for an even count).
 * @throws RangeError for an empty list.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of an empty list");
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

/** What the harness collected for one scenario in one run. */
export interface ScenarioRun {
  /** The timed passes, in run order (warm-up passes excluded). */
  readonly passes: readonly ScenarioPass[];
  /** CPU seconds of the cluster's processes summed over the timed passes. */
  readonly clusterCpuSeconds: number;
  /** The part of `clusterCpuSeconds` used by the delay proxies. */
  readonly proxyCpuSeconds: number;
  /** Peak RSS of the scenario process, bytes. */
  readonly maxRssBytes: number;
}

/**
 * The figures of one scenario from its timed passes.
 * @throws RangeError when there is no pass or a pass took no time.
 */
export function summarizeScenario(id: ScenarioId, run: ScenarioRun): ScenarioFigures {
  const passes = run.passes;
  if (passes.length === 0) throw new RangeError(`scenario ${id} has no timed pass`);
  if (passes.some((pass) => !(pass.seconds > 0))) throw new RangeError(`scenario ${id} has a pass that took no time`);
  const seconds = passes.map((pass) => pass.seconds);
  const mid = median(seconds);
  const first = passes[0] as ScenarioPass;
  const last = passes[passes.length - 1] as ScenarioPass;
  const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
  const wall = sum(seconds);
  const cpu = sum(passes.map((pass) => pass.cpuSeconds));
  return {
    id,
    label: SCENARIOS.find((s) => s.id === id)?.label ?? id,
    medianSeconds: mid,
    minSeconds: Math.min(...seconds),
    maxSeconds: Math.max(...seconds),
    passSeconds: seconds,
    rowsPerSecond: first.rows / mid,
    megabytesPerSecond: first.bytes / mid / 1e6,
    clientCpuPerWall: cpu / wall,
    clientCpuMsPerPass: (cpu / passes.length) * 1000,
    clientWaitPerWall: sum(passes.map((pass) => pass.runQueueWaitSeconds)) / wall,
    clusterCpuPerWall: run.clusterCpuSeconds / wall,
    clusterCpuMsPerPass: (run.clusterCpuSeconds / passes.length) * 1000,
    proxyCpuMsPerPass: (run.proxyCpuSeconds / passes.length) * 1000,
    clientMaxRssBytes: run.maxRssBytes,
    locationsUsed: Object.keys(last.locations).length,
    checksum: last.checksum,
  };
}

/**
 * How many times faster scenario `over` is than `under` in `run`: the ratio of their median
 * pass times (under / over), or of their fastest passes; undefined when either is missing.
 */
export function speedup(
  run: RunFigures,
  over: ScenarioId,
  under: ScenarioId,
  statistic: "median" | "fastest" = "median",
): number | undefined {
  const a = run.scenarios.find((s) => s.id === over);
  const b = run.scenarios.find((s) => s.id === under);
  if (a === undefined || b === undefined) return undefined;
  return statistic === "median" ? b.medianSeconds / a.medianSeconds : b.minSeconds / a.minSeconds;
}

/**
 * The issue's targets over the runs: with 20 ms added and 8 endpoints, (a) >= 4 x (b);
 * with no latency, (a) >= (b). Checked for every dataset size measured.
 */
export function checkTargets(runs: readonly RunFigures[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const run of runs) {
    const value = speedup(run, "a", "b");
    if (value === undefined) continue;
    if (run.delayMs === 0) {
      checks.push({
        what: "(a) >= (b), no latency",
        delayMs: 0,
        shardMiB: run.shardMiB,
        value,
        target: 1,
        met: value >= 1,
      });
    } else if (run.delayMs === 20 && run.endpoints === 8) {
      const what = "(a) >= 4 x (b), 20 ms, 8 endpoints";
      checks.push({ what, delayMs: 20, shardMiB: run.shardMiB, value, target: 4, met: value >= 4 });
    }
  }
  return checks;
}

/** Every scenario read the same values (equal checksums), or a description of the difference. */
export function checksumProblem(run: RunFigures): string | undefined {
  const sums = new Set(run.scenarios.map((s) => s.checksum));
  if (sums.size <= 1) return undefined;
  return `scenarios read different data at ${run.delayMs} ms, ${run.shardMiB} MiB shards: ${run.scenarios
    .map((s) => `${s.id}=${s.checksum}`)
    .join(", ")}`;
}
