/**
 * `flight-cluster bench <uri> <dataset>`: how much faster the cluster client reads a flight
 * with its endpoints in parallel than one endpoint at a time, against any Flight service
 * (the planner, or a pyarrow server answering `PATH [dataset]`).
 */
import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { ClusterClient } from "@flight-cluster/client";
import { renderBenchChart } from "./bench-chart.js";
import { CliError, usageError } from "./cli-error.js";
import {
  CLIENT_OPTIONS,
  CONCURRENCY_OPTION,
  clientFlags,
  concurrencyFlag,
  JSON_OPTION,
  RECEIVE_THREADS_OPTION,
  receiveThreadsFlag,
} from "./client-options.js";
import { withClusterClient } from "./cluster-session.js";
import type { CommandSpec } from "./command.js";
import { formatBytes, formatDuration } from "./option-values.js";
import { formatTextTable } from "./text-table.js";

/** One mode's figures over all passes. */
export interface BenchModeResult {
  /** `parallel` (the client at `--concurrency`) or `sequential` (the client at concurrency 1). */
  readonly mode: "parallel" | "sequential";
  readonly concurrency: number;
  /** Wall time of each pass, seconds, in run order. */
  readonly seconds: readonly number[];
  readonly medianSeconds: number;
  /** Arrow message bytes per second at the median, in MB/s (10^6 bytes). */
  readonly mbPerSecond: number;
  /** Rows per second at the median. */
  readonly rowsPerSecond: number;
}

/** What `bench --json` prints. */
export interface BenchReport {
  readonly uri: string;
  readonly dataset: string;
  readonly endpoints: number;
  /** Rows and Arrow message bytes of one read of the flight. */
  readonly rows: number;
  readonly bytes: number;
  readonly passes: number;
  readonly results: readonly [BenchModeResult, BenchModeResult];
  /** Median sequential time / median parallel time (> 1: parallel is faster). */
  readonly speedup: number;
  /** The chart written, or null. */
  readonly chart: string | null;
}

/** Command `bench`: time parallel vs one-at-a-time reads of a flight; throws CliError/FlightError. */
export const benchCommand: CommandSpec = {
  name: "bench",
  summary: "benchmark parallel reads of a dataset against one endpoint at a time (any Flight service)",
  description:
    "Reads the flight PATH [dataset] with the cluster client once to warm up, then --passes times in each of\n" +
    "two modes, alternating: (a) --concurrency endpoints at once, (b) one endpoint at a time. Prints median\n" +
    "wall time, MB/s (Arrow message bytes) and rows/s of each mode and their ratio; --chart writes an SVG\n" +
    "bar chart. Works against any Flight service, not only a flight-cluster planner.",
  positionals: [
    { name: "uri", description: "the Flight service, e.g. grpc+tcp://localhost:8815" },
    { name: "dataset", description: "the flight's path (one segment: PATH [dataset])" },
  ],
  options: {
    passes: { type: "string", value: "N", description: "measured passes per mode", defaultText: "5" },
    chart: { type: "string", value: "FILE.svg", description: "write an SVG bar chart of the throughput" },
    ...CONCURRENCY_OPTION,
    ...RECEIVE_THREADS_OPTION,
    ...CLIENT_OPTIONS,
    ...JSON_OPTION,
  },
  examples: [
    "bench grpc+tcp://localhost:8815 demo/sales --concurrency 8 --chart bench.svg",
    "bench grpc+tcp://localhost:9000 taxi --passes 3 --json",
  ],
  async run(args, { io, signal }) {
    const uri = args.uriPositional(0, "uri");
    const dataset = args.positional(1);
    const concurrency = concurrencyFlag(args);
    const passes = args.integer("passes", 5, 1, 1000);
    const chartArg = args.string("chart");
    if (chartArg !== undefined && !chartArg.toLowerCase().endsWith(".svg"))
      throw usageError(`--chart ${JSON.stringify(chartArg)} must name an .svg file`, "bench");
    const chart = chartArg === undefined ? null : resolve(io.cwd, chartArg);
    const flags = { ...clientFlags(args), receiveThreads: receiveThreadsFlag(args) };
    const report = await withClusterClient(uri, flags, async (client) => {
      const warm = await readOnce(client, dataset, concurrency, signal);
      const times: [number[], number[]] = [[], []];
      for (let pass = 0; pass < passes; pass++) {
        // Alternate which mode goes first, so a drift in the machine's load falls on both alike.
        const order = pass % 2 === 0 ? [0, 1] : [1, 0];
        for (const m of order) {
          const run = await readOnce(client, dataset, m === 0 ? concurrency : 1, signal);
          if (run.rows !== warm.rows)
            throw new CliError(
              "CLI_BAD_RESPONSE",
              `pass ${pass + 1} read ${run.rows} rows, the first read ${warm.rows}`,
            );
          times[m]?.push(run.seconds);
        }
      }
      const parallel = modeResult("parallel", concurrency, times[0], warm);
      const sequential = modeResult("sequential", 1, times[1], warm);
      return {
        uri,
        dataset,
        endpoints: warm.endpoints,
        rows: warm.rows,
        bytes: warm.bytes,
        passes,
        results: [parallel, sequential],
        speedup: sequential.medianSeconds / Math.max(1e-9, parallel.medianSeconds),
        chart,
      } satisfies BenchReport;
    });
    if (chart !== null) await writeChart(chart, report);
    if (args.flag("json")) io.stdout.write(`${JSON.stringify(report)}\n`);
    else io.stdout.write(formatBenchReport(report));
  },
};

