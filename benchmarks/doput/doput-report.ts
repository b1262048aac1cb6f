/**
 * Figures and the Markdown report of the DoPut benchmark (pure functions over the clients'
 * results; results/doput.json holds their input and output).
 */
import type { PutPass } from "./put-events.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Who uploads and who receives. */
export interface ScenarioSpec {
  /** Stable id (keys of the JSON). */
  readonly id: string;
  readonly client: "ours" | "pyarrow";
  readonly server: "ours" | "pyarrow";
  /** Our server's receiveWindowBytes; null for the pyarrow server (gRPC C++ sizes its own windows). */
  readonly windowBytes: number | null;
  /** One line for the table. */
  readonly label: string;
}

/** Throughput and CPU cost over a scenario's timed passes. */
export interface ScenarioFigures {
  /** Median, slowest and fastest pass, MiB/s (2^20 bytes) of Arrow body bytes. */
  readonly medianMiBps: number;
  readonly minMiBps: number;
  readonly maxMiBps: number;
  /** Median server CPU seconds (whole process) per GiB received. */
  readonly serverCpuSecondsPerGiB: number;
  /** Median client CPU seconds (whole process) per GiB sent. */
  readonly clientCpuSecondsPerGiB: number;
  /** Median server CPU seconds per wall second of the call (1 = one core busy all along). */
  readonly serverCpuPerWall: number;
  /** Timed passes. */
  readonly passes: number;
}

/** One scenario of a run: its figures (or why it failed) and the load around it. */
export interface ScenarioResult {
  readonly spec: ScenarioSpec;
  readonly status: "ok" | "failed";
  readonly error?: string;
  readonly figures?: ScenarioFigures;
  /** Every timed pass of every round, in run order. */
  readonly passes: readonly PutPass[];
  /** 1-minute load averages sampled before each round's run of the scenario. */
  readonly loadAverages: readonly number[];
}

/** A ratio of two scenarios' median throughputs. */
export interface Ratio {
  readonly name: string;
  readonly numerator: string;
  readonly denominator: string;
  readonly value: number | null;
}

/**
 * Median of a non-empty list (mean of the two middle values for an even count).
 * @throws RangeError for an empty list.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of an empty list");
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle]!;
  return sorted.length % 2 === 1 ? upper : (sorted[middle - 1]! + upper) / 2;
}

/**
 * Figures of a scenario from its timed passes, each of which moved `bodyBytes`.
 * @throws RangeError when there is no pass or a pass took no time.
 */
export function summarize(passes: readonly PutPass[], bodyBytes: number): ScenarioFigures {
  if (passes.length === 0) throw new RangeError("no timed pass");
  if (passes.some((p) => !(p.seconds > 0) || !(p.server.seconds > 0))) {
    throw new RangeError("a pass took no measurable time");
  }
  const mibps = passes.map((p) => bodyBytes / MiB / p.seconds);
  const gib = bodyBytes / GiB;
  return {
    medianMiBps: median(mibps),
    minMiBps: Math.min(...mibps),
    maxMiBps: Math.max(...mibps),
    serverCpuSecondsPerGiB: median(passes.map((p) => p.server.cpuSeconds / gib)),
    clientCpuSecondsPerGiB: median(passes.map((p) => p.cpuSeconds / gib)),
    serverCpuPerWall: median(passes.map((p) => p.server.cpuSeconds / p.server.seconds)),
    passes: passes.length,
  };
}

/** `numerator / denominator` of two scenarios' median MiB/s; null when either has no figures. */
export function ratio(results: readonly ScenarioResult[], name: string, numerator: string, denominator: string): Ratio {
  const find = (id: string) => results.find((r) => r.spec.id === id)?.figures?.medianMiBps;
  const n = find(numerator);
  const d = find(denominator);
  return { name, numerator, denominator, value: n === undefined || d === undefined ? null : n / d };
}

/** What the Markdown header states about the run. */
export interface RunFacts {
  readonly date: string;
  readonly machine: string;
  readonly software: string;
  readonly command: string;
  readonly bodyBytes: number;
  readonly rows: number;
  readonly batches: number;
  readonly batchRows: number;
  readonly rounds: number;
  readonly warmup: number;
  readonly passes: number;
}

const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const windowText = (bytes: number | null) =>
  bytes === null ? "gRPC C++ (its own)" : bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes} B (HTTP/2 default)`;

/** The Markdown report: run facts, one row per scenario, the ratios, the load. */
export function renderMarkdown(facts: RunFacts, results: readonly ScenarioResult[], ratios: readonly Ratio[]): string {
  const lines = [
    "# DoPut throughput: server receive window",
    "",
    `Run of ${facts.date} (\`${facts.command}\`). ${facts.machine}; ${facts.software}.`,
    "",
    `Each pass uploads one table with one DoPut: 4 x int64 (no nulls), ${facts.rows.toLocaleString("en-US")} rows, ` +
      `${(facts.bodyBytes / MiB).toFixed(0)} MiB of Arrow body in ${facts.batches} record batches of ` +
      `${facts.batchRows.toLocaleString("en-US")} rows (one FlightData message each). Client and server are separate ` +
      `processes on 127.0.0.1; a fresh server per scenario and round; ${facts.rounds} round(s) of the whole ` +
      `sequence, each scenario ${facts.warmup} warm-up + ${facts.passes} timed pass(es) per round. Our server's ` +
      "handler reads raw frames (the worker's path: no Arrow decoding) and counts body bytes, which the client " +
      "checks. Throughput is Arrow body MiB (2^20 bytes) per second, from opening the DoPut to the server's " +
      "PutResult. CPU is whole-process CPU time (all threads) per GiB moved.",
    "",
    "| scenario | client -> server | server window | median MiB/s (min - max) | server CPU s/GiB | server CPU/wall | client CPU s/GiB | passes | load (1 min) |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    const load = r.loadAverages.length === 0 ? "" : r.loadAverages.map(f1).join(", ");
    const route = `${r.spec.client} -> ${r.spec.server}`;
    if (r.figures === undefined) {
      lines.push(`| ${r.spec.label} | ${route} | ${windowText(r.spec.windowBytes)} | failed | | | | 0 | ${load} |`);
      continue;
    }
    const g = r.figures;
    lines.push(
      `| ${r.spec.label} | ${route} | ${windowText(r.spec.windowBytes)} | ` +
        `**${g.medianMiBps.toFixed(0)}** (${g.minMiBps.toFixed(0)} - ${g.maxMiBps.toFixed(0)}) | ` +
        `${f2(g.serverCpuSecondsPerGiB)} | ${f2(g.serverCpuPerWall)} | ${f2(g.clientCpuSecondsPerGiB)} | ${g.passes} | ${load} |`,
    );
  }
  lines.push("", "| ratio | value |", "| --- | ---: |");
  for (const q of ratios)
    lines.push(`| ${q.name} (${q.numerator} / ${q.denominator}) | ${q.value === null ? "n/a" : f2(q.value)} |`);
  const failed = results.filter((r) => r.status === "failed");
  if (failed.length > 0) {
    lines.push("", "Failures:", "");
    for (const r of failed) lines.push(`- ${r.spec.id}: ${(r.error ?? "").split("\n")[0]}`);
  }
  return `${lines.join("\n")}\n`;
}
