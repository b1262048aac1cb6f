/** Markdown report of a client benchmark run (benchmarks/results/client.md). */
import {
  type ClientBenchResult,
  type RunFigures,
  type ScenarioFigures,
  type ScenarioId,
  speedup,
} from "./client-result.js";

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
const ms = (seconds: number): string => fixed(seconds * 1000, 0);
const ratio = (n: number | undefined): string => (n === undefined ? "n/a" : `${fixed(n, 2)} x`);

/**
 * The least wall time the added latency alone imposes on a scenario, seconds: one added
 * round trip (2 x the one-way delay) before each endpoint's first batch, paid once when
 * every endpoint is read at once and once per endpoint when they are read one by one.
 * (Sending the data adds no round trips: each stream's 16 MiB or auto-tuned HTTP/2 window
 * and the proxies' pipelining keep data flowing during the delay.)
 */
export function latencyFloorSeconds(run: RunFigures, scenario: ScenarioFigures): number {
  const roundTrip = (2 * run.delayMs) / 1000;
  const serial = scenario.id === "b" || scenario.id === "c";
  return serial ? roundTrip * run.endpoints : roundTrip;
}

function runTable(run: RunFigures): string[] {
  const lines = [
    `### ${run.endpoints} x ${run.shardMiB} MiB, ${run.delayMs} ms added per location (one way)`,
    "",
    `Dataset \`${run.dataset}\`: ${run.rows.toLocaleString("en-US")} rows, ${fixed(run.bytes / 1e6, 1)} MB stored; ` +
      `${run.passes} timed passes per scenario; load average ${fixed(run.loadBefore, 2)} before, ${fixed(run.loadAfter, 2)} after.`,
    "",
    "| scenario | median ms | min - max ms | MB/s | rows/s | latency floor ms | client CPU ms/pass | client CPU/wall | client CPU wait/wall | cluster CPU ms/pass (proxies) | client peak RSS MiB | locations used |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const s of run.scenarios) {
    lines.push(
      `| ${s.label} | ${ms(s.medianSeconds)} | ${ms(s.minSeconds)} - ${ms(s.maxSeconds)} | ${fixed(s.megabytesPerSecond, 0)} | ` +
        `${fixed(s.rowsPerSecond / 1e6, 2)} M | ${ms(latencyFloorSeconds(run, s))} | ${fixed(s.clientCpuMsPerPass, 0)} | ` +
        `${fixed(s.clientCpuPerWall, 2)} | ${fixed(s.clientWaitPerWall, 2)} | ${fixed(s.clusterCpuMsPerPass, 0)} (${fixed(s.proxyCpuMsPerPass, 0)}) | ` +
        `${fixed(s.clientMaxRssBytes / 1024 / 1024, 0)} | ${s.locationsUsed} |`,
    );
  }
  lines.push("");
  return lines;
}

/** Renders the whole report. */
export function renderClientMarkdown(result: ClientBenchResult): string {
  const m = result.machine;
  const method = result.method;
  const lines = [
    `# Client benchmark${result.quick ? " (quick)" : ""}`,
    "",
    `Run ${result.startedAt} (${fixed(result.durationSeconds, 0)} s), git ${m.gitRevision}; ${m.cpus} x ${m.cpuModel}, ` +
      `${fixed(m.totalMemoryBytes / 1024 ** 3, 1)} GiB, ${m.os}; Node ${m.node}, Python ${m.python}, pyarrow ${m.pyarrow}.`,
    "",
    `${method.workers} workers, each reached only through its own delay proxy (its advertised location) when latency is added, directly when not; ` +
      `datasets of ${method.endpoints} shards, shard i stored on worker i (replicas ${method.replicas}), so every ` +
      `endpoint has one location on its own worker. Each scenario is its own process, kept warm; passes alternate ` +
      `between the scenarios round by round: ${method.warmupPasses} warm-up round, then timed passes ` +
      `(${method.timedPasses}). A pass is GetFlightInfo plus every endpoint read to the end. ` +
      "MB/s = the FlightInfo's total_bytes (stored shard bytes, 10^6 bytes per MB) / median pass time. " +
      'Method and how to read it: docs/benchmarks.md, "Client benchmark".',
    "",
    "## Ratios (median pass time of the other scenario / of (a); above 1: (a) is faster)",
    "",
    "| added latency | shards | (a)/(b) | (a)/(c) | (a)/(d) | (a)/(a') | (a)/(a\") | (a)/(a*) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const run of result.runs) {
    lines.push(
      `| ${run.delayMs} ms | ${run.endpoints} x ${run.shardMiB} MiB | ${ratio(speedup(run, "a", "b"))} | ` +
        `${ratio(speedup(run, "a", "c"))} | ${ratio(speedup(run, "a", "d"))} | ${ratio(speedup(run, "a", "a-ordered"))} | ` +
        `${ratio(speedup(run, "a", "a-v8-heap"))} | ${ratio(speedup(run, "a", "a-threads"))} |`,
    );
  }
  lines.push(
    "",
    "The same ratios over the fastest pass of each scenario (on a machine shared with other work, the",
    "fastest pass is the one least disturbed by it):",
    "",
    "| added latency | shards | (a)/(b) | (a)/(c) | (a)/(d) | (a)/(a') | (a)/(a\") | (a)/(a*) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const run of result.runs) {
    const r = (under: Exclude<ScenarioId, "a">): string => ratio(speedup(run, "a", under, "fastest"));
    lines.push(
      `| ${run.delayMs} ms | ${run.endpoints} x ${run.shardMiB} MiB | ${r("b")} | ${r("c")} | ${r("d")} | ${r("a-ordered")} | ${r("a-v8-heap")} | ${r("a-threads")} |`,
    );
  }
  lines.push("", "## Targets", "");
  if (result.targets.length === 0) lines.push("No target applies to the runs measured.");
  for (const t of result.targets) {
    lines.push(
      `- ${t.what}, ${t.shardMiB} MiB shards: ${fixed(t.value, 2)} x (target ${t.target} x): **${t.met ? "met" : "not met"}**`,
    );
  }
  lines.push("", "## Figures", "");
  for (const run of result.runs) lines.push(...runTable(run));
  lines.push(
    "Latency floor: the wall time the added latency alone imposes (one added round trip before each endpoint's",
    "first batch; paid once when endpoints are read at once, once per endpoint when read one by one).",
    "Client CPU: the scenario process's user + system CPU over its timed passes, per pass and per wall second",
    "(1.00 = one core busy). CPU wait/wall: seconds its threads were runnable but waiting for a CPU (Linux",
    "schedstat) per wall second: above 0 means other processes (the cluster, or other work on the machine)",
    "held the cores. Cluster CPU: the workers, their delay proxies, the planner and Redis during the",
    "scenario's timed passes, per pass; in brackets the proxies' part, which a real network would not charge",
    `to these cores. Peak RSS: VmHWM of the scenario process. The machine has ${m.cpus} cores shared by every`,
    "process above. (a\") differs from (a) only in V8's heap growth: every other scenario process of ours calls",
    'useStreamingHeapGrowth(), as the CLI does (docs/client.md, "Memory and garbage collection"). (a*) is (a)',
    "with `receiveThreads: 2`: DoGet streams read in two worker threads, decoded on the main thread.",
    "",
  );
  return lines.join("\n");
}
