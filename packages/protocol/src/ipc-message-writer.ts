/**
 * Writing RecordBatch and DictionaryBatch `Message` flatbuffers straight into an output
 * buffer, without a flatbuffers Builder (no per-message garbage).
 *
 * The layout is fixed and laid out front to back; every table is 4-aligned, every 64-bit
 * field and struct 8-aligned relative to the header start, as flatbuffer verifiers require:
 *
 * ```
 *  0  root offset -> Message table (16)
 *  4  Message vtable      [size 12, table 20, version@16, header_type@18, header@4, bodyLength@8]
 * 16  Message table       soffset, header uoffset, bodyLength i64, version i16, header_type u8, pad
 *  -- RecordBatch message: B = 36 --          -- DictionaryBatch message: --
 *                                            36  DictionaryBatch vtable [size 10, table 20, id@8, data@4, isDelta@16]
 *                                            48  DictionaryBatch table  soffset, data uoffset, id i64, isDelta u8, pad
 *                                            B = 68
 *  B     RecordBatch vtable [size 10, table 20, length@8, nodes@4, buffers@16], 2 pad bytes
 *  B+12  RecordBatch table  soffset, nodes uoffset, length i64, buffers uoffset
 *  B+32  nodes: u32 count, then count x {length i64, null_count i64}
 *        4 pad bytes, buffers: u32 count, then count x {offset i64, length i64}
 * ```
 *
 * A body with view columns (Utf8View, BinaryView) also needs the RecordBatch field
 * `variadicBufferCounts` (one int64 per view column, in pre-order). Its RecordBatch part
 * then has a longer vtable and table, so the table starts 4 bytes later (the Message's, or
 * DictionaryBatch's, uoffset to it grows by 4) and the 64-bit `length` moves to offset 4:
 *
 * ```
 *  B     RecordBatch vtable [size 14, table 24, length@4, nodes@12, buffers@16, compression absent,
 *        variadicBufferCounts@20], 2 pad bytes
 *  B+16  RecordBatch table  soffset, length i64, nodes uoffset, buffers uoffset, variadic uoffset
 *  B+40  nodes: u32 count, then count x {length i64, null_count i64}
 *        4 pad bytes, buffers: u32 count, then count x {offset i64, length i64}
 *        4 pad bytes, variadicBufferCounts: u32 count, then count x i64
 * ```
 */

import { MessageHeaderType, MetadataVersionV5 } from "./ipc-message.js";

const TWO_POW_32 = 2 ** 32;

const RECORD_BATCH_BASE = 36;
const DICTIONARY_RECORD_BATCH_BASE = 68;

/** The field nodes and buffers of a body, as the header lists them. */
export interface BodyLayout {
  /** Number of field nodes (the arrays below may be longer; only this many are used). */
  readonly nodeCount: number;
  /** Length (rows) of each field node, in pre-order. */
  readonly nodeLengths: readonly number[];
  /** Null count of each field node. */
  readonly nodeNullCounts: readonly number[];
  /** Number of buffers. */
  readonly bufferCount: number;
  /** Byte offset of each buffer in the body (multiples of 8). */
  readonly bufferOffsets: readonly number[];
  /** Byte length of each buffer (unpadded). */
  readonly bufferLengths: readonly number[];
  /** Total body bytes (buffers padded to 8). */
  readonly bodyLength: number;
  /** Number of view columns (0: the header has no `variadicBufferCounts`). */
  readonly variadicCount: number;
  /** Variadic buffer count of each view column, in pre-order. */
  readonly variadicCounts: readonly number[];
}

/** Size in bytes of the RecordBatch part of a header, from its vtable on. */
function recordBatchSize(nodeCount: number, bufferCount: number, variadicCount: number): number {
  return variadicCount === 0
    ? 44 + 16 * (nodeCount + bufferCount)
    : 60 + 16 * (nodeCount + bufferCount) + 8 * variadicCount;
}

/**
 * Size in bytes of a RecordBatch message header (a multiple of 8).
 * @param variadicCount - number of view columns (`BodyLayout.variadicCount`).
 */
export function recordBatchMessageSize(nodeCount: number, bufferCount: number, variadicCount = 0): number {
  return RECORD_BATCH_BASE + recordBatchSize(nodeCount, bufferCount, variadicCount);
}

/**
 * Size in bytes of a DictionaryBatch message header (a multiple of 8).
 * @param variadicCount - number of view columns (`BodyLayout.variadicCount`).
 */
export function dictionaryBatchMessageSize(nodeCount: number, bufferCount: number, variadicCount = 0): number {
  return DICTIONARY_RECORD_BATCH_BASE + recordBatchSize(nodeCount, bufferCount, variadicCount);
}

/** Distance from a RecordBatch part's start (its vtable) to its table. */
function recordBatchTable(layout: BodyLayout): number {
  return layout.variadicCount === 0 ? 12 : 16;
}

function writeInt64(out: Buffer, pos: number, value: number): void {
  out.writeUInt32LE(value >>> 0, pos);
  out.writeUInt32LE(Math.floor(value / TWO_POW_32) >>> 0, pos + 4);
}

/** Write the Message table; `headerAt` is where its header table starts, relative to `h`. */
function writeMessage(out: Buffer, h: number, headerType: number, headerAt: number, bodyLength: number): void {
  out.writeUInt32LE(16, h);
  // Message vtable
  out.writeUInt16LE(12, h + 4);
  out.writeUInt16LE(20, h + 6);
  out.writeUInt16LE(16, h + 8); // version
  out.writeUInt16LE(18, h + 10); // header_type
  out.writeUInt16LE(4, h + 12); // header
  out.writeUInt16LE(8, h + 14); // bodyLength
  // Message table
  out.writeInt32LE(12, h + 16);
  out.writeUInt32LE(headerAt - 20, h + 20); // header table
  writeInt64(out, h + 24, bodyLength);
  out.writeInt16LE(MetadataVersionV5, h + 32);
  out[h + 34] = headerType;
  out[h + 35] = 0;
}

