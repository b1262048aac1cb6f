/**
 * Our FlightServer as a real process, for pyarrow's client to test against.
 *
 *   node --import ./test/interop/ts-register.mjs test/interop/interop-server.ts --fixtures-dir DIR
 *
 * It serves the fixture IPC files in DIR (written by fixtures.py, decoded here by
 * apache-arrow) under their names, stores uploads, echoes and transforms exchanges,
 * and fails actions with any gRPC status on request. It mirrors pyarrow_server.py so
 * both directions are tested with the same scenarios. Users: alice/wonderland may
 * write, bob/builder may only read. With `--tls-cert PEM --tls-key PEM [--client-ca PEM]`
 * it serves grpc+tls (mTLS when a client CA is given). Prints `{"event":"listening","port":N,"location":...}`
 * when ready; stops when stdin closes or on SIGTERM. Built on the workspace packages'
 * dist/ (run `pnpm exec tsc --build` first).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Action,
  type ActionType,
  createBasicTokenAuthHandler,
  createFlightError,
  type FlightDescriptor,
  type FlightInfo,
  FlightInvalidArgumentError,
  type FlightMetadataWriter,
  FlightNotFoundError,
  FlightResourceExhaustedError,
  FlightServer,
  type FlightServerHandlers,
  type FlightStreamReader,
  type FlightStreamWriter,
  FlightUnauthorizedError,
  FlightUnavailableError,
  FlightUnimplementedError,
  GeneratorStream,
  type GeneratorStreamItem,
  type Result,
  type ServerCallContext,
  type ServerTlsOptions,
  StatusCode,
} from "@flight-cluster/protocol";
import { Int64, makeData, RecordBatch, type Schema, Struct, vectorFromArray } from "apache-arrow";
import { readIpcFile } from "./arrow-compare.js";

const USERS = { alice: "wonderland", bob: "builder" };
const WRITERS = new Set(["alice"]);
/** Endpoint expiration of every FlightInfo: 2030-01-02T03:04:05.678Z (as in pyarrow_server.py). */
const EXPIRATION_MS = 1_893_553_445_678;
/** Upper bound for stored data (uploads included), in bytes. */
const MAX_STORED_BYTES = 256 * 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Dataset {
  readonly schema: Schema;
  readonly batches: readonly RecordBatch[];
  /** app_metadata per batch (undefined: none). */
  readonly metadata: readonly (Uint8Array | undefined)[];
  readonly bytes: number;
}

const ACTIONS: ActionType[] = [
  { type: "echo", description: "Returns the body unchanged." },
  { type: "count", description: "Body: a decimal number N. Returns N results: '0' .. 'N-1'." },
  { type: "raise", description: "Body: a gRPC status code name (NOT_FOUND, ...). Fails with that status." },
  { type: "whoami", description: "Returns the authenticated user name." },
  { type: "sleep", description: "Waits until the call is cancelled or its deadline passes (at most 60 s)." },
  { type: "sleep-stats", description: "Returns {active, cancelled}: sleeps running, and ended by cancellation." },
];

function descriptorName(descriptor: FlightDescriptor | undefined): string {
  if (descriptor === undefined) throw new FlightInvalidArgumentError("the stream has no descriptor");
  return descriptor.type === "path" ? descriptor.path.join("/") : decoder.decode(descriptor.cmd);
}

function batchBytes(batch: RecordBatch): number {
  let total = 0;
  const visit = (data: { buffers: ArrayLike<unknown>; children: readonly unknown[] }): void => {
    for (const buffer of Array.from(data.buffers)) {
      if (ArrayBuffer.isView(buffer)) total += buffer.byteLength;
    }
    for (const child of data.children) visit(child as typeof data);
  };
  visit(batch.data as unknown as { buffers: ArrayLike<unknown>; children: readonly unknown[] });
  return total;
}

/** The DoExchange "double" transform: x -> 2x, other columns unchanged (fixtures.py `doubled`). */
function doubled(batch: RecordBatch): RecordBatch {
  const x = batch.getChildAt(0);
  if (x === null || !(x.type instanceof Int64)) {
    throw new FlightInvalidArgumentError("double: the first column must be int64");
  }
  const values = Array.from({ length: batch.numRows }, (_, i) => {
    const v = x.get(i) as bigint | null;
    return v === null ? null : v * 2n;
  });
  const xData = vectorFromArray(values, new Int64()).data[0];
  if (xData === undefined) throw new FlightInvalidArgumentError("double: empty column");
  const children = [xData, ...batch.data.children.slice(1)];
  const data = makeData({ type: new Struct(batch.schema.fields), length: batch.numRows, nullCount: 0, children });
  return new RecordBatch(batch.schema, data);
}

