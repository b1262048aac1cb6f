/**
 * Planning and writing the body of a record batch (or dictionary batch) for a row range
 * of apache-arrow Data, without building intermediate arrays.
 *
 * `plan()` walks the columns once and records the field nodes and, for every buffer, where
 * its bytes come from and how to transform them (copy, bit-shift a bitmap, rebase
 * offsets). `write()` then copies each buffer once, straight into the output message.
 * Scratch arrays are reused across calls, so a steady stream of batches allocates only
 * the output buffers.
 *
 * Row-range conventions of apache-arrow Data (after `slice`): validity and boolean bits
 * start at bit `data.offset`; fixed-width values, offsets and union type ids are already
 * sliced; struct, fixed-size-list and sparse-union children are sliced to match the
 * parent; list, string and dense-union children are not (offsets index into them); the
 * views of Utf8View/BinaryView are sliced, their variadic buffers are not (see
 * ipc-body-views.ts for how a row range carries them).
 */

import { type Data, type DataType, Type } from "apache-arrow";
import { FlightInvalidArgumentError } from "./flight-error.js";
import { planViewRows, type ViewRows, writeViewRows } from "./ipc-body-views.js";
import { copyBits, countSetBits, int64At, writeOffsets32, writeOffsets64 } from "./ipc-buffer-copy.js";
import type { BodyLayout } from "./ipc-message-writer.js";

