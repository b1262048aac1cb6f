/** `flight-cluster get <planner-uri> <dataset>`: read every endpoint at once with the cluster client. */
import type { ClusterClient, FetchEvent, FlightFetch } from "@flight-cluster/client";
import { DataType, type RecordBatch, type Schema } from "apache-arrow";
import { usageError } from "./cli-error.js";
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
import type { CliIo, CommandSpec } from "./command.js";
import { datasetArgument } from "./dataset-argument.js";
import { formatBytes, formatDuration } from "./option-values.js";
import { createProgressReporter, type ProgressReporter } from "./progress-reporter.js";
import { createTableFileWriter, outputFormatForPath } from "./table-file-writer.js";
import { formatTextTable } from "./text-table.js";
import { formatCell } from "./value-format.js";

/** What `get --out` reports (the `--json` output). */
export interface GetSummary {
  readonly dataset: string;
  readonly out: string | null;
  readonly rows: number;
  readonly bytes: number;
  readonly endpoints: number;
  readonly seconds: number;
  /** Reads that failed and were resumed at another replica. */
  readonly failovers: number;
}

/** Command `get`: read a dataset to a file or the terminal; throws CliError/FlightError (one line, exit 1 or 2). */
export const getCommand: CommandSpec = {
  name: "get",
  summary: "read a dataset: write it to a file (--out) or print its first rows",
  description:
    "Asks the planner for the dataset's endpoints (one per shard) and reads --concurrency of them at once,\n" +
    "each from its best replica (same zone, lowest round trip, least busy), resuming at another replica if\n" +
    "one fails mid-stream. Batches are written in endpoint order (the planner's flights are ordered).\n" +
    "--out writes an Arrow IPC file (.arrow, .feather), an IPC stream (.arrows) or Parquet (.parquet);\n" +
    "the file appears only once it is complete.",
  positionals: [
    { name: "planner-uri", description: "the planner (or any Flight service), e.g. grpc+tcp://localhost:8815" },
    { name: "dataset", description: "dataset name" },
  ],
  options: {
    out: { type: "string", value: "FILE", description: "write the data to FILE (.arrow, .feather, .arrows, .parquet)" },
    columns: { type: "string", value: "A,B", description: "read only these columns, in this order" },
    limit: { type: "string", value: "N", description: "rows to print without --out", defaultText: "20" },
    ordered: {
      type: "boolean",
      description: "keep endpoint order even when the service says its flight is unordered",
    },
    ...CONCURRENCY_OPTION,
    ...RECEIVE_THREADS_OPTION,
    ...CLIENT_OPTIONS,
    ...JSON_OPTION,
  },
  examples: [
    "get grpc+tcp://localhost:8815 demo/sales --limit 5",
    "get grpc+tcp://localhost:8815 demo/sales --columns region,amount --concurrency 8 --out sales.parquet",
  ],
  async run(args, { io, signal }) {
    const uri = args.uriPositional(0, "planner-uri");
    const dataset = datasetArgument(args, 1);
    const columns = args.list("columns");
    const out = args.string("out");
    const limit = args.integer("limit", 20, 0, 1_000_000);
    const json = args.flag("json");
    const concurrency = concurrencyFlag(args);
    if (out !== undefined && args.string("limit") !== undefined)
      throw usageError("--limit applies only without --out", "get");
    const flags = { ...clientFlags(args), receiveThreads: receiveThreadsFlag(args) };
    if (out !== undefined) outputFormatForPath(out);
    const started = performance.now();
    await withClusterClient(uri, flags, async (client) => {
      let failovers = 0;
      let progress: ProgressReporter | undefined;
      const received = { rows: 0, bytes: 0 };
      const onEvent = (event: FetchEvent): void => {
        if (event.kind === "failover" && event.willRetry) {
          failovers += 1;
          const why = event.error.message.split("\n")[0];
          io.stderr.write(`flight-cluster: ${event.location} failed (${why}); resuming at another replica\n`);
        } else if (event.kind === "batch") {
          received.rows += event.rows;
          received.bytes += event.bytes;
          progress?.update(received.rows, received.bytes);
        }
      };
      const fetch = startFetch(client, dataset, {
        columns,
        concurrency,
        ordered: args.flag("ordered") ? true : undefined,
        signal,
        onEvent,
      });
      const info = await fetch.info();
      const schema = await fetch.schema();
      if (out === undefined) {
        await printRows(schema, info.totalRecords, limit, json, io.stdout, fetch);
        return;
      }
      const writer = await createTableFileWriter(out, schema);
      progress = createProgressReporter(io.stderr, {
        label: `get ${dataset}`,
        totalRows: info.totalRecords >= 0 ? info.totalRecords : undefined,
      });
      let rows = 0;
      try {
        for await (const batch of fetch) {
          await writer.write(batch);
          rows += batch.numRows;
        }
        const written = await writer.close();
        progress.finish();
        reportGet(io, json, {
          dataset,
          out,
          rows,
          bytes: written.bytes,
          endpoints: info.endpoints.length,
          seconds: (performance.now() - started) / 1000,
          failovers,
        });
      } catch (error) {
        progress.finish();
        await writer.abort();
        throw error;
      }
    });
  },
};