class InteropService implements FlightServerHandlers {
  readonly #datasets = new Map<string, Dataset>();
  #storedBytes = 0;
  location = "";

  store(name: string, dataset: Dataset): void {
    const previous = this.#datasets.get(name);
    const next = this.#storedBytes - (previous?.bytes ?? 0) + dataset.bytes;
    if (next > MAX_STORED_BYTES) {
      throw new FlightResourceExhaustedError(`storing '${name}' would exceed ${MAX_STORED_BYTES} bytes`);
    }
    this.#storedBytes = next;
    this.#datasets.set(name, dataset);
  }

  #dataset(name: string): Dataset {
    const dataset = this.#datasets.get(name);
    if (dataset === undefined) throw new FlightNotFoundError(`no dataset named '${name}'`);
    return dataset;
  }

  #info(name: string, descriptor: FlightDescriptor): FlightInfo {
    const dataset = this.#dataset(name);
    return {
      schema: dataset.schema,
      descriptor,
      endpoints: [
        {
          ticket: { ticket: encoder.encode(name) },
          locations: [{ uri: this.location }],
          expirationTime: new Date(EXPIRATION_MS),
          appMetadata: encoder.encode(`endpoint:${name}`),
        },
      ],
      totalRecords: dataset.batches.reduce((n, b) => n + b.numRows, 0),
      totalBytes: dataset.bytes,
      ordered: true,
      appMetadata: encoder.encode(`info:${name}`),
    };
  }

  *listFlights(_ctx: ServerCallContext, criteria: { readonly expression: Uint8Array }): Iterable<FlightInfo> {
    const prefix = decoder.decode(criteria.expression);
    const names = [...this.#datasets.keys()].filter((n) => n.startsWith(prefix)).sort();
    for (const name of names) yield this.#info(name, { type: "path", path: name.split("/") });
  }

  getFlightInfo(_ctx: ServerCallContext, descriptor: FlightDescriptor): FlightInfo {
    return this.#info(descriptorName(descriptor), descriptor);
  }

  getSchema(_ctx: ServerCallContext, descriptor: FlightDescriptor): Schema {
    return this.#dataset(descriptorName(descriptor)).schema;
  }

  doGet(_ctx: ServerCallContext, ticket: { readonly ticket: Uint8Array }): GeneratorStream {
    const name = decoder.decode(ticket.ticket);
    if (name === "fail-midstream") {
      const source = this.#dataset("small");
      async function* failing(): AsyncGenerator<GeneratorStreamItem> {
        const first = source.batches[0];
        if (first !== undefined) yield { batch: first, appMetadata: encoder.encode("before-failure") };
        throw new FlightUnavailableError("the replica went away mid-stream");
      }
      return new GeneratorStream(source.schema, failing());
    }
    if (name === "with-metadata-only") {
      // Metadata-only messages before, between and after the batches of "small".
      const source = this.#dataset("small");
      const note = (text: string): GeneratorStreamItem => ({ appMetadata: encoder.encode(text) });
      const [first, ...rest] = source.batches;
      const items = [note("start"), ...(first ? [first] : []), note("middle"), ...rest, note("end")];
      return new GeneratorStream(source.schema, items);
    }
    const dataset = this.#dataset(name);
    const items = dataset.batches.map((batch, i): GeneratorStreamItem => ({ batch, appMetadata: dataset.metadata[i] }));
    return new GeneratorStream(dataset.schema, items);
  }

  async doPut(ctx: ServerCallContext, reader: FlightStreamReader, writer: FlightMetadataWriter): Promise<void> {
    if (!WRITERS.has(ctx.peerIdentity)) throw new FlightUnauthorizedError(`user '${ctx.peerIdentity}' may not upload`);
    const name = descriptorName(reader.descriptor);
    const schema = await reader.schema();
    const batches: RecordBatch[] = [];
    const metadata: (Uint8Array | undefined)[] = [];
    let bytes = 0;
    for (let index = 0; ; index++) {
      const chunk = await reader.readChunk();
      if (chunk === undefined) break;
      if (chunk.data !== undefined) {
        bytes += batchBytes(chunk.data);
        if (bytes > MAX_STORED_BYTES) throw new FlightResourceExhaustedError(`upload '${name}' is too large`);
        batches.push(chunk.data);
        metadata.push(chunk.appMetadata);
      }
      const ack = {
        index,
        rows: chunk.data === undefined ? null : chunk.data.numRows,
        appMetadata: chunk.appMetadata === undefined ? null : decoder.decode(chunk.appMetadata),
      };
      await writer.write(encoder.encode(JSON.stringify(ack)));
    }
    this.store(name, { schema, batches, metadata, bytes });
  }

  async doExchange(_ctx: ServerCallContext, reader: FlightStreamReader, writer: FlightStreamWriter): Promise<void> {
    const command = descriptorName(reader.descriptor);
    if (command !== "echo" && command !== "double") {
      throw new FlightInvalidArgumentError(`unknown exchange command '${command}' (expected echo or double)`);
    }
    for (let index = 0; ; index++) {
      const chunk = await reader.readChunk();
      if (chunk === undefined) break;
      if (chunk.data !== undefined) {
        const batch = command === "double" ? doubled(chunk.data) : chunk.data;
        const meta = command === "double" ? encoder.encode(`doubled-${index}`) : chunk.appMetadata;
        await writer.write(batch, meta);
      } else if (chunk.appMetadata !== undefined) {
        await writer.writeMetadata(chunk.appMetadata);
      }
    }
    await writer.done();
  }

  async *doAction(ctx: ServerCallContext, action: Action): AsyncIterable<Result> {
    const body = decoder.decode(action.body);
    switch (action.type) {
      case "echo":
        yield { body: action.body };
        return;
      case "count": {
        const n = Number(body || "0");
        if (!Number.isInteger(n) || n < 0 || n > 10_000) {
          throw new FlightInvalidArgumentError(`count: expected 0..10000, got '${body}'`);
        }
        for (let i = 0; i < n; i++) yield { body: encoder.encode(String(i)) };
        return;
      }
      case "raise": {
        const code = (StatusCode as Record<string, StatusCode | undefined>)[body];
        if (code === undefined || code === StatusCode.OK) {
          throw new FlightInvalidArgumentError(`raise: unknown status code name '${body}'`);
        }
        throw createFlightError(code, `raised on request: ${body}`);
      }
      case "whoami":
        yield { body: encoder.encode(ctx.peerIdentity) };
        return;
      case "sleep":
        await this.#sleepUntilCancelled(ctx.signal);
        yield { body: encoder.encode("done") };
        return;
      case "sleep-stats":
        yield { body: encoder.encode(JSON.stringify(this.#sleeps)) };
        return;
      default:
        throw new FlightUnimplementedError(`unknown action '${action.type}'`);
    }
  }

  readonly #sleeps = { active: 0, cancelled: 0 };

  /** Resolves when `signal` aborts (counted as cancelled) or after 60 s. */
  async #sleepUntilCancelled(signal: AbortSignal): Promise<void> {
    this.#sleeps.active++;
    try {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 60_000);
        const onAbort = (): void => {
          clearTimeout(timer);
          this.#sleeps.cancelled++;
          resolve();
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      });
    } finally {
      this.#sleeps.active--;
    }
  }

  listActions(): ActionType[] {
    return ACTIONS;
  }
}

