/**
 * Open a table file for upload: Arrow IPC file, Arrow IPC stream, Feather v2 (an IPC
 * file, LZ4-compressed buffers included) or Parquet. The format is detected from the
 * file's magic bytes, not its name. Batches are read lazily, one at a time (Parquet:
 * one row group at a time), so memory stays bounded by the largest batch or row group.
 */
import { createReadStream, openAsBlob } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { type RecordBatch, RecordBatchReader, type Schema } from "apache-arrow";
import * as parquet from "parquet-wasm";
import { CliError } from "./cli-error.js";
import { registerIpcCodecs } from "./lz4-frame.js";

/** The formats {@link openTableFile} reads. Feather v2 is `arrow-file`. */
export type TableFileFormat = "arrow-file" | "arrow-stream" | "parquet";

/** An open table file. */
export interface TableFile {
  readonly path: string;
  readonly format: TableFileFormat;
  readonly schema: Schema;
  /** Size on disk, in bytes. */
  readonly sizeBytes: number;
  /** Rows in the file when the format records it (IPC file, Parquet), else undefined. */
  readonly totalRows: number | undefined;
  /**
   * The record batches, in file order. Iterate once.
   * @throws CliError CLI_BAD_INPUT_FILE when the file is corrupt; AbortError-like `signal.reason` when aborted.
   */
  batches(signal?: AbortSignal): AsyncIterable<RecordBatch>;
  /** Release the file. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link openTableFile}. */
export interface OpenTableFileOptions {
  /** Rows per batch when decoding Parquet (default 65,536). */
  readonly parquetBatchRows?: number;
  readonly signal?: AbortSignal;
}

function badFile(path: string, problem: string, cause?: unknown): CliError {
  return new CliError("CLI_BAD_INPUT_FILE", `${path}: ${problem}`, { cause });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Detect the format from the first bytes of a file. */
export function detectTableFileFormat(head: Uint8Array): TableFileFormat | "feather-v1" | undefined {
  const ascii = new TextDecoder("latin1").decode(head.subarray(0, 6));
  if (ascii === "ARROW1") return "arrow-file";
  if (ascii.startsWith("PAR1")) return "parquet";
  if (ascii.startsWith("FEA1")) return "feather-v1";
  if (head.length >= 8) {
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const first = view.getUint32(0, true);
    // 0xFFFFFFFF continuation marker (IPC >= 0.15), or a legacy positive metadata length.
    if (first === 0xffffffff && view.getInt32(4, true) > 0) return "arrow-stream";
    if (first > 0 && first < 1 << 24) return "arrow-stream";
  }
  return undefined;
}

/**
 * Open `path` as a table.
 * @throws CliError CLI_BAD_INPUT_FILE when the file is missing, unreadable, empty, Feather v1,
 *   not a table format, or its schema cannot be decoded.
 */
export async function openTableFile(path: string, options: OpenTableFileOptions = {}): Promise<TableFile> {
  registerIpcCodecs();
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : messageOf(error);
    throw badFile(path, problem, error);
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) throw badFile(path, "the file is empty");
    const head = new Uint8Array(Math.min(size, 16));
    await handle.read(head, 0, head.length, 0);
    const format = detectTableFileFormat(head);
    if (format === "feather-v1") {
      throw badFile(
        path,
        "Feather v1 files are not supported; rewrite it as Feather v2 (pyarrow.feather.write_feather)",
      );
    }
    if (format === undefined)
      throw badFile(path, "not an Arrow IPC file or stream, a Feather v2 file, or a Parquet file");
    if (format === "parquet") {
      await handle.close();
      return await openParquet(path, size, options.parquetBatchRows ?? 65_536);
    }
    if (format === "arrow-file") return await openArrowFile(path, size, handle);
    await handle.close();
    return await openArrowStream(path, size);
  } catch (error) {
    await handle.close().catch(() => undefined);
    if (error instanceof CliError) throw error;
    throw badFile(path, `cannot read it: ${messageOf(error)}`, error);
  }
}

async function* guarded(
  path: string,
  source: AsyncIterable<RecordBatch>,
  signal?: AbortSignal,
): AsyncGenerator<RecordBatch> {
  try {
    for await (const batch of source) {
      signal?.throwIfAborted();
      yield batch;
    }
  } catch (error) {
    if (error instanceof CliError || signal?.aborted === true) throw error;
    throw badFile(path, `corrupt data: ${messageOf(error)}`, error);
  }
}

async function openArrowFile(path: string, size: number, handle: FileHandle): Promise<TableFile> {
  const reader = await RecordBatchReader.from(handle);
  await reader.open();
  if (!reader.isFile()) throw badFile(path, "not a valid Arrow IPC file");
  return {
    path,
    format: "arrow-file",
    schema: reader.schema,
    sizeBytes: size,
    // The footer lists the batches' blocks but not their row counts.
    totalRows: undefined,
    batches: (signal) => guarded(path, reader, signal),
    close: async () => {
      await reader.cancel().catch(() => undefined);
      await handle.close().catch(() => undefined);
    },
  };
}

async function openArrowStream(path: string, size: number): Promise<TableFile> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  const reader = await RecordBatchReader.from(stream);
  await reader.open();
  if (reader.closed || reader.schema === undefined) {
    stream.destroy();
    throw badFile(path, "the stream has no schema message");
  }
  return {
    path,
    format: "arrow-stream",
    schema: reader.schema,
    sizeBytes: size,
    totalRows: undefined,
    batches: (signal) => guarded(path, reader, signal),
    close: async () => {
      await reader.cancel().catch(() => undefined);
      stream.destroy();
    },
  };
}

async function openParquet(path: string, size: number, batchRows: number): Promise<TableFile> {
  let file: parquet.ParquetFile;
  try {
    file = await parquet.ParquetFile.fromFile(await openAsBlob(path));
  } catch (error) {
    throw badFile(path, `not a readable Parquet file: ${messageOf(error)}`, error);
  }
  // Metadata and schema objects are owned by the file: not freed separately.
  const metadata = file.metadata();
  const rowGroups = metadata.numRowGroups();
  const totalRows = Number(metadata.fileMetadata().numRows());
  const schema = RecordBatchReader.from(file.schema().intoIPCStream()).open().schema;
  let closed = false;
  async function* batches(signal?: AbortSignal): AsyncGenerator<RecordBatch> {
    for (let group = 0; group < rowGroups && !closed; group++) {
      signal?.throwIfAborted();
      let ipc: Uint8Array;
      try {
        const table = await file.read({ rowGroups: [group], batchSize: batchRows });
        ipc = table.intoIPCStream(); // consumes (frees) the wasm table
      } catch (error) {
        throw badFile(path, `cannot decode row group ${group}: ${messageOf(error)}`, error);
      }
      for (const batch of RecordBatchReader.from(ipc)) yield batch;
    }
  }
  return {
    path,
    format: "parquet",
    schema,
    sizeBytes: size,
    totalRows,
    batches: (signal) => guarded(path, batches(signal), signal),
    close: async () => {
      if (closed) return;
      closed = true;
      file.free();
    },
  };
}
