/** `flight-cluster put <planner-uri> <dataset> <file>`: upload a table file through the planner's DoPut. */
import { FlightDescriptor } from "@flight-cluster/protocol";
import { CLIENT_OPTIONS, clientFlags, JSON_OPTION } from "./client-options.js";
import type { CommandSpec } from "./command.js";
import { datasetArgument } from "./dataset-argument.js";
import { formatBytes, formatDuration } from "./option-values.js";
import { withPlannerSession } from "./planner-session.js";
import { createProgressReporter } from "./progress-reporter.js";
import { openTableFile } from "./table-file-reader.js";

/** What `put` reports (the `--json` output). */
export interface PutSummary {
  readonly dataset: string;
  readonly file: string;
  readonly format: string;
  readonly rows: number;
  /** Arrow bytes sent (uncompressed buffers). */
  readonly bytes: number;
  readonly seconds: number;
  /** The planner's last acknowledgement (its commit summary), parsed when it is JSON. */
  readonly result: unknown;
}

/** Command `put`: upload a table file through the planner; throws CliError (bad file, unreachable planner) or FlightError (refused upload). */
export const putCommand: CommandSpec = {
  name: "put",
  summary: "upload an Arrow IPC, Feather or Parquet file as a dataset (through the planner)",
  description:
    "The file's format is detected from its content: Arrow IPC file or stream, Feather v2 (LZ4 included), Parquet.\n" +
    "The planner cuts it into shards, stores every shard on its replicas and makes the new version visible\n" +
    "only when all of them are stored; if the upload fails or is interrupted nothing becomes visible.\n" +
    "Progress goes to stderr (a bar on a terminal, periodic lines otherwise); the summary to stdout.",
  positionals: [
    { name: "planner-uri", description: "the planner, e.g. grpc+tcp://localhost:8815" },
    { name: "dataset", description: "dataset name: segments of [A-Za-z0-9._-] separated by '/'" },
    { name: "file", description: "the table file to upload" },
  ],
  options: { ...CLIENT_OPTIONS, ...JSON_OPTION },
  examples: [
    "put grpc+tcp://localhost:8815 sales ./sales.parquet",
    "put localhost:8815 events/2026 events.arrow --json",
  ],
  async run(args, { io, signal }) {
    const uri = args.uriPositional(0, "planner-uri");
    const dataset = datasetArgument(args, 1);
    const path = args.positional(2);
    const flags = clientFlags(args);
    const json = args.flag("json");
    const file = await openTableFile(path, { signal });
    const started = performance.now();
    try {
      const summary = await withPlannerSession(uri, { ...flags, signal }, async (session) => {
        const progress = createProgressReporter(io.stderr, {
          label: `put ${dataset}`,
          totalRows: file.totalRows,
        });
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
        let rows = 0;
        let bytes = 0;
        try {
          for await (const batch of file.batches(signal)) {
            await writer.write(batch);
            rows += batch.numRows;
            bytes += batch.data.byteLength;
            progress.update(rows, bytes);
          }
          await writer.close();
          await acks.catch(() => undefined);
        } finally {
          progress.finish();
        }
        return {
          dataset,
          file: path,
          format: file.format,
          rows,
          bytes,
          seconds: (performance.now() - started) / 1000,
          result: parseAck(lastAck),
        } satisfies PutSummary;
      });
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
