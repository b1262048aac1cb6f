/**
 * The message index of a shard file.
 *
 * A shard file is an Arrow IPC *stream*: for every message, the continuation marker
 * `0xFFFFFFFF`, an int32 little-endian metadata length `M` (a multiple of 8 that
 * includes the header's zero padding), `M` bytes of `Message` flatbuffer, then the
 * body; the file ends with the end-of-stream marker `0xFFFFFFFF 0x00000000`.
 * The index lists where each message's header and body are, so that DoGet can read
 * them straight into pre-encoded FlightData without parsing anything else.
 */
import type { FileHandle } from "node:fs/promises";
import { type IpcMessageKind, inspectIpcHeader } from "./ipc-message-info.js";
import { ShardFileCorruptError } from "./worker-errors.js";

/** The IPC continuation marker. */
export const IPC_CONTINUATION = 0xffffffff;

/** Bytes of the continuation marker plus the metadata length. */
export const IPC_PREFIX_BYTES = 8;

/** Largest IPC metadata (flatbuffer) the worker accepts: 16 MiB. */
export const MAX_IPC_METADATA_BYTES = 16 * 1024 * 1024;

/** Where one message of a shard file lives (byte offsets into the file). */
export interface ShardIndexEntry {
  readonly kind: IpcMessageKind;
  /** Offset of the message's metadata flatbuffer (after the 8-byte prefix). */
  readonly headerOffset: number;
  /** Metadata length `M` as stored (includes zero padding). */
  readonly headerLength: number;
  /** Offset of the body (`headerOffset + headerLength`). */
  readonly bodyOffset: number;
  readonly bodyLength: number;
  /** Rows of a record batch; 0 otherwise. */
  readonly rows: number;
}

/** All messages of one shard file. */
export interface ShardIndex {
  /** Messages in file order; the first is the Schema message. */
  readonly entries: readonly ShardIndexEntry[];
  /** Total rows over the record batches. */
  readonly rows: number;
  /** Number of record batch messages. */
  readonly batches: number;
  /** Size of the file in bytes (including the end-of-stream marker). */
  readonly fileBytes: number;
  /** Largest `headerLength + bodyLength` of any message, for sizing read buffers. */
  readonly largestMessage: number;
}

/** Incrementally builds a {@link ShardIndex} as messages are appended (used by the writer). */
export class ShardIndexBuilder {
  readonly #entries: ShardIndexEntry[] = [];
  #rows = 0;
  #batches = 0;
  #largest = 0;
  #offset = 0;

  /** Bytes accounted for so far (the offset of the next message). */
  get offset(): number {
    return this.#offset;
  }

  /** Number of messages appended. */
  get count(): number {
    return this.#entries.length;
  }

  /** Record a message whose stored metadata is `headerLength` bytes. */
  add(kind: IpcMessageKind, headerLength: number, bodyLength: number, rows: number): ShardIndexEntry {
    const headerOffset = this.#offset + IPC_PREFIX_BYTES;
    const entry: ShardIndexEntry = {
      kind,
      headerOffset,
      headerLength,
      bodyOffset: headerOffset + headerLength,
      bodyLength,
      rows,
    };
    this.#entries.push(entry);
    this.#offset = entry.bodyOffset + bodyLength;
    this.#largest = Math.max(this.#largest, headerLength + bodyLength);
    if (kind === "batch") {
      this.#rows += rows;
      this.#batches++;
    }
    return entry;
  }

  /** Finish with the end-of-stream marker accounted for. */
  finish(): ShardIndex {
    return {
      entries: this.#entries,
      rows: this.#rows,
      batches: this.#batches,
      fileBytes: this.#offset + IPC_PREFIX_BYTES,
      largestMessage: this.#largest,
    };
  }
}

function corrupt(where: string, message: string): ShardFileCorruptError {
  return new ShardFileCorruptError(`${where}: ${message}`);
}

