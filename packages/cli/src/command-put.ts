/**
 * `flight-cluster put <planner-uri> <dataset> <file>`: upload a table file straight to the
 * workers, shards in parallel, through the planner's write plan (the cluster client's `put`),
 * or with `--through-planner` as one DoPut to the planner. Both store the same shards.
 */
import type { PutEvent } from "@flight-cluster/client";
import { FlightDescriptor } from "@flight-cluster/protocol";
import type { RecordBatch } from "apache-arrow";
import { usageError } from "./cli-error.js";
import {
  CLIENT_OPTIONS,
  type ClientFlags,
  CONCURRENCY_OPTION,
  clientFlags,
  concurrencyFlag,
  JSON_OPTION,
} from "./client-options.js";
import { withClusterClient } from "./cluster-session.js";
import type { CommandSpec } from "./command.js";
import { datasetArgument } from "./dataset-argument.js";
import { formatBytes, formatDuration } from "./option-values.js";
import { withPlannerSession } from "./planner-session.js";
import { createProgressReporter, type ProgressReporter } from "./progress-reporter.js";
import { openTableFile, type TableFile } from "./table-file-reader.js";

/** What `put` reports (the `--json` output). */
export interface PutSummary {
  readonly dataset: string;
  readonly file: string;
  readonly format: string;
  readonly rows: number;
  /** Arrow bytes sent (uncompressed buffers). */
  readonly bytes: number;
  readonly seconds: number;
  /** `write-plan` (parallel, straight to the workers) or `planner` (one DoPut through the planner). */
  readonly path: "write-plan" | "planner";
  /** The commit summary: the client's (write plan) or the planner's last acknowledgement, parsed when JSON. */
  readonly result: unknown;
}

/** Rows and bytes read from the file so far. */
interface Sent {
  rows: number;
  bytes: number;
}

/** Command `put`: upload a table file through the planner; throws CliError (bad file, unreachable planner) or FlightError (refused upload). */
export const putCommand: CommandSpec = {
  name: "put",
  summary: "upload an Arrow IPC, Feather or Parquet file as a dataset (in parallel, straight to the workers)",
  description:
    "The file's format is detected from its content: Arrow IPC file or stream, Feather v2 (LZ4 included), Parquet.\n" +
    "It is cut into shards by the cluster's rule and --concurrency shards are streamed at once to all their\n" +
    "replica workers (the planner's write plan); --through-planner sends one DoPut to the planner instead.\n" +
    "Both store the same shards. The new version becomes visible only when every shard is stored; if the\n" +
    "upload fails or is interrupted nothing becomes visible.\n" +
    "Progress goes to stderr (a bar on a terminal, periodic lines otherwise); the summary to stdout.",
  positionals: [
    { name: "planner-uri", description: "the planner, e.g. grpc+tcp://localhost:8815" },
    { name: "dataset", description: "dataset name: segments of [A-Za-z0-9._-] separated by '/'" },
    { name: "file", description: "the table file to upload" },
  ],
  options: {
    "through-planner": { type: "boolean", description: "upload with one DoPut through the planner" },
    ...CONCURRENCY_OPTION,
    ...CLIENT_OPTIONS,
    ...JSON_OPTION,
  },
  examples: [
    "put grpc+tcp://localhost:8815 sales ./sales.parquet",
    "put grpc+tcp://localhost:8815 sales ./sales.parquet --through-planner",
    "put localhost:8815 events/2026 events.arrow --json",
  ],
  async run(args, { io, signal }) {
    const uri = args.uriPositional(0, "planner-uri");
    const dataset = datasetArgument(args, 1);
    const path = args.positional(2);
    const flags = clientFlags(args);
    const json = args.flag("json");
    const throughPlanner = args.flag("through-planner");
    const concurrency = concurrencyFlag(args);
    if (throughPlanner && args.string("concurrency") !== undefined)
      throw usageError("--concurrency applies only without --through-planner", "put");
    const file = await openTableFile(path, { signal });
    const started = performance.now();
    try {
      const progress = createProgressReporter(io.stderr, { label: `put ${dataset}`, totalRows: file.totalRows });
      const sent: Sent = { rows: 0, bytes: 0 };
      let result: unknown;
      try {
        result = throughPlanner
          ? await putThroughPlanner(uri, dataset, file, flags, signal, sent, progress)
          : await putWithWritePlan(uri, dataset, file, flags, concurrency, signal, sent, progress);
      } finally {
        progress.finish();
      }
      const summary: PutSummary = {
        dataset,
        file: path,
        format: file.format,
        rows: sent.rows,
        bytes: sent.bytes,
        seconds: (performance.now() - started) / 1000,
        path: throughPlanner ? "planner" : "write-plan",
        result,
      };
      if (json) {
        io.stdout.write(`${JSON.stringify(summary)}\n`);
      } else {
        const rate = summary.seconds > 0 ? summary.bytes / summary.seconds : 0;
        io.stdout.write(
          `put ${dataset}: ${summary.rows.toLocaleString("en-US")} rows, ${formatBytes(summary.bytes)} ` +
            `from ${file.format} in ${formatDuration(summary.seconds * 1000)} (${formatBytes(Math.round(rate))}/s)` +
            `${describeResult(summary.result)}\n`,
        );
      }
    } finally {
      await file.close();
    }
  },
};