function writeRecordBatch(out: Buffer, h: number, base: number, length: number, layout: BodyLayout): void {
  if (layout.variadicCount > 0) {
    writeRecordBatchWithVariadic(out, h + base, length, layout);
    return;
  }
  const { nodeCount, bufferCount } = layout;
  let p = h + base;
  // RecordBatch vtable
  out.writeUInt16LE(10, p);
  out.writeUInt16LE(20, p + 2);
  out.writeUInt16LE(8, p + 4); // length
  out.writeUInt16LE(4, p + 6); // nodes
  out.writeUInt16LE(16, p + 8); // buffers
  out.writeUInt16LE(0, p + 10);
  // RecordBatch table
  out.writeInt32LE(12, p + 12);
  out.writeUInt32LE(16, p + 16); // nodes vector at B+32
  writeInt64(out, p + 20, length);
  out.writeUInt32LE(12 + 16 * nodeCount, p + 28); // buffers vector at B+40+16n
  out.writeUInt32LE(nodeCount, p + 32);
  p += 36;
  for (let i = 0; i < nodeCount; i++, p += 16) {
    writeInt64(out, p, layout.nodeLengths[i]!);
    writeInt64(out, p + 8, layout.nodeNullCounts[i]!);
  }
  out.writeUInt32LE(0, p);
  out.writeUInt32LE(bufferCount, p + 4);
  p += 8;
  for (let i = 0; i < bufferCount; i++, p += 16) {
    writeInt64(out, p, layout.bufferOffsets[i]!);
    writeInt64(out, p + 8, layout.bufferLengths[i]!);
  }
}

/** The RecordBatch part of a header with `variadicBufferCounts`, at `p` (see the layout above). */
function writeRecordBatchWithVariadic(out: Buffer, p: number, length: number, layout: BodyLayout): void {
  const { nodeCount, bufferCount, variadicCount } = layout;
  // RecordBatch vtable
  out.writeUInt16LE(14, p);
  out.writeUInt16LE(24, p + 2);
  out.writeUInt16LE(4, p + 4); // length
  out.writeUInt16LE(12, p + 6); // nodes
  out.writeUInt16LE(16, p + 8); // buffers
  out.writeUInt16LE(0, p + 10); // compression: absent
  out.writeUInt16LE(20, p + 12); // variadicBufferCounts
  out.writeUInt16LE(0, p + 14);
  // RecordBatch table
  const t = p + 16;
  out.writeInt32LE(16, t);
  writeInt64(out, t + 4, length);
  let v = t + 24;
  out.writeUInt32LE(v - (t + 12), t + 12);
  out.writeUInt32LE(nodeCount, v);
  v += 4;
  for (let i = 0; i < nodeCount; i++, v += 16) {
    writeInt64(out, v, layout.nodeLengths[i]!);
    writeInt64(out, v + 8, layout.nodeNullCounts[i]!);
  }
  out.writeUInt32LE(0, v);
  out.writeUInt32LE(v + 4 - (t + 16), t + 16);
  out.writeUInt32LE(bufferCount, v + 4);
  v += 8;
  for (let i = 0; i < bufferCount; i++, v += 16) {
    writeInt64(out, v, layout.bufferOffsets[i]!);
    writeInt64(out, v + 8, layout.bufferLengths[i]!);
  }
  out.writeUInt32LE(0, v);
  out.writeUInt32LE(v + 4 - (t + 20), t + 20);
  out.writeUInt32LE(variadicCount, v + 4);
  v += 8;
  for (let i = 0; i < variadicCount; i++, v += 8) writeInt64(out, v, layout.variadicCounts[i]!);
}

/**
 * Write a RecordBatch message header of {@link recordBatchMessageSize} bytes at `pos`.
 * @param length - row count of the batch.
 */
export function writeRecordBatchMessage(out: Buffer, pos: number, length: number, layout: BodyLayout): void {
  const table = RECORD_BATCH_BASE + recordBatchTable(layout);
  writeMessage(out, pos, MessageHeaderType.RecordBatch, table, layout.bodyLength);
  writeRecordBatch(out, pos, RECORD_BATCH_BASE, length, layout);
}

/**
 * Write a DictionaryBatch message header of {@link dictionaryBatchMessageSize} bytes at `pos`.
 * @param id - dictionary id; `isDelta` appends to the receiver's dictionary instead of replacing it.
 */
export function writeDictionaryBatchMessage(
  out: Buffer,
  pos: number,
  id: number,
  isDelta: boolean,
  length: number,
  layout: BodyLayout,
): void {
  writeMessage(out, pos, MessageHeaderType.DictionaryBatch, 48, layout.bodyLength);
  const p = pos + 36;
  // DictionaryBatch vtable
  out.writeUInt16LE(10, p);
  out.writeUInt16LE(20, p + 2);
  out.writeUInt16LE(8, p + 4); // id
  out.writeUInt16LE(4, p + 6); // data
  out.writeUInt16LE(16, p + 8); // isDelta
  out.writeUInt16LE(0, p + 10);
  // DictionaryBatch table at 48
  out.writeInt32LE(12, p + 12);
  const data = DICTIONARY_RECORD_BATCH_BASE + recordBatchTable(layout);
  out.writeUInt32LE(data - 52, p + 16); // data: RecordBatch table
  writeInt64(out, p + 20, id);
  out.writeUInt32LE(isDelta ? 1 : 0, p + 28);
  writeRecordBatch(out, pos, DICTIONARY_RECORD_BATCH_BASE, length, layout);
}