/** How a planned buffer gets its bytes. */
const Kind = {
  /** Copy `count` bytes starting at byte `start` of the source view. */
  Copy: 0,
  /** Copy `count` bits starting at bit `start` of the source bitmap. */
  Bits: 1,
  /** Copy `count` int32 offsets starting at index `start`, minus the first. */
  Offsets32: 2,
  /** Copy `count` int64 offsets starting at index `start`, minus the first. */
  Offsets64: 3,
  /** Zero bytes. */
  Zero: 4,
  /** Rebased dense-union offsets (source is a {@link DenseOffsets}). */
  DenseOffsets: 5,
  /** Views of a row range (source is a {@link ViewRows}); also writes the next buffer, its variadic data. */
  Views: 6,
  /** Variadic data of a row range, written with the views before it. */
  ViewData: 7,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/** Dense union offsets of a row range, rebased per child. */
interface DenseOffsets {
  readonly typeIds: Int8Array;
  readonly offsets: Int32Array;
  readonly start: number;
  readonly childOf: Int16Array;
  readonly bases: number[];
}

/** Field nodes and buffer sources for one body; reusable across batches. */
export class BodyPlan implements BodyLayout {
  /** See {@link BodyLayout}. */
  nodeCount = 0;
  /** See {@link BodyLayout}. */
  readonly nodeLengths: number[] = [];
  /** See {@link BodyLayout}. */
  readonly nodeNullCounts: number[] = [];
  /** See {@link BodyLayout}. */
  bufferCount = 0;
  /** See {@link BodyLayout}. */
  readonly bufferOffsets: number[] = [];
  /** See {@link BodyLayout}. */
  readonly bufferLengths: number[] = [];
  /** See {@link BodyLayout}. */
  bodyLength = 0;
  /** See {@link BodyLayout}. */
  variadicCount = 0;
  /** See {@link BodyLayout}. */
  readonly variadicCounts: number[] = [];
  private readonly kinds: Kind[] = [];
  private readonly sources: unknown[] = [];
  private readonly starts: number[] = [];
  private readonly counts: number[] = [];

  /** Forget the previous plan (and drop references to its source data). */
  reset(): void {
    this.sources.fill(undefined, 0, this.bufferCount);
    this.nodeCount = 0;
    this.bufferCount = 0;
    this.bodyLength = 0;
    this.variadicCount = 0;
  }

  private node(length: number, nullCount: number): void {
    const i = this.nodeCount++;
    this.nodeLengths[i] = length;
    this.nodeNullCounts[i] = nullCount;
  }

  private buffer(kind: Kind, byteLength: number, source: unknown, start: number, count: number): void {
    const i = this.bufferCount++;
    this.bufferOffsets[i] = this.bodyLength;
    this.bufferLengths[i] = byteLength;
    this.kinds[i] = kind;
    this.sources[i] = source;
    this.starts[i] = start;
    this.counts[i] = count;
    this.bodyLength += (byteLength + 7) & ~7;
  }

  /**
   * Node plus validity buffer (omitted, length 0, when the range has no nulls).
   * @returns whether the range has nulls.
   */
  private validity(data: Data, start: number, length: number): boolean {
    const bitmap = data.nullBitmap as Uint8Array | undefined;
    let nulls = 0;
    if (bitmap !== undefined && bitmap.length > 0 && data.nullCount !== 0) {
      nulls = length - countSetBits(bitmap, data.offset + start, length);
    }
    this.node(length, nulls);
    if (nulls > 0) this.buffer(Kind.Bits, (length + 7) >> 3, bitmap, data.offset + start, length);
    else this.buffer(Kind.Zero, 0, undefined, 0, 0);
    return nulls > 0;
  }

  /** Validity, views and one compacted variadic data buffer (none when all values are inline). */
  private views(data: Data, start: number, length: number): void {
    const rows = planViewRows(data, start, length, this.validity(data, start, length));
    this.buffer(Kind.Views, 16 * length, rows, 0, length);
    if (rows.dataBytes > 0) this.buffer(Kind.ViewData, rows.dataBytes, undefined, 0, rows.dataBytes);
    this.variadicCounts[this.variadicCount++] = rows.dataBytes > 0 ? 1 : 0;
  }

  private copy(values: ArrayBufferView | undefined, bytesPerRow: number, start: number, length: number): void {
    this.buffer(Kind.Copy, bytesPerRow * length, values, bytesPerRow * start, bytesPerRow * length);
  }

  /**
   * Add rows [start, start + length) of `data` (whose type is structurally `type`) to the plan.
   * @throws FlightError INVALID_ARGUMENT for types the wire layer cannot encode.
   */
  column(type: DataType, data: Data, start: number, length: number): void {
    switch (type.typeId) {
      case Type.Null:
        this.node(length, length);
        return;
      case Type.Bool:
        this.validity(data, start, length);
        this.buffer(Kind.Bits, (length + 7) >> 3, data.values, data.offset + start, length);
        return;
      case Type.Int:
      case Type.Float:
      case Type.Decimal:
      case Type.Date:
      case Type.Time:
      case Type.Timestamp:
      case Type.Interval:
      case Type.Duration:
      case Type.FixedSizeBinary:
      case Type.Dictionary: {
        this.validity(data, start, length);
        const values = data.values as (ArrayBufferView & { readonly BYTES_PER_ELEMENT: number }) | undefined;
        const ArrayType = (type.typeId === Type.Dictionary ? (type as unknown as { indices: DataType }).indices : type)
          .ArrayType as { readonly BYTES_PER_ELEMENT: number };
        this.copy(values, data.stride * (values?.BYTES_PER_ELEMENT ?? ArrayType.BYTES_PER_ELEMENT), start, length);
        return;
      }
      case Type.Utf8:
      case Type.Binary: {
        this.validity(data, start, length);
        const offsets = data.valueOffsets as Int32Array | undefined;
        const first = offsets?.[start] ?? 0;
        const last = offsets?.[start + length] ?? first;
        this.buffer(Kind.Offsets32, 4 * (length + 1), offsets, start, length + 1);
        this.buffer(Kind.Copy, last - first, data.values, first, last - first);
        return;
      }
      case Type.LargeUtf8:
      case Type.LargeBinary: {
        this.validity(data, start, length);
        const offsets = data.valueOffsets as BigInt64Array | undefined;
        const first = int64At(offsets, start);
        const last = offsets?.[start + length] === undefined ? first : int64At(offsets, start + length);
        this.buffer(Kind.Offsets64, 8 * (length + 1), offsets, start, length + 1);
        this.buffer(Kind.Copy, last - first, data.values, first, last - first);
        return;
      }
      case Type.Utf8View:
      case Type.BinaryView:
        this.views(data, start, length);
        return;
      case Type.List:
      case Type.Map:
      case Type.LargeList: {
        this.validity(data, start, length);
        const large = type.typeId === Type.LargeList;
        let first: number;
        let last: number;
        if (large) {
          const offsets = data.valueOffsets as BigInt64Array | undefined;
          first = int64At(offsets, start);
          last = offsets?.[start + length] === undefined ? first : int64At(offsets, start + length);
          this.buffer(Kind.Offsets64, 8 * (length + 1), offsets, start, length + 1);
        } else {
          const offsets = data.valueOffsets as Int32Array | undefined;
          first = offsets?.[start] ?? 0;
          last = offsets?.[start + length] ?? first;
          this.buffer(Kind.Offsets32, 4 * (length + 1), offsets, start, length + 1);
        }
        this.child(type, data, 0, first, last - first);
        return;
      }
      case Type.FixedSizeList: {
        this.validity(data, start, length);
        const size = (type as unknown as { readonly listSize: number }).listSize;
        this.child(type, data, 0, start * size, length * size);
        return;
      }
      case Type.Struct:
        this.validity(data, start, length);
        for (let i = 0; i < type.children.length; i++) this.child(type, data, i, start, length);
        return;
      case Type.Union:
        this.union(type, data, start, length);
        return;
    }
    throw new FlightInvalidArgumentError(`cannot encode columns of type ${type}`);
  }

  private child(type: DataType, data: Data, index: number, start: number, length: number): void {
    const childType = type.children[index]!.type;
    const child = data.children[index];
    if (child === undefined) throw new FlightInvalidArgumentError(`column of type ${type} is missing child ${index}`);
    this.column(childType, child, start, length);
  }

  private union(type: DataType, data: Data, start: number, length: number): void {
    const union = type as unknown as { readonly mode: number; readonly typeIds: Int32Array };
    this.node(length, 0);
    const typeIds = data.typeIds as Int8Array;
    this.copy(typeIds, 1, start, length);
    if (union.mode === 0) {
      for (let i = 0; i < type.children.length; i++) this.child(type, data, i, start, length);
      return;
    }
    const offsets = data.valueOffsets as Int32Array;
    const childOf = new Int16Array(128).fill(-1);
    union.typeIds.forEach((id, index) => {
      childOf[id] = index;
    });
    const count = type.children.length;
    const bases = new Array<number>(count).fill(Number.POSITIVE_INFINITY);
    const ends = new Array<number>(count).fill(0);
    for (let i = start; i < start + length; i++) {
      const c = childOf[typeIds[i]!]!;
      const offset = offsets[i]!;
      if (c < 0) throw new FlightInvalidArgumentError(`union column has unknown type id ${typeIds[i]} at row ${i}`);
      if (offset < bases[c]!) bases[c] = offset;
      if (offset + 1 > ends[c]!) ends[c] = offset + 1;
    }
    const rebase: DenseOffsets = { typeIds, offsets, start, childOf, bases };
    this.buffer(Kind.DenseOffsets, 4 * length, rebase, start, length);
    for (let c = 0; c < count; c++) {
      const base = bases[c]!;
      if (base === Number.POSITIVE_INFINITY) this.child(type, data, c, 0, 0);
      else this.child(type, data, c, base, ends[c]! - base);
    }
  }

  /**
   * Write the planned body at `pos` of `out` ({@link bodyLength} bytes, buffers padded
   * with zeros to 8). `out.byteOffset + pos` must be 8-aligned.
   */
  write(out: Uint8Array, pos: number): void {
    for (let i = 0; i < this.bufferCount; i++) {
      const at = pos + this.bufferOffsets[i]!;
      const length = this.bufferLengths[i]!;
      const start = this.starts[i]!;
      const count = this.counts[i]!;
      const source = this.sources[i];
      switch (this.kinds[i]!) {
        case Kind.Copy: {
          const view = source as ArrayBufferView | undefined;
          const available = view === undefined ? 0 : Math.max(0, Math.min(count, view.byteLength - start));
          if (available > 0) out.set(new Uint8Array(view!.buffer, view!.byteOffset + start, available), at);
          out.fill(0, at + available, at + count);
          break;
        }
        case Kind.Bits:
          copyBits((source as Uint8Array | undefined) ?? new Uint8Array(0), start, count, out, at);
          break;
        case Kind.Offsets32:
          writeOffsets32(source as Int32Array | undefined, start, count, out, at);
          break;
        case Kind.Offsets64:
          writeOffsets64(source as BigInt64Array | undefined, start, count, out, at);
          break;
        case Kind.DenseOffsets:
          writeDenseOffsets(source as DenseOffsets, count, out, at);
          break;
        case Kind.Zero:
          out.fill(0, at, at + length);
          break;
        case Kind.Views: {
          const rows = source as ViewRows;
          writeViewRows(rows, out, at, rows.dataBytes > 0 ? pos + this.bufferOffsets[i + 1]! : at);
          break;
        }
        case Kind.ViewData:
          break;
      }
      out.fill(0, at + length, at + ((length + 7) & ~7));
    }
  }
}

function writeDenseOffsets(dense: DenseOffsets, count: number, out: Uint8Array, at: number): void {
  const dst = new Int32Array(out.buffer, out.byteOffset + at, count);
  const { typeIds, offsets, start, childOf, bases } = dense;
  for (let j = 0; j < count; j++) {
    const c = childOf[typeIds[start + j]!]!;
    dst[j] = offsets[start + j]! - bases[c]!;
  }
}