interface ReadFigures {
  readonly seconds: number;
  readonly rows: number;
  readonly bytes: number;
  readonly endpoints: number;
}

async function readOnce(
  client: ClusterClient,
  dataset: string,
  concurrency: number,
  signal: AbortSignal,
): Promise<ReadFigures> {
  const started = performance.now();
  const fetch = client.fetch(dataset, { concurrency, signal });
  let rows = 0;
  for await (const batch of fetch) rows += batch.numRows;
  const seconds = (performance.now() - started) / 1000;
  const progress = fetch.progress();
  return { seconds, rows, bytes: progress.bytes, endpoints: progress.endpointsTotal };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function modeResult(
  mode: BenchModeResult["mode"],
  concurrency: number,
  seconds: readonly number[],
  read: ReadFigures,
): BenchModeResult {
  const m = median(seconds);
  const per = m > 0 ? 1 / m : 0;
  return {
    mode,
    concurrency,
    seconds,
    medianSeconds: m,
    mbPerSecond: (read.bytes / 1e6) * per,
    rowsPerSecond: read.rows * per,
  };
}

/** The report as a text table plus a summary line. Exported for tests. */
export function formatBenchReport(report: BenchReport): string {
  const rows = report.results.map((r) => [
    r.mode === "parallel" ? "(a) parallel" : "(b) one at a time",
    String(r.concurrency),
    formatDuration(r.medianSeconds * 1000),
    formatDuration(Math.min(...r.seconds) * 1000),
    formatDuration(Math.max(...r.seconds) * 1000),
    r.mbPerSecond.toFixed(1),
    Math.round(r.rowsPerSecond).toLocaleString("en-US"),
  ]);
  const table = formatTextTable(
    [
      { header: "MODE" },
      { header: "CONCURRENCY", align: "right" },
      { header: "MEDIAN", align: "right" },
      { header: "MIN", align: "right" },
      { header: "MAX", align: "right" },
      { header: "MB/S", align: "right" },
      { header: "ROWS/S", align: "right" },
    ],
    rows,
  );
  const head =
    `bench ${report.dataset} at ${report.uri}: ${report.endpoints} endpoint(s), ` +
    `${report.rows.toLocaleString("en-US")} rows, ${formatBytes(report.bytes)} per read, ${report.passes} pass(es) per mode\n`;
  const tail = `parallel/one-at-a-time: ${report.speedup.toFixed(2)}x (median wall time)${
    report.chart === null ? "" : `; chart: ${report.chart}`
  }\n`;
  return head + table + tail;
}

async function writeChart(path: string, report: BenchReport): Promise<void> {
  const svg = renderBenchChart(
    `Reading ${report.dataset}: parallel vs one endpoint at a time`,
    `${report.endpoints} endpoint(s), ${formatBytes(report.bytes)}; median of ${report.passes} pass(es); ${report.speedup.toFixed(2)}x`,
    "MB/s (Arrow message bytes)",
    report.results.map((r) => ({
      label: r.mode === "parallel" ? `(a) concurrency ${r.concurrency}` : "(b) one at a time",
      value: r.mbPerSecond,
      low: report.bytes / 1e6 / Math.max(...r.seconds),
      high: report.bytes / 1e6 / Math.max(1e-9, Math.min(...r.seconds)),
    })),
  );
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(temp, svg);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    const why = error instanceof Error ? error.message : String(error);
    throw new CliError("CLI_OUTPUT_FAILED", `cannot write ${path}: ${why}`, { cause: error });
  }
}
