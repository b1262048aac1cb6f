/**
 * Reads a shard file's messages for DoGet.
 *
 * The fast path produces each message as a complete protobuf `FlightData` buffer:
 * tags and lengths are written first, then one `readv` puts the IPC header and body
 * (adjacent in the file) at their places in that buffer, which carries gRPC's prefix in
 * front so grpc-js sends it as it is. That is the only copy the worker makes of a byte
 * it serves. DoGet reads into its `SendBufferPool`, so the blocks are reused.
 * At most `readAhead` messages are read ahead of the consumer, so memory per stream
 * is bounded by `readAhead` times the largest message, and a slow consumer stops the reads.
 */
import type { FileHandle } from "node:fs/promises";
import { allocateFlightData, flightDataLayout, type MessageAllocator } from "./flight-data-layout.js";
import type { ShardIndex, ShardIndexEntry } from "./shard-index.js";
import type { IpcFrame } from "./shard-writer.js";
import { ShardFileCorruptError } from "./worker-errors.js";

/** Options of the shard readers. */
export interface ShardReadOptions {
  /** Messages read ahead of the consumer (>= 1). */
  readonly readAhead: number;
  /** Record batches to skip from the start (resume); Schema and dictionary messages are always produced. */
  readonly skipBatches?: number | undefined;
  /** Stops reading; the iterator then throws the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Names the file in error messages. */
  readonly where?: string | undefined;
  /** Memory for the FlightData messages of {@link readShardFlightData} (default: a new allocation each). */
  readonly allocate?: MessageAllocator | undefined;
}

/** The entries a read produces after skipping `skipBatches` record batches. */
export function selectEntries(index: ShardIndex, skipBatches: number): ShardIndexEntry[] {
  let toSkip = skipBatches;
  const out: ShardIndexEntry[] = [];
  for (const entry of index.entries) {
    if (entry.kind === "batch" && toSkip > 0) {
      toSkip--;
      continue;
    }
    out.push(entry);
  }
  return out;
}

async function readFlightData(
  file: FileHandle,
  entry: ShardIndexEntry,
  where: string,
  allocate: MessageAllocator | undefined,
): Promise<Buffer> {
  const layout = flightDataLayout(entry.headerLength, entry.bodyLength);
  const buffer = allocateFlightData(layout, entry.headerLength, allocate);
  const header = buffer.subarray(layout.headerStart, layout.headerStart + entry.headerLength);
  const body = buffer.subarray(layout.bodyStart, layout.bodyStart + entry.bodyLength);
  const views = entry.bodyLength > 0 ? [header, body] : [header];
  const { bytesRead } = await file.readv(views, entry.headerOffset);
  if (bytesRead !== entry.headerLength + entry.bodyLength) {
    throw new ShardFileCorruptError(`${where}: short read at offset ${entry.headerOffset}`);
  }
  return buffer;
}

async function readFrame(file: FileHandle, entry: ShardIndexEntry, where: string): Promise<IpcFrame> {
  const buffer = Buffer.allocUnsafe(entry.headerLength + entry.bodyLength);
  const { bytesRead } = await file.read(buffer, 0, buffer.byteLength, entry.headerOffset);
  if (bytesRead !== buffer.byteLength) {
    throw new ShardFileCorruptError(`${where}: short read at offset ${entry.headerOffset}`);
  }
  return { header: buffer.subarray(0, entry.headerLength), body: buffer.subarray(entry.headerLength) };
}

async function* readAhead<T>(
  entries: readonly ShardIndexEntry[],
  read: (entry: ShardIndexEntry) => Promise<T>,
  options: ShardReadOptions,
): AsyncGenerator<T, void, undefined> {
  const depth = Math.max(1, options.readAhead);
  const pending: Promise<T>[] = [];
  let next = 0;
  const fill = (): void => {
    while (next < entries.length && pending.length < depth) {
      const p = read(entries[next++] as ShardIndexEntry);
      p.catch(() => undefined); // observed below; avoid an unhandled rejection if abandoned
      pending.push(p);
    }
  };
  try {
    fill();
    while (pending.length > 0) {
      options.signal?.throwIfAborted();
      const value = await (pending.shift() as Promise<T>);
      fill();
      yield value;
    }
  } finally {
    // Let in-flight reads finish before the caller closes the file handle.
    await Promise.allSettled(pending);
  }
}

/**
 * Produce the shard's messages as pre-encoded protobuf FlightData buffers, in file
 * order, skipping the first `skipBatches` record batches.
 * @throws ShardFileCorruptError on a short read; the signal's reason when aborted.
 */
export function readShardFlightData(
  file: FileHandle,
  index: ShardIndex,
  options: ShardReadOptions,
): AsyncGenerator<Buffer, void, undefined> {
  const where = options.where ?? "shard";
  const entries = selectEntries(index, options.skipBatches ?? 0);
  return readAhead(entries, (e) => readFlightData(file, e, where, options.allocate), options);
}

/**
 * Produce the shard's messages as IPC frames (header, body), for paths that decode
 * them (projection). Same skipping and read-ahead as {@link readShardFlightData}.
 */
export function readShardFrames(
  file: FileHandle,
  index: ShardIndex,
  options: ShardReadOptions,
): AsyncGenerator<IpcFrame, void, undefined> {
  const where = options.where ?? "shard";
  const entries = selectEntries(index, options.skipBatches ?? 0);
  return readAhead(entries, (e) => readFrame(file, e, where), options);
}
