/** `flight-cluster get <planner-uri> <dataset>`: GetFlightInfo, then DoGet of every endpoint in order. */
import { FlightDescriptor } from "@flight-cluster/protocol";
import { DataType, type RecordBatch, type Schema } from "apache-arrow";
import { usageError } from "./cli-error.js";
import { CLIENT_OPTIONS, clientFlags, JSON_OPTION } from "./client-options.js";
import type { CommandSpec } from "./command.js";
import { datasetArgument } from "./dataset-argument.js";
import { readEndpoint } from "./endpoint-reader.js";
import { formatBytes, formatDuration } from "./option-values.js";
import { withPlannerSession } from "./planner-session.js";
import { createProgressReporter } from "./progress-reporter.js";
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
  /** Locations that failed and were skipped for another replica. */
  readonly failovers: number;
}

/** Command `get`: read a dataset to a file or the terminal; throws CliError/FlightError (one line, exit 1 or 2). */
export const getCommand: CommandSpec = {
  name: "get",
  summary: "read a dataset: write it to a file (--out) or print its first rows",
  description:
    "Asks the planner for the dataset's endpoints (one per shard, replicas nearest first) and reads them in\n" +
    "order, each from its first replica that answers. --out writes an Arrow IPC file (.arrow, .feather),\n" +
    "an IPC stream (.arrows) or Parquet (.parquet); the file appears only once it is complete.",
  positionals: [
    { name: "planner-uri", description: "the planner, e.g. grpc+tcp://localhost:8815" },
    { name: "dataset", description: "dataset name" },
  ],
  options: {
    out: { type: "string", value: "FILE", description: "write the data to FILE (.arrow, .feather, .arrows, .parquet)" },
    columns: { type: "string", value: "A,B", description: "read only these columns, in this order" },
    limit: { type: "string", value: "N", description: "rows to print without --out", defaultText: "20" },
    ...CLIENT_OPTIONS,
    ...JSON_OPTION,
  },
  examples: [
    "get grpc+tcp://localhost:8815 demo/sales --limit 5",
    "get grpc+tcp://localhost:8815 demo/sales --columns region,amount --out sales.parquet",
  ],
  async run(args, { io, signal }) {
    const uri = args.uriPositional(0, "planner-uri");
    const dataset = datasetArgument(args, 1);
    const columns = args.list("columns");
    const out = args.string("out");
    const limit = args.integer("limit", 20, 0, 1_000_000);
    const json = args.flag("json");
    if (out !== undefined && args.string("limit") !== undefined)
      throw usageError("--limit applies only without --out", "get");
    const flags = clientFlags(args);
    if (out !== undefined) outputFormatForPath(out);
    const descriptor =
      columns === undefined
        ? FlightDescriptor.forPath(dataset)
        : FlightDescriptor.forCommand(JSON.stringify({ dataset, columns }));
    const started = performance.now();
    await withPlannerSession(uri, { ...flags, signal }, async (session) => {
      const info = await session.planner.getFlightInfo(descriptor, session.unaryOptions());
      let failovers = 0;
      const onFailover = (location: string, error: unknown): void => {
        failovers += 1;
        const why = error instanceof Error ? error.message : String(error);
        io.stderr.write(`flight-cluster: ${location} failed (${why.split("\n")[0]}); trying the next replica\n`);
      };
      if (out === undefined) {
        await printRows(info.schema, info.totalRecords, limit, json, io.stdout, async function* () {
          for (const endpoint of info.endpoints) yield* readEndpoint(session, endpoint, signal, onFailover);
        });
        return;
      }
      const writer = await createTableFileWriter(out, info.schema);
      const progress = createProgressReporter(io.stderr, {
        label: `get ${dataset}`,
        totalRows: info.totalRecords >= 0 ? info.totalRecords : undefined,
      });
      let rows = 0;
      let bytes = 0;
      try {
        for (const endpoint of info.endpoints) {
          for await (const batch of readEndpoint(session, endpoint, signal, onFailover)) {
            await writer.write(batch);
            rows += batch.numRows;
            bytes += batch.data.byteLength;
            progress.update(rows, bytes);
          }
        }
        const written = await writer.close();
        progress.finish();
        const summary: GetSummary = {
          dataset,
          out,
          rows,
          bytes: written.bytes,
          endpoints: info.endpoints.length,
          seconds: (performance.now() - started) / 1000,
          failovers,
        };
        if (json) {
          io.stdout.write(`${JSON.stringify(summary)}\n`);
        } else {
          io.stdout.write(
            `get ${dataset}: ${rows.toLocaleString("en-US")} rows from ${info.endpoints.length} endpoint(s) ` +
              `-> ${out} (${formatBytes(written.bytes)}) in ${formatDuration(summary.seconds * 1000)}\n`,
          );
        }
      } catch (error) {
        progress.finish();
        await writer.abort();
        throw error;
      }
    });
  },
};

async function printRows(
  schema: Schema,
  totalRecords: number,
  limit: number,
  json: boolean,
  stdout: NodeJS.WritableStream,
  batches: () => AsyncGenerator<RecordBatch>,
): Promise<void> {
  const rows: string[][] = [];
  const objects: Record<string, unknown>[] = [];
  let seen = 0;
  if (limit > 0) {
    const iterator = batches();
    try {
      for await (const batch of iterator) {
        for (let i = 0; i < batch.numRows && seen < limit; i++, seen++) {
          const cells = schema.fields.map((field, c) => formatValue(batch.getChildAt(c)?.get(i), field.type));
          if (json) objects.push(Object.fromEntries(schema.fields.map((f, c) => [f.name, cells[c]])));
          else rows.push(cells);
        }
        if (seen >= limit) break;
      }
    } finally {
      await iterator.return(undefined);
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
