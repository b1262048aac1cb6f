/**
 * Write record batches to an Arrow IPC file (`.arrow`, `.feather`, `.ipc`), an Arrow
 * IPC stream (`.arrows`) or Parquet (`.parquet`). Output goes to a temporary file next
 * to the target, is fsynced and renamed into place on `close()`, so a failed or
 * aborted download never leaves a half-written file under the requested name.
 */
import { randomBytes } from "node:crypto";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { ReadableStream, type ReadableStreamDefaultController } from "node:stream/web";
import {
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchStreamWriter,
  type RecordBatchWriter,
  type Schema,
  Struct,
  Table,
  tableToIPC,
  vectorFromArray,
} from "apache-arrow";
import { AsyncByteQueue } from "apache-arrow/io/stream";
import * as parquet from "parquet-wasm";
import { CliError } from "./cli-error.js";

/** Output formats of {@link createTableFileWriter}. */
export type TableOutputFormat = "arrow-file" | "arrow-stream" | "parquet";

/** The format implied by a file name: `.parquet`/`.pq` Parquet, `.arrows` IPC stream, anything else IPC file. */
export function outputFormatForPath(path: string): TableOutputFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".parquet" || ext === ".pq") return "parquet";
  if (ext === ".arrows") return "arrow-stream";
  return "arrow-file";
}

/** A table file being written. */
export interface TableFileWriter {
  readonly path: string;
  readonly format: TableOutputFormat;
  /** Append a batch (its schema must equal the writer's). Waits while the disk is behind. */
  write(batch: RecordBatch): Promise<void>;
  /** Finish, fsync and rename into place; returns rows written and file bytes. */
  close(): Promise<{ readonly rows: number; readonly bytes: number }>;
  /** Discard the temporary file. Idempotent; safe after a failed write. */
  abort(): Promise<void>;
}

/** Collects the bytes apache-arrow's writer produces synchronously, so they can be written with backpressure. */
class ChunkCollector extends AsyncByteQueue {
  chunks: Uint8Array[] = [];
  override write(value: ArrayBufferView | ArrayBufferLike | string): void {
    const bytes =
      typeof value === "string"
        ? new TextEncoder().encode(value)
        : ArrayBuffer.isView(value)
          ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
          : new Uint8Array(value);
    if (bytes.byteLength > 0) this.chunks.push(bytes);
  }
  take(): Uint8Array[] {
    const taken = this.chunks;
    this.chunks = [];
    return taken;
  }
}

function outputError(path: string, error: unknown): CliError {
  if (error instanceof CliError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CliError("CLI_OUTPUT_FAILED", `cannot write ${path}: ${message}`, { cause: error });
}

/**
 * Create a writer for `path` (format from the name unless given).
 * @throws CliError CLI_OUTPUT_FAILED when the directory is missing or not writable.
 */
export async function createTableFileWriter(
  path: string,
  schema: Schema,
  format: TableOutputFormat = outputFormatForPath(path),
): Promise<TableFileWriter> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let handle: FileHandle;
  try {
    handle = await open(temp, "wx");
  } catch (error) {
    throw outputError(path, error);
  }
  let bytes = 0;
  let rows = 0;
  let done = false;
  const writeChunks = async (chunks: readonly Uint8Array[]): Promise<void> => {
    if (chunks.length === 0) return;
    await handle.writev(chunks as Uint8Array[]);
    for (const chunk of chunks) bytes += chunk.byteLength;
  };
  const abort = async (): Promise<void> => {
    if (done) return;
    done = true;
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
  };
  const commit = async (): Promise<{ rows: number; bytes: number }> => {
    await handle.sync();
    await handle.close();
    await rename(temp, path);
    done = true;
    return { rows, bytes };
  };
  const sink = format === "parquet" ? parquetSink(schema, writeChunks) : ipcSink(schema, format, writeChunks);
  return {
    path,
    format,
    async write(batch) {
      try {
        await sink.write(batch);
        rows += batch.numRows;
      } catch (error) {
        await abort();
        throw outputError(path, error);
      }
    },
    async close() {
      try {
        await sink.finish();
        return await commit();
      } catch (error) {
        await abort();
        throw outputError(path, error);
      }
    },
    abort: async () => {
      await sink.cancel();
      await abort();
    },
  };
}

interface Sink {
  write(batch: RecordBatch): Promise<void>;
  finish(): Promise<void>;
  cancel(): Promise<void>;
}

function ipcSink(
  schema: Schema,
  format: "arrow-file" | "arrow-stream",
  writeChunks: (chunks: readonly Uint8Array[]) => Promise<void>,
): Sink {
  const collector = new ChunkCollector();
  const writer: RecordBatchWriter =
    format === "arrow-file" ? new RecordBatchFileWriter() : new RecordBatchStreamWriter();
  writer.reset(collector, schema);
  return {
    async write(batch) {
      writer.write(batch);
      await writeChunks(collector.take());
    },
    async finish() {
      writer.finish();
      await writeChunks(collector.take());
    },
    async cancel() {
      collector.take();
    },
  };
}

/** Parquet through parquet-wasm's streaming writer: one wasm batch in flight at a time. */
function parquetSink(schema: Schema, writeChunks: (chunks: readonly Uint8Array[]) => Promise<void>): Sink {
  let controller!: ReadableStreamDefaultController<parquet.RecordBatch>;
  let pulled: (() => void) | undefined;
  let demand = Promise.resolve();
  const newDemand = (): void => {
    demand = new Promise((resolve) => {
      pulled = resolve;
    });
  };
  newDemand();
  const input = new ReadableStream<parquet.RecordBatch>(
    {
      start: (c) => {
        controller = c;
      },
      pull: () => {
        pulled?.();
      },
    },
    { highWaterMark: 1 },
  );
  let wroteAny = false;
  const output = (async () => {
    const stream = await parquet.transformParquetStream(input as unknown as globalThis.ReadableStream);
    for await (const chunk of stream as AsyncIterable<Uint8Array>) await writeChunks([chunk]);
  })();
  output.catch(() => undefined);
  const enqueue = async (batch: RecordBatch): Promise<void> => {
    await Promise.race([demand, output]);
    newDemand();
    const wasmTable = parquet.Table.fromIPCStream(tableToIPC(new Table(schema, [batch]), "stream"));
    const wasmBatch = wasmTable.recordBatch(0);
    wasmTable.free();
    if (wasmBatch !== undefined) controller.enqueue(wasmBatch);
    wroteAny = true;
  };
  return {
    write: (batch) => enqueue(batch),
    async finish() {
      // Parquet needs the schema even for an empty table: send one empty batch.
      if (!wroteAny) await enqueue(emptyBatch(schema));
      controller.close();
      await output;
    },
    async cancel() {
      try {
        controller.error(new Error("cancelled"));
      } catch {
        // already closed
      }
      await output.catch(() => undefined);
    },
  };
}

/** A zero-row batch of `schema` (not a hot path: Builders are fine here). */
function emptyBatch(schema: Schema): RecordBatch {
  const children = schema.fields.map(
    (field) => vectorFromArray([], field.type).data[0] ?? makeData({ type: field.type, length: 0 }),
  );
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 0, nullCount: 0, children }));
}