/** Count what the file yields (for the summary) while passing it on. */
async function* counted(batches: AsyncIterable<RecordBatch>, sent: Sent): AsyncGenerator<RecordBatch> {
  for await (const batch of batches) {
    sent.rows += batch.numRows;
    sent.bytes += batch.data.byteLength;
    yield batch;
  }
}

/** The parallel upload; progress from the client's progress events. @returns the commit summary. */
async function putWithWritePlan(
  uri: string,
  dataset: string,
  file: TableFile,
  flags: ClientFlags,
  concurrency: number,
  signal: AbortSignal,
  sent: Sent,
  progress: ProgressReporter,
): Promise<unknown> {
  return withClusterClient(uri, flags, (client) =>
    client.put(dataset, counted(file.batches(signal), sent), {
      schema: file.schema,
      concurrency,
      signal,
      onEvent: (event: PutEvent) => {
        if (event.kind === "progress") progress.update(event.rows, event.bytes);
      },
    }),
  );
}

/** One DoPut through the planner. @returns the planner's last acknowledgement, parsed. */
async function putThroughPlanner(
  uri: string,
  dataset: string,
  file: TableFile,
  flags: ClientFlags,
  signal: AbortSignal,
  sent: Sent,
  progress: ProgressReporter,
): Promise<unknown> {
  return withPlannerSession(uri, { ...flags, signal }, async (session) => {
    const { writer, results } = session.planner.doPut(
      FlightDescriptor.forPath(dataset),
      file.schema,
      session.streamOptions(),
    );
    // Read acknowledgements while writing, keeping only the last (bounded memory).
    let lastAck: Uint8Array | undefined;
    const acks = (async () => {
      for await (const ack of results) lastAck = ack.appMetadata;
    })();
    acks.catch(() => undefined);
    for await (const batch of counted(file.batches(signal), sent)) {
      await writer.write(batch);
      progress.update(sent.rows, sent.bytes);
    }
    await writer.close();
    await acks.catch(() => undefined);
    return parseAck(lastAck);
  });
}

function parseAck(bytes: Uint8Array | undefined): unknown {
  if (bytes === undefined || bytes.length === 0) return null;
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describeResult(result: unknown): string {
  if (typeof result !== "object" || result === null) return "";
  const record = result as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof record["version"] === "number") parts.push(`version ${record["version"]}`);
  const shards = record["shards"] ?? record["shardCount"];
  const count = Array.isArray(shards) ? shards.length : typeof shards === "number" ? shards : undefined;
  if (count !== undefined) parts.push(`${count} shard${count === 1 ? "" : "s"}`);
  return parts.length === 0 ? "" : `; ${parts.join(", ")}`;
}