interface StartFetchOptions {
  readonly columns: readonly string[] | undefined;
  readonly concurrency: number;
  readonly ordered: boolean | undefined;
  readonly signal: AbortSignal;
  readonly onEvent: (event: FetchEvent) => void;
}

function startFetch(client: ClusterClient, dataset: string, o: StartFetchOptions): FlightFetch {
  return client.fetch(dataset, {
    concurrency: o.concurrency,
    signal: o.signal,
    onEvent: o.onEvent,
    ...(o.columns === undefined ? {} : { columns: o.columns }),
    ...(o.ordered === undefined ? {} : { ordered: o.ordered }),
  });
}

function reportGet(io: CliIo, json: boolean, summary: GetSummary): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  io.stdout.write(
    `get ${summary.dataset}: ${summary.rows.toLocaleString("en-US")} rows from ${summary.endpoints} endpoint(s) ` +
      `-> ${summary.out} (${formatBytes(summary.bytes)}) in ${formatDuration(summary.seconds * 1000)}\n`,
  );
}

async function printRows(
  schema: Schema,
  totalRecords: number,
  limit: number,
  json: boolean,
  stdout: NodeJS.WritableStream,
  batches: AsyncIterable<RecordBatch>,
): Promise<void> {
  const rows: string[][] = [];
  const objects: Record<string, unknown>[] = [];
  let seen = 0;
  if (limit > 0) {
    // Leaving the loop early cancels the rest of the fetch.
    for await (const batch of batches) {
      for (let i = 0; i < batch.numRows && seen < limit; i++, seen++) {
        const cells = schema.fields.map((field, c) => formatValue(batch.getChildAt(c)?.get(i), field.type));
        if (json) objects.push(Object.fromEntries(schema.fields.map((f, c) => [f.name, cells[c]])));
        else rows.push(cells);
      }
      if (seen >= limit) break;
    }
  }
  if (json) {
    stdout.write(`${JSON.stringify({ totalRecords, rows: objects })}\n`);
    return;
  }
  stdout.write(
    formatTextTable(
      schema.fields.map((f) => ({ header: f.name, align: isNumeric(f.type) ? "right" : "left" })),
      rows,
    ),
  );
  const total = totalRecords >= 0 ? totalRecords.toLocaleString("en-US") : "unknown";
  stdout.write(`(${seen.toLocaleString("en-US")} of ${total} rows shown; use --out FILE for all of them)\n`);
}

function isNumeric(type: DataType): boolean {
  return DataType.isInt(type) || DataType.isFloat(type) || DataType.isDecimal(type);
}

function formatValue(value: unknown, type: DataType): string {
  if (
    (DataType.isTimestamp(type) || DataType.isDate(type)) &&
    (typeof value === "number" || typeof value === "bigint")
  ) {
    const ms = Number(value);
    return Number.isFinite(ms) ? new Date(ms).toISOString() : String(value);
  }
  return formatCell(value);
}
