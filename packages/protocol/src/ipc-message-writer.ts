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
}

/** Size in bytes of a RecordBatch message header (a multiple of 8). */
export function recordBatchMessageSize(nodeCount: number, bufferCount: number): number {
  return RECORD_BATCH_BASE + 44 + 16 * (nodeCount + bufferCount);
}

/** Size in bytes of a DictionaryBatch message header (a multiple of 8). */
export function dictionaryBatchMessageSize(nodeCount: number, bufferCount: number): number {
  return DICTIONARY_RECORD_BATCH_BASE + 44 + 16 * (nodeCount + bufferCount);
}

function writeInt64(out: Buffer, pos: number, value: number): void {
  out.writeUInt32LE(value >>> 0, pos);
  out.writeUInt32LE(Math.floor(value / TWO_POW_32) >>> 0, pos + 4);
}

function writeMessage(out: Buffer, h: number, headerType: number, bodyLength: number): void {
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
  out.writeUInt32LE(28, h + 20); // header table at 48
  writeInt64(out, h + 24, bodyLength);
  out.writeInt16LE(MetadataVersionV5, h + 32);
  out[h + 34] = headerType;
  out[h + 35] = 0;
}

function writeRecordBatch(out: Buffer, h: number, base: number, length: number, layout: BodyLayout): void {
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

/**
 * Write a RecordBatch message header of {@link recordBatchMessageSize} bytes at `pos`.
 * @param length - row count of the batch.
 */
export function writeRecordBatchMessage(out: Buffer, pos: number, length: number, layout: BodyLayout): void {
  writeMessage(out, pos, MessageHeaderType.RecordBatch, layout.bodyLength);
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
  writeMessage(out, pos, MessageHeaderType.DictionaryBatch, layout.bodyLength);
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
  out.writeUInt32LE(28, p + 16); // data: RecordBatch table at 80
  writeInt64(out, p + 20, id);
  out.writeUInt32LE(isDelta ? 1 : 0, p + 28);
  writeRecordBatch(out, pos, DICTIONARY_RECORD_BATCH_BASE, length, layout);
}
