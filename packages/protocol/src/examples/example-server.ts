/**
 * Example Flight server: an in-memory table store, like pyarrow's `DataFlightServer`
 * cookbook example.
 *
 *   node packages/protocol/dist/examples/example-server.js --port 0 [--host localhost]
 *        [--user alice:s3cret ...] [--tls-cert server.crt --tls-key server.key]
 *
 * Prints one line `flight example server listening on <uri>` when ready; SIGTERM or
 * SIGINT drains (in-flight calls finish, up to 5 s) and exits 0.
 *
 * - ListFlights / GetFlightInfo / GetSchema: PATH descriptors name tables (`dataset/sales`
 *   is `FlightDescriptor.forPath("dataset", "sales")`).
 * - DoGet: the ticket is the table name.
 * - DoPut: stores the upload under the descriptor's path once it is complete, replying
 *   one PutResult per batch (`{"batch": n, "rows": r}`).
 * - DoExchange: echoes every batch and metadata message.
 * - Actions: `list_tables` (one Result: names separated by newlines), `drop` (body: name).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type RecordBatch, Table, tableFromArrays } from "apache-arrow";
import { FlightInvalidArgumentError, FlightNotFoundError, FlightUnimplementedError } from "../flight-error.js";
import type { ActionType, FlightDescriptor, FlightInfo, Location } from "../flight-messages.js";
import { FlightServer, type FlightServerOptions } from "../flight-server.js";
import type { FlightServerHandlers } from "../flight-server-handlers.js";
import { createBasicTokenAuthHandler } from "../server-auth.js";
import { RecordBatchStream } from "../server-data-stream.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function tableName(descriptor: FlightDescriptor | undefined): string {
  if (descriptor?.type !== "path" || descriptor.path.length === 0) {
    throw new FlightInvalidArgumentError("expected a PATH descriptor naming a table, e.g. ['dataset', 'sales']");
  }
  return descriptor.path.join("/");
}

function byteSize(table: Table): number {
  let bytes = 0;
  for (const batch of table.batches) {
    for (const child of batch.data.children) {
      for (const buffer of [child.values, child.valueOffsets, child.nullBitmap]) bytes += buffer?.byteLength ?? 0;
    }
  }
  return bytes;
}

/** The store and its handlers. */
function createExampleHandlers(locationOf: () => Location | undefined): FlightServerHandlers & {
  readonly tables: Map<string, Table>;
} {
  const tables = new Map<string, Table>([
    [
      "dataset/sales",
      tableFromArrays({
        date: ["2023-01-01", "2023-01-02", "2023-01-03"],
        amount: Float64Array.from([100, 150, 200]),
        region: ["North", "South", "East"],
      }),
    ],
    [
      "dataset/products",
      tableFromArrays({
        id: Int32Array.from([1, 2, 3]),
        name: ["Widget A", "Widget B", "Widget C"],
        price: Float64Array.from([10.99, 15.99, 20.99]),
      }),
    ],
  ]);

  const info = (name: string, table: Table): FlightInfo => {
    const location = locationOf();
    return {
      schema: table.schema,
      descriptor: { type: "path", path: name.split("/") },
      endpoints: [
        {
          ticket: { ticket: encoder.encode(name) },
          locations: location === undefined ? [] : [location],
          appMetadata: new Uint8Array(0),
        },
      ],
      totalRecords: table.numRows,
      totalBytes: byteSize(table),
      ordered: true,
      appMetadata: new Uint8Array(0),
    };
  };

  const lookup = (name: string): Table => {
    const table = tables.get(name);
    if (table === undefined) throw new FlightNotFoundError(`unknown table '${name}'`);
    return table;
  };

  const actions: ActionType[] = [
    { type: "list_tables", description: "List all stored tables (one result, names separated by newlines)" },
    { type: "drop", description: "Drop the table named by the body" },
  ];

  return {
    tables,
    *listFlights() {
      for (const [name, table] of tables) yield info(name, table);
    },
    getFlightInfo: (_ctx, descriptor) => {
      const name = tableName(descriptor);
      return info(name, lookup(name));
    },
    getSchema: (_ctx, descriptor) => lookup(tableName(descriptor)).schema,
    doGet: (_ctx, ticket) => new RecordBatchStream(lookup(decoder.decode(ticket.ticket))),
    async doPut(_ctx, reader, writer) {
      const name = tableName(reader.descriptor);
      const schema = await reader.schema();
      const batches: RecordBatch[] = [];
      for await (const batch of reader) {
        batches.push(batch);
        await writer.write(encoder.encode(JSON.stringify({ batch: batches.length, rows: batch.numRows })));
      }
      // Stored only once the whole upload arrived: a failed upload leaves nothing behind.
      tables.set(name, batches.length === 0 ? new Table(schema) : new Table(batches));
    },
    async doExchange(_ctx, reader, writer) {
      for await (const chunk of reader.chunks()) {
        if (chunk.data !== undefined) await writer.write(chunk.data, chunk.appMetadata);
        else if (chunk.appMetadata !== undefined) await writer.writeMetadata(chunk.appMetadata);
      }
    },
    listActions: () => actions,
    *doAction(_ctx, action) {
      if (action.type === "list_tables") {
        yield { body: encoder.encode([...tables.keys()].join("\n")) };
      } else if (action.type === "drop") {
        const name = decoder.decode(action.body);
        if (!tables.delete(name)) throw new FlightNotFoundError(`unknown table '${name}'`);
        yield { body: encoder.encode(`dropped ${name}`) };
      } else {
        throw new FlightUnimplementedError(`unknown action '${action.type}'`);
      }
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      host: { type: "string", default: "localhost" },
      user: { type: "string", multiple: true },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new FlightInvalidArgumentError(`--port: '${values.port}' is not a port`);
  const options: { -readonly [K in keyof FlightServerOptions]: FlightServerOptions[K] } = {};
  if (values.user !== undefined) {
    const users: Record<string, string> = {};
    for (const entry of values.user) {
      const colon = entry.indexOf(":");
      if (colon <= 0) throw new FlightInvalidArgumentError(`--user: expected user:password, got '${entry}'`);
      users[entry.slice(0, colon)] = entry.slice(colon + 1);
    }
    options.auth = createBasicTokenAuthHandler({ users });
  }
  if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)) {
    throw new FlightInvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (values["tls-cert"] !== undefined && values["tls-key"] !== undefined) {
    options.tls = {
      certificates: [{ certChain: readFileSync(values["tls-cert"]), privateKey: readFileSync(values["tls-key"]) }],
    };
  }
  let location: Location | undefined;
  const server = new FlightServer(
    createExampleHandlers(() => location),
    options,
  );
  ({ location } = await server.listen({ host: values.host, port }));
  process.stdout.write(`flight example server listening on ${location.uri}\n`);
  const stop = (signal: string) => {
    process.stdout.write(`received ${signal}, draining\n`);
    server.drain(5_000).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  process.stderr.write(`example server failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