function checkPrefix(prefix: Uint8Array, offset: number, fileBytes: number, where: string): number {
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (view.getUint32(0, true) !== IPC_CONTINUATION) {
    throw corrupt(where, `missing IPC continuation marker at offset ${offset}`);
  }
  const metadataLength = view.getInt32(4, true);
  if (metadataLength < 0 || metadataLength > MAX_IPC_METADATA_BYTES || metadataLength % 8 !== 0) {
    throw corrupt(where, `invalid IPC metadata length ${metadataLength} at offset ${offset}`);
  }
  if (offset + IPC_PREFIX_BYTES + metadataLength > fileBytes) {
    throw corrupt(where, `message at offset ${offset} runs past the end of the file`);
  }
  return metadataLength;
}

function addChecked(
  builder: ShardIndexBuilder,
  header: Uint8Array,
  metadataLength: number,
  fileBytes: number,
  where: string,
): void {
  let info: ReturnType<typeof inspectIpcHeader>;
  try {
    info = inspectIpcHeader(header);
  } catch (cause) {
    throw new ShardFileCorruptError(`${where}: message at offset ${builder.offset} is not valid IPC`, { cause });
  }
  if (builder.count === 0 && info.kind !== "schema") throw corrupt(where, "first message is not a Schema");
  if (builder.count > 0 && info.kind === "schema") throw corrupt(where, "second Schema message");
  const entry = builder.add(info.kind, metadataLength, info.bodyLength, info.rows);
  if (entry.bodyOffset + entry.bodyLength > fileBytes) {
    throw corrupt(where, `body at offset ${entry.bodyOffset} runs past the end of the file`);
  }
}

/**
 * Build the index of an open shard file by reading each message's prefix and header.
 * `where` names the file in error messages.
 * @throws ShardFileCorruptError when the file is not a complete IPC stream as the worker writes it.
 */
export async function readShardIndex(file: FileHandle, where: string): Promise<ShardIndex> {
  const { size: fileBytes } = await file.stat();
  const builder = new ShardIndexBuilder();
  const prefix = Buffer.alloc(IPC_PREFIX_BYTES);
  for (;;) {
    const offset = builder.offset;
    if (offset + IPC_PREFIX_BYTES > fileBytes) throw corrupt(where, "missing end-of-stream marker");
    const { bytesRead } = await file.read(prefix, 0, IPC_PREFIX_BYTES, offset);
    if (bytesRead !== IPC_PREFIX_BYTES) throw corrupt(where, `short read at offset ${offset}`);
    const metadataLength = checkPrefix(prefix, offset, fileBytes, where);
    if (metadataLength === 0) {
      if (offset + IPC_PREFIX_BYTES !== fileBytes) throw corrupt(where, "bytes after the end-of-stream marker");
      break;
    }
    const header = Buffer.alloc(metadataLength);
    const read = await file.read(header, 0, metadataLength, offset + IPC_PREFIX_BYTES);
    if (read.bytesRead !== metadataLength) throw corrupt(where, `short read at offset ${offset}`);
    addChecked(builder, header, metadataLength, fileBytes, where);
  }
  const index = builder.finish();
  if (index.fileBytes !== fileBytes) throw corrupt(where, "size does not match its messages");
  return index;
}

/**
 * Build the index of IPC stream bytes held in memory (same format as a shard file).
 * @throws ShardFileCorruptError when the bytes are not a complete IPC stream.
 */
export function indexIpcStreamBytes(bytes: Uint8Array, where = "IPC stream"): ShardIndex {
  const builder = new ShardIndexBuilder();
  for (;;) {
    const offset = builder.offset;
    if (offset + IPC_PREFIX_BYTES > bytes.byteLength) throw corrupt(where, "missing end-of-stream marker");
    const metadataLength = checkPrefix(bytes.subarray(offset, offset + 8), offset, bytes.byteLength, where);
    if (metadataLength === 0) break;
    const start = offset + IPC_PREFIX_BYTES;
    addChecked(builder, bytes.subarray(start, start + metadataLength), metadataLength, bytes.byteLength, where);
  }
  return builder.finish();
}
