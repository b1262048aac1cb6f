/**
 * Binary and Utf8 view columns (Utf8View, BinaryView) in an outgoing message body.
 *
 * A view is 16 bytes: int32 length, then either the value itself (length <= 12, inline)
 * or a 4-byte prefix, an int32 variadic buffer index and an int32 offset into that buffer.
 * apache-arrow keeps the views in `data.values` (already sliced to the Data's rows) and the
 * variadic buffers in `data.variadicBuffers`, whole.
 *
 * Every message carries its rows' views and exactly one variadic buffer per view column
 * (none when every value is inline), holding the out-of-line bytes of those rows only,
 * compacted: the views are rewritten to point into it. Keeping the source's whole data
 * buffers instead would send a buffer (apache-arrow's builder makes them 32 MiB) with
 * every slice of a batch, so a slice could never fit `maxMessageBytes` and the bytes would
 * go out once per slice. Compacting makes a message's size proportional to its rows, like
 * Utf8, which is what row slicing relies on. The copy coalesces values that lie end to end
 * in the source (the usual layout, so it is one `set` per run) and a value repeated in
 * consecutive rows is stored once; values shared by non-adjacent rows are stored per row.
 * Null rows get all-zero views, so they reference nothing.
 */

import type { Data } from "apache-arrow";
import { FlightInvalidArgumentError } from "./flight-error.js";

/** Size of one view in bytes. */
const VIEW_BYTES = 16;
/** Longest value stored inside its view. */
const INLINE_BYTES = 12;
/** Largest variadic buffer (its offsets are int32). */
const MAX_DATA_BYTES = 0x7fffffff;

const EMPTY = new Uint8Array(0);

/** The views of a row range and the size of its compacted variadic buffer. */
export interface ViewRows {
  /** The rows' source views (16 bytes per row). */
  readonly views: Uint8Array;
  /** Validity bitmap, or undefined when the range has no nulls. */
  readonly bitmap: Uint8Array | undefined;
  /** Bit of `bitmap` that holds the first row's validity. */
  readonly bitOffset: number;
  /** The source's variadic buffers, which out-of-line views index. */
  readonly buffers: readonly Uint8Array[];
  /** Number of rows. */
  readonly length: number;
  /** Bytes of the compacted variadic buffer (0: the message carries none). */
  readonly dataBytes: number;
}

function isNull(bitmap: Uint8Array | undefined, bit: number): boolean {
  return bitmap !== undefined && ((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 0;
}

/**
 * Check rows [start, start + length) of a view column and measure their compacted
 * variadic buffer.
 * @param hasNulls - whether the range has null rows (their views are ignored).
 * @throws FlightError INVALID_ARGUMENT when views are missing, a length is negative, an
 *   out-of-line view lies outside its variadic buffer, or the out-of-line bytes of the
 *   range exceed 2^31-1 (the most one variadic buffer can address).
 */
export function planViewRows(data: Data, start: number, length: number, hasNulls: boolean): ViewRows {
  const values = data.values as Uint8Array | undefined;
  const need = VIEW_BYTES * (start + length);
  if (length > 0 && (values === undefined || values.byteLength < need)) {
    throw new FlightInvalidArgumentError(
      `${data.type} column has ${values?.byteLength ?? 0} bytes of views, rows up to ${start + length} need ${need}`,
    );
  }
  const views =
    length === 0 || values === undefined
      ? EMPTY
      : new Uint8Array(values.buffer, values.byteOffset + VIEW_BYTES * start, VIEW_BYTES * length);
  const bitmap = hasNulls ? (data.nullBitmap as Uint8Array) : undefined;
  const bitOffset = data.offset + start;
  const buffers = data.variadicBuffers;
  const source = new DataView(views.buffer, views.byteOffset, views.byteLength);
  let dataBytes = 0;
  let previousIndex = -1;
  let previousOffset = 0;
  let previousSize = 0;
  for (let row = 0; row < length; row++) {
    if (isNull(bitmap, bitOffset + row)) continue;
    const at = VIEW_BYTES * row;
    const size = source.getInt32(at, true);
    if (size < 0) throw new FlightInvalidArgumentError(`${data.type} column has negative length ${size} at row ${row}`);
    if (size <= INLINE_BYTES) continue;
    const index = source.getInt32(at + 8, true);
    const offset = source.getInt32(at + 12, true);
    const buffer = buffers[index];
    if (buffer === undefined || offset < 0 || offset + size > buffer.byteLength) {
      throw new FlightInvalidArgumentError(
        `${data.type} column has a view at row ${row} (buffer ${index}, offset ${offset}, length ${size}) outside its ${buffers.length} variadic buffers`,
      );
    }
    if (index === previousIndex && offset === previousOffset && size === previousSize) continue;
    dataBytes += size;
    previousIndex = index;
    previousOffset = offset;
    previousSize = size;
  }
  if (dataBytes > MAX_DATA_BYTES) {
    throw new FlightInvalidArgumentError(
      `${data.type} column holds ${dataBytes} bytes of out-of-line values in ${length} rows, more than one message can carry`,
    );
  }
  return { views, bitmap, bitOffset, buffers, length, dataBytes };
}

/**
 * Write the views of `rows` at byte `viewsAt` of `out` ({@link ViewRows.length} x 16 bytes)
 * and their compacted variadic buffer at `dataAt` ({@link ViewRows.dataBytes} bytes;
 * ignored when 0). Out-of-line views are rewritten to buffer 0 at their new offsets.
 */
export function writeViewRows(rows: ViewRows, out: Uint8Array, viewsAt: number, dataAt: number): void {
  const { views, bitmap, bitOffset, buffers, length } = rows;
  out.set(views, viewsAt);
  const source = new DataView(views.buffer, views.byteOffset, views.byteLength);
  const target = new DataView(out.buffer, out.byteOffset, out.byteLength);
  // The pending run of source bytes [runStart, runEnd) of buffer runIndex, bound for runAt.
  let runIndex = -1;
  let runStart = 0;
  let runEnd = 0;
  let runAt = 0;
  let cursor = 0;
  let previousIndex = -1;
  let previousOffset = 0;
  let previousSize = 0;
  let previousAt = 0;
  for (let row = 0; row < length; row++) {
    const at = VIEW_BYTES * row;
    if (isNull(bitmap, bitOffset + row)) {
      out.fill(0, viewsAt + at, viewsAt + at + VIEW_BYTES);
      continue;
    }
    const size = source.getInt32(at, true);
    if (size <= INLINE_BYTES) continue;
    const index = source.getInt32(at + 8, true);
    const offset = source.getInt32(at + 12, true);
    if (index !== previousIndex || offset !== previousOffset || size !== previousSize) {
      if (index !== runIndex || offset !== runEnd) {
        if (runIndex >= 0) out.set(buffers[runIndex]!.subarray(runStart, runEnd), dataAt + runAt);
        runIndex = index;
        runStart = offset;
        runEnd = offset;
        runAt = cursor;
      }
      runEnd += size;
      previousIndex = index;
      previousOffset = offset;
      previousSize = size;
      previousAt = cursor;
      cursor += size;
    }
    target.setInt32(viewsAt + at + 8, 0, true);
    target.setInt32(viewsAt + at + 12, previousAt, true);
  }
  if (runIndex >= 0) out.set(buffers[runIndex]!.subarray(runStart, runEnd), dataAt + runAt);
}
