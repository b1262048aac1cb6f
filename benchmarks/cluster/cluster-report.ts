/** Markdown tables and an SVG chart of a cluster benchmark run, without dependencies. */
import { escapeXml, niceStep } from "../doget/bench-chart.js";
import type { ClusterBenchResult } from "./cluster-result.js";

const f1 = (n: number): string => n.toFixed(1);
const f2 = (n: number): string => n.toFixed(2);
const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;

/** The run as Markdown (benchmarks/results/cluster.md). */
export function renderClusterMarkdown(r: ClusterBenchResult): string {
  const m = r.machine;
  const lines = [
    `# Cluster benchmark${r.quick ? " (quick run)" : ""}`,
    "",
    `Run ${r.startedAt}, ${f1(r.durationSeconds)} s. Machine: ${m.cpus} x ${m.cpuModel}, ${(m.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.os}; Node ${m.node}, pyarrow ${m.pyarrow}; git ${m.gitRevision}.`,
    `Load average (1 min) ${f1(r.loadAverage.start)} at the start, ${f1(r.loadAverage.end)} at the end: other work shared the ${m.cpus} cores, which is why every figure comes with a reference measured in the same run.`,
    `Cluster: Redis + 1 planner + ${r.cluster.workers} workers in zones ${r.cluster.zones.join(", ")}, ${r.cluster.replicas} replicas, every process on this machine (loopback).`,
    "",
    "## GetFlightInfo",
    "",
    "Sequential calls for latency; calls in flight at once for the rate. The reference is a FlightServer",
    "answering the same FlightInfo bytes from memory (no registry): the RPC's cost floor, measured in the same run.",
    "",
    "| shards | planner p50 ms | planner p99 ms | planner calls/s | reference p50 ms | reference p99 ms | reference calls/s | planner/reference p50 |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...r.flightInfo.map(
      (x) =>
        `| ${x.shards} | ${f2(x.planner.latency.p50Ms)} | ${f2(x.planner.latency.p99Ms)} | ${f1(x.planner.callsPerSecond)} | ` +
        `${f2(x.reference.latency.p50Ms)} | ${f2(x.reference.latency.p99Ms)} | ${f1(x.reference.callsPerSecond)} | ` +
        `${f1(x.planner.latency.p50Ms / x.reference.latency.p50Ms)}x |`,
    ),
    "",
    `Latency: ${r.flightInfo[0]?.planner.latency.calls ?? 0}+ sequential calls per point; rate: ${r.flightInfo[0]?.planner.concurrency ?? 0} calls in flight.`,
    "",
    "## Ingest: through the planner vs direct to workers",
    "",
    `${f1(r.ingest.bodyBytes / 1e6)} MB of Arrow body (4 fixed-width columns), shards of ${f1(r.ingest.shardTargetBytes / 2 ** 20)} MiB, ` +
      `${r.cluster.replicas} replicas each (fsynced); direct uploads write ${r.ingest.directConcurrency} shards at once.`,
    "",
    "| path | median MB/s | min | max | planner CPU s / pass | workers CPU s / pass |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...(["planner", "direct"] as const).map((path) => {
      const s = r.ingest[path];
      return `| ${path === "planner" ? "DoPut through the planner" : "our client's parallel put, direct to workers"} | ${f1(s.medianMBps)} | ${f1(s.minMBps)} | ${f1(s.maxMBps)} | ${f2(s.plannerCpuSeconds)} | ${f2(s.workersCpuSeconds)} |`;
    }),
    "",
    `Direct / through planner: ${f2(r.ingest.direct.medianMBps / r.ingest.planner.medianMBps)}x.`,
    "",
    "## The planner's share of CPU while clients read",
    "",
    `${r.readCpu.clients} pyarrow clients, ${r.readCpu.rounds} rounds each of GetFlightInfo + DoGet of every endpoint of ` +
      `\`${r.readCpu.dataset}\` (${r.readCpu.shards} shards, ${f1(r.readCpu.bodyBytes / 1e6)} MB); ${f1(r.readCpu.mbPerSecond)} MB/s read in total.`,
    "",
    "| process | CPU seconds | share |",
    "| --- | ---: | ---: |",
    ...(["planner", "workers", "redis", "clients"] as const).map((k) => {
      const total = Object.values(r.readCpu.cpuSeconds).reduce((s, v) => s + v, 0);
      return `| ${k} | ${f2(r.readCpu.cpuSeconds[k])} | ${pct(total > 0 ? r.readCpu.cpuSeconds[k] / total : 0)} |`;
    }),
    "",
    `The planner used ${pct(r.readCpu.plannerShareOfCluster)} of the cluster's CPU (planner + workers + Redis) and ${pct(r.readCpu.plannerShareOfTotal)} of all CPU.`,
    "",
  ];
  return lines.join("\n");
}

const WIDTH = 960;
const HEIGHT = 400;

