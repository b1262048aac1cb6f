/**
 * Reading Arrow IPC `Message` flatbuffers (Message.fbs): the message envelope, and the
 * RecordBatch / DictionaryBatch headers, with every count and length validated.
 */

import { FlatbufferReader } from "./ipc-flatbuffer.js";

/** MessageHeader union tags (Message.fbs). */
export const MessageHeaderType = {
  None: 0,
  Schema: 1,
  DictionaryBatch: 2,
  RecordBatch: 3,
  Tensor: 4,
  SparseTensor: 5,
} as const;

/** MetadataVersion values (Schema.fbs): V4 = 3, V5 = 4. */
export const MetadataVersionV4 = 3;
/** MetadataVersion V5, the current format version. */
export const MetadataVersionV5 = 4;

/** Largest row count or buffer length apache-arrow can address (2^31 - 1). */
export const MAX_ARRAY_LENGTH = 0x7fffffff;

const headerTypeNames = ["NONE", "Schema", "DictionaryBatch", "RecordBatch", "Tensor", "SparseTensor"];

/** The envelope of one IPC message. */
export interface IpcMessage {
  /** The checked reader over the header bytes. */
  readonly reader: FlatbufferReader;
  /** Metadata version (3 = V4, 4 = V5). */
  readonly version: number;
  /** One of {@link MessageHeaderType}. */
  readonly headerType: number;
  /** Position of the header table (Schema, RecordBatch or DictionaryBatch). */
  readonly header: number;
  /** Declared body length in bytes. */
  readonly bodyLength: number;
}

/** Name of a MessageHeader union tag, for error messages. */
export function messageHeaderTypeName(type: number): string {
  return headerTypeNames[type] ?? `unknown (${type})`;
}

/**
 * Parse the envelope of an IPC `Message` flatbuffer.
 * @throws FlightError INVALID_ARGUMENT for a malformed flatbuffer, an unsupported metadata
 *   version (only V4 and V5 are read), a missing header, or an absurd body length.
 */
export function readIpcMessage(bytes: Uint8Array): IpcMessage {
  const reader = new FlatbufferReader(bytes, "IPC message header");
  const root = reader.root();
  const version = reader.int16(root, 0, 0);
  if (version !== MetadataVersionV4 && version !== MetadataVersionV5) {
    throw reader.error(`metadata version V${version + 1} is not supported (V4 and V5 are)`);
  }
  const headerType = reader.uint8(root, 1, 0);
  const header = reader.table(root, 2, "message header");
  if (header === 0) throw reader.error(`message has no header (type ${messageHeaderTypeName(headerType)})`);
  const bodyLength = reader.int64(root, 3, 0, "body length");
  if (bodyLength < 0) throw reader.error(`negative body length ${bodyLength}`);
  return { reader, version, headerType, header, bodyLength };
}

/** The validated metadata of a RecordBatch (also the data of a DictionaryBatch). */
export interface RecordBatchHeader {
  /** Row count. */
  readonly length: number;
  /** Number of FieldNode structs. */
  readonly nodeCount: number;
  /** Position of the first FieldNode struct (16 bytes each: length, null_count). */
  readonly nodes: number;
  /** Number of Buffer structs. */
  readonly bufferCount: number;
  /** Position of the first Buffer struct (16 bytes each: offset, length). */
  readonly buffers: number;
  /** Compression codec (0 = LZ4_FRAME, 1 = ZSTD), or -1 when the body is not compressed. */
  readonly codec: number;
  /** Counts of variadic buffers, one per view-typed column, in column order. */
  readonly variadicBufferCounts: readonly number[];
}

/**
 * Read a RecordBatch table. Counts are bounded by the header size (each struct is 16
 * bytes), and the row count by {@link MAX_ARRAY_LENGTH}.
 * @throws FlightError INVALID_ARGUMENT naming the bad field.
 */
export function readRecordBatchHeader(reader: FlatbufferReader, table: number): RecordBatchHeader {
  const length = reader.int64(table, 0, 0, "record batch length");
  if (length < 0 || length > MAX_ARRAY_LENGTH) {
    throw reader.error(`record batch length ${length} is outside 0..${MAX_ARRAY_LENGTH}`);
  }
  const nodes = reader.vector(table, 1, 16, "field nodes");
  const buffers = reader.vector(table, 2, 16, "buffers");
  let codec = -1;
  const compression = reader.table(table, 3, "body compression");
  if (compression !== 0) {
    codec = reader.int8(compression, 0, 0);
    const method = reader.int8(compression, 1, 0);
    if (method !== 0) throw reader.error(`body compression method ${method} is not supported (only BUFFER)`);
  }
  const variadic = reader.vector(table, 4, 8, "variadic buffer counts");
  const variadicBufferCounts: number[] = [];
  for (let i = 0, n = reader.vectorLength(variadic); i < n; i++) {
    const count = reader.int64At(variadic + 8 * i, "variadic buffer count");
    if (count < 0 || count > reader.vectorLength(buffers))
      throw reader.error(`variadic buffer count ${count} is invalid`);
    variadicBufferCounts.push(count);
  }
  return {
    length,
    nodeCount: reader.vectorLength(nodes),
    nodes,
    bufferCount: reader.vectorLength(buffers),
    buffers,
    codec,
    variadicBufferCounts,
  };
}

/** The validated metadata of a DictionaryBatch. */
export interface DictionaryBatchHeader {
  /** Dictionary id (matches DictionaryEncoding.id in the schema). */
  readonly id: number;
  /** True when the batch appends to the current dictionary instead of replacing it. */
  readonly isDelta: boolean;
  /** The dictionary values as a one-column record batch. */
  readonly data: RecordBatchHeader;
}

/** Read a DictionaryBatch table. @throws FlightError INVALID_ARGUMENT */
export function readDictionaryBatchHeader(reader: FlatbufferReader, table: number): DictionaryBatchHeader {
  const id = reader.int64(table, 0, 0, "dictionary id");
  const data = reader.table(table, 1, "dictionary data");
  if (data === 0) throw reader.error(`dictionary batch ${id} has no data`);
  return { id, isDelta: reader.bool(table, 2, false), data: readRecordBatchHeader(reader, data) };
}