function optionalArgument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  if (index < 0) return undefined;
  const value = process.argv[index + 1];
  if (value === undefined) throw new Error(`${name} needs a value`);
  return value;
}

function argument(name: string): string {
  const value = optionalArgument(name);
  if (value === undefined) throw new Error(`missing ${name} <value>`);
  return value;
}

/** `--tls-cert PEM --tls-key PEM [--client-ca PEM]`: serve grpc+tls (mTLS with a client CA). */
async function tlsOptions(): Promise<ServerTlsOptions | undefined> {
  const cert = optionalArgument("--tls-cert");
  if (cert === undefined) return undefined;
  const clientCa = optionalArgument("--client-ca");
  return {
    certificates: [{ certChain: await readFile(cert), privateKey: await readFile(argument("--tls-key")) }],
    ...(clientCa === undefined ? {} : { clientCa: await readFile(clientCa) }),
  };
}

async function main(): Promise<void> {
  const fixturesDir = argument("--fixtures-dir");
  const service = new InteropService();
  for (const file of (await readdir(fixturesDir)).filter((f) => f.endsWith(".arrow")).sort()) {
    const { table, batches } = await readIpcFile(join(fixturesDir, file));
    service.store(file.slice(0, -".arrow".length), {
      schema: table.schema,
      batches,
      metadata: batches.map((_, i) => encoder.encode(`batch-${i}`)),
      bytes: batches.reduce((n, b) => n + batchBytes(b), 0),
    });
  }
  const tls = await tlsOptions();
  const server = new FlightServer(service, {
    auth: createBasicTokenAuthHandler({ users: USERS }),
    ...(tls === undefined ? {} : { tls }),
  });
  const { port, location } = await server.listen({ host: "127.0.0.1", port: 0 });
  service.location = location.uri;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.drain(2_000).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();
  process.on("SIGTERM", stop);
  process.stdout.write(`${JSON.stringify({ event: "listening", port, location: location.uri })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`interop server failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