function panel(
  x0: number,
  title: string,
  unit: string,
  groups: ReadonlyArray<{
    readonly label: string;
    readonly bars: ReadonlyArray<{ readonly value: number; readonly color: string }>;
  }>,
  scale: "linear" | "log" = "linear",
): string[] {
  const width = 290;
  const top = 70;
  const bottom = HEIGHT - 50;
  const values = groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v) => v > 0);
  const max = Math.max(1e-9, ...values);
  const out = [
    `<text x="${x0 + width / 2}" y="${top - 24}" text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  let y: (v: number) => number;
  const ticks: number[] = [];
  if (scale === "log") {
    // Powers of ten from below the smallest value to above the largest.
    const low = 10 ** Math.floor(Math.log10(Math.min(max, ...values)));
    const high = 10 ** Math.ceil(Math.log10(max));
    const span = Math.max(1e-9, Math.log10(high) - Math.log10(low));
    y = (v) => bottom - ((bottom - top) * (Math.log10(Math.max(v, low)) - Math.log10(low))) / span;
    for (let tick = low; tick <= high * 1.0001; tick *= 10) ticks.push(tick);
  } else {
    const step = niceStep(max, 5);
    const axisMax = Math.ceil(max / step) * step;
    y = (v) => bottom - ((bottom - top) * v) / axisMax;
    for (let tick = 0; tick <= axisMax + step / 1e6; tick += step) ticks.push(tick);
  }
  for (const tick of ticks) {
    out.push(
      `<line x1="${x0 + 40}" x2="${x0 + width}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" stroke="#e0e0e0"/>`,
    );
    out.push(
      `<text x="${x0 + 36}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end" font-size="10">${escapeXml(String(Number(tick.toPrecision(6))))}</text>`,
    );
  }
  out.push(`<text x="${x0 + 4}" y="${top - 8}" font-size="10">${escapeXml(unit)}</text>`);
  const groupWidth = (width - 50) / Math.max(1, groups.length);
  groups.forEach((group, g) => {
    const barWidth = Math.min(36, (groupWidth * 0.8) / Math.max(1, group.bars.length));
    const gx = x0 + 45 + g * groupWidth + (groupWidth - barWidth * group.bars.length) / 2;
    group.bars.forEach((bar, b) => {
      const bx = gx + b * barWidth;
      out.push(
        `<rect x="${bx.toFixed(1)}" y="${y(bar.value).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(bottom - y(bar.value)).toFixed(1)}" fill="${bar.color}"/>`,
      );
      const label =
        bar.value >= 100 ? bar.value.toFixed(0) : bar.value >= 10 ? bar.value.toFixed(1) : bar.value.toFixed(2);
      out.push(
        `<text x="${(bx + barWidth / 2 - 1).toFixed(1)}" y="${(y(bar.value) - 3).toFixed(1)}" text-anchor="middle" font-size="9">${label}</text>`,
      );
    });
    out.push(
      `<text x="${(x0 + 45 + g * groupWidth + groupWidth / 2).toFixed(1)}" y="${bottom + 16}" text-anchor="middle" font-size="11">${escapeXml(group.label)}</text>`,
    );
  });
  return out;
}

/** The run as an SVG chart (benchmarks/results/cluster.svg): three panels. */
export function renderClusterChart(r: ClusterBenchResult): string {
  const colors = { planner: "#f58518", reference: "#8c8c8c", direct: "#4c78a8", p99: "#e45756" };
  const total = Object.values(r.readCpu.cpuSeconds).reduce((s, v) => s + v, 0) || 1;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(
      `flight-cluster on ${r.machine.cpus} cores: planner, ${r.cluster.workers} workers, Redis${r.quick ? " (quick run)" : ""}`,
    )}</text>`,
    ...panel(
      10,
      "GetFlightInfo p50 / p99 latency",
      "ms (log scale)",
      r.flightInfo.map((x) => ({
        label: `${x.shards} shard${x.shards === 1 ? "" : "s"}`,
        bars: [
          { value: x.planner.latency.p50Ms, color: colors.planner },
          { value: x.planner.latency.p99Ms, color: colors.p99 },
          { value: x.reference.latency.p50Ms, color: colors.reference },
        ],
      })),
      "log",
    ),
    ...panel(330, "Ingest throughput (median)", "MB/s", [
      { label: "through planner", bars: [{ value: r.ingest.planner.medianMBps, color: colors.planner }] },
      { label: "direct to workers", bars: [{ value: r.ingest.direct.medianMBps, color: colors.direct }] },
    ]),
    ...panel(650, "CPU while clients read", "% of all CPU", [
      { label: "planner", bars: [{ value: (100 * r.readCpu.cpuSeconds.planner) / total, color: colors.planner }] },
      { label: "workers", bars: [{ value: (100 * r.readCpu.cpuSeconds.workers) / total, color: colors.direct }] },
      { label: "redis", bars: [{ value: (100 * r.readCpu.cpuSeconds.redis) / total, color: colors.reference }] },
      { label: "clients", bars: [{ value: (100 * r.readCpu.cpuSeconds.clients) / total, color: "#54a24b" }] },
    ]),
    `<rect x="20" y="${HEIGHT - 18}" width="10" height="10" fill="${colors.planner}"/><text x="34" y="${HEIGHT - 9}" font-size="10">planner p50</text>`,
    `<rect x="110" y="${HEIGHT - 18}" width="10" height="10" fill="${colors.p99}"/><text x="124" y="${HEIGHT - 9}" font-size="10">planner p99</text>`,
    `<rect x="200" y="${HEIGHT - 18}" width="10" height="10" fill="${colors.reference}"/><text x="214" y="${HEIGHT - 9}" font-size="10">reference p50 (same FlightInfo, no registry)</text>`,
    "</svg>",
    "",
  ];
  return out.join("\n");
}
