/**
 * Building apache-arrow `Data` from a record batch body, with every field node and buffer
 * validated against the schema before any Data exists: node and buffer counts, buffer
 * bounds, buffer sizes against declared lengths, offsets (non-negative, non-decreasing,
 * within the values), union type ids and offsets, and dictionary indices. Later reads of
 * the resulting vectors therefore stay in range.
 *
 * Buffers are views of the body (zero-copy); a buffer that is not aligned to its element
 * size is copied, since typed arrays need aligned starts.
 */

import { Data, type DataType, type Field, makeData, Type, Vector } from "apache-arrow";
import type { FlatbufferReader } from "./ipc-flatbuffer.js";
import { MAX_ARRAY_LENGTH, MetadataVersionV5, type RecordBatchHeader } from "./ipc-message.js";

/** A typed-array constructor as apache-arrow types report it (`type.ArrayType`). */
interface TypedArrayConstructor {
  readonly BYTES_PER_ELEMENT: number;
  new (length: number): ArrayBufferView;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): ArrayBufferView;
}

type DataBuffers = ConstructorParameters<typeof Data>[4];

const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** Build a Data from buffers already validated by the loader. */
function rawData(
  type: DataType,
  length: number,
  nullCount: number,
  valueOffsets: ArrayBufferView | undefined,
  values: ArrayBufferView | undefined,
  nullBitmap: Uint8Array,
  typeIds?: Int8Array,
  children?: Data[],
  dictionary?: Vector,
  variadicBuffers?: readonly Uint8Array[],
): Data {
  const buffers = [valueOffsets, values, nullBitmap, typeIds] as unknown as DataBuffers;
  return new Data(type, 0, length, nullCount, buffers, children ?? [], dictionary, variadicBuffers);
}

/** Values per element of a fixed-width type, in units of its `ArrayType`. */
export function strideOf(type: DataType): number {
  const t = type as unknown as { readonly bitWidth: number; readonly unit: number; readonly byteWidth: number };
  switch (type.typeId) {
    case Type.Decimal:
      return t.bitWidth / 32;
    case Type.Interval:
      return t.unit === 2 ? 4 : t.unit === 1 ? 2 : 1;
    case Type.FixedSizeBinary:
      return t.byteWidth;
    default:
      return 1;
  }
}

/** Loads one record batch (or dictionary batch) body into Data, consuming nodes and buffers in order. */
export class BodyLoader {
  private nodeIndex = 0;
  private bufferIndex = 0;
  private variadicIndex = 0;
  /** Length and null count of the node read last. */
  private nodeLength = 0;
  private nodeNulls = 0;
  /** The message body that buffer regions point into. */
  private readonly body: Uint8Array;

  /**
   * @param reader - the header's flatbuffer reader.
   * @param header - the validated RecordBatch header.
   * @param body - the message body, already 8-aligned by the caller when possible.
   * @param dictionaries - current dictionaries by id.
   * @param version - metadata version (V4 unions carry a validity buffer).
   * @param decompressed - per-buffer decompressed bytes when the body is compressed.
   */
  constructor(
    private readonly reader: FlatbufferReader,
    private readonly header: RecordBatchHeader,
    body: Uint8Array,
    private readonly dictionaries: ReadonlyMap<number, Vector>,
    private readonly version: number,
    private readonly decompressed?: readonly Uint8Array[],
  ) {
    this.body = body;
  }

  /**
   * Load one column per field, each of the batch's row count, and check that the nodes and
   * buffers are used up exactly.
   * @throws FlightError INVALID_ARGUMENT naming the column and the problem.
   */
  loadColumns(fields: ReadonlyArray<Pick<Field, "name" | "type">>): Data[] {
    const columns: Data[] = [];
    for (const field of fields) {
      const data = this.visit(field.type, field.name);
      if (data.length !== this.header.length) {
        throw this.fail(field.name, `has ${data.length} rows but the batch has ${this.header.length}`);
      }
      columns.push(data);
    }
    if (this.nodeIndex !== this.header.nodeCount) {
      throw this.reader.error(
        `record batch has ${this.header.nodeCount} field nodes but the schema uses ${this.nodeIndex}`,
      );
    }
    if (this.variadicIndex !== this.header.variadicBufferCounts.length) {
      throw this.reader.error(
        `record batch has ${this.header.variadicBufferCounts.length} variadic buffer counts but the schema uses ${this.variadicIndex}`,
      );
    }
    if (this.bufferIndex !== this.header.bufferCount) {
      throw this.reader.error(
        `record batch has ${this.header.bufferCount} buffers but the schema uses ${this.bufferIndex}`,
      );
    }
    return columns;
  }

  private fail(column: string, problem: string) {
    return this.reader.error(`column "${column}" ${problem}`);
  }

  private nextNode(column: string): void {
    const { header, reader } = this;
    if (this.nodeIndex >= header.nodeCount) {
      throw reader.error(`record batch has ${header.nodeCount} field nodes, fewer than the schema needs`);
    }
    const pos = header.nodes + 16 * this.nodeIndex++;
    const length = reader.int64At(pos, "field node length");
    const nulls = reader.int64At(pos + 8, "field node null count");
    if (length < 0 || length > MAX_ARRAY_LENGTH) throw this.fail(column, `has invalid length ${length}`);
    if (nulls < 0 || nulls > length) throw this.fail(column, `has invalid null count ${nulls} for length ${length}`);
    this.nodeLength = length;
    this.nodeNulls = nulls;
  }

  /** The bytes of the next buffer (a view of the body, or its decompressed form), at least `minBytes` long. */
  private nextBuffer(column: string, what: string, minBytes: number): Uint8Array {
    const { header, reader } = this;
    if (this.bufferIndex >= header.bufferCount) {
      throw reader.error(`record batch has ${header.bufferCount} buffers, fewer than the schema needs`);
    }
    const index = this.bufferIndex++;
    let bytes: Uint8Array;
    if (this.decompressed !== undefined) {
      bytes = this.decompressed[index] ?? EMPTY_BYTES;
    } else {
      const pos = header.buffers + 16 * index;
      const offset = reader.int64At(pos, "buffer offset");
      const length = reader.int64At(pos + 8, "buffer length");
      if (offset < 0 || length < 0 || offset + length > this.body.length) {
        throw this.fail(
          column,
          `${what} buffer [${offset}, +${length}) lies outside the ${this.body.length}-byte body`,
        );
      }
      bytes = this.body.subarray(offset, offset + length);
    }
    if (bytes.length < minBytes) {
      throw this.fail(column, `${what} buffer has ${bytes.length} bytes, needs ${minBytes}`);
    }
    return bytes;
  }

  /** A typed array of `count` elements over the next buffer (copied only if misaligned). */
  private nextTyped(column: string, what: string, Ctor: TypedArrayConstructor, count: number): ArrayBufferView {
    const size = Ctor.BYTES_PER_ELEMENT;
    const bytes = this.nextBuffer(column, what, count * size);
    if (count === 0) return new Ctor(0);
    if (bytes.byteOffset % size === 0) return new Ctor(bytes.buffer, bytes.byteOffset, count);
    const copy = new Ctor(count);
    new Uint8Array(copy.buffer, copy.byteOffset, count * size).set(bytes.subarray(0, count * size));
    return copy;
  }

  private validity(column: string, length: number, nulls: number): Uint8Array {
    const bytes = this.nextBuffer(column, "validity", nulls > 0 ? Math.ceil(length / 8) : 0);
    return nulls > 0 ? bytes.subarray(0, Math.ceil(length / 8)) : EMPTY_BYTES;
  }

  private visit(type: DataType, column: string): Data {
    this.nextNode(column);
    const length = this.nodeLength;
    const nulls = this.nodeNulls;
    switch (type.typeId) {
      case Type.Null:
        return rawData(type, length, length, undefined, undefined, EMPTY_BYTES);
      case Type.Bool: {
        const bitmap = this.validity(column, length, nulls);
        const values = this.nextBuffer(column, "values", Math.ceil(length / 8)).subarray(0, Math.ceil(length / 8));
        return rawData(type, length, nulls, undefined, values, bitmap);
      }
      case Type.Int:
      case Type.Float:
      case Type.Decimal:
      case Type.Date:
      case Type.Time:
      case Type.Timestamp:
      case Type.Interval:
      case Type.Duration:
      case Type.FixedSizeBinary: {
        const bitmap = this.validity(column, length, nulls);
        const Ctor = type.ArrayType as TypedArrayConstructor;
        const values = this.nextTyped(column, "values", Ctor, length * strideOf(type));
        return rawData(type, length, nulls, undefined, values, bitmap);
      }
      case Type.Utf8:
      case Type.Binary:
      case Type.LargeUtf8:
      case Type.LargeBinary: {
        const bitmap = this.validity(column, length, nulls);
        const large = type.typeId === Type.LargeUtf8 || type.typeId === Type.LargeBinary;
        const offsets = this.offsets(column, length, large);
        const values = this.nextBuffer(column, "values", 0);
        this.checkOffsets(column, offsets, length, values.length, "values buffer");
        return rawData(type, length, nulls, offsets, values, bitmap);
      }
      case Type.List:
      case Type.LargeList:
      case Type.Map: {
        const bitmap = this.validity(column, length, nulls);
        const offsets = this.offsets(column, length, type.typeId === Type.LargeList);
        const child = this.visit(type.children[0]!.type, column);
        this.checkOffsets(column, offsets, length, child.length, "child array");
        return rawData(type, length, nulls, offsets, undefined, bitmap, undefined, [child]);
      }
      case Type.FixedSizeList: {
        const bitmap = this.validity(column, length, nulls);
        const child = this.visit(type.children[0]!.type, column);
        const listSize = (type as unknown as { readonly listSize: number }).listSize;
        if (child.length < length * listSize) {
          throw this.fail(column, `child has ${child.length} values, needs ${length * listSize}`);
        }
        return rawData(type, length, nulls, undefined, undefined, bitmap, undefined, [child]);
      }
      case Type.Struct: {
        const bitmap = this.validity(column, length, nulls);
        const children = type.children.map((f) => this.visit(f.type, column));
        for (const child of children) {
          if (child.length < length) throw this.fail(column, `struct child has ${child.length} rows, needs ${length}`);
        }
        return rawData(type, length, nulls, undefined, undefined, bitmap, undefined, children);
      }
      case Type.Utf8View:
      case Type.BinaryView:
        return this.views(type, column, length, nulls);
      case Type.Union:
        return this.union(type, column, length);
      case Type.Dictionary:
        return this.dictionary(type, column, length, nulls);
    }
    throw this.fail(column, `has unsupported type ${type}`);
  }

  /** Offsets buffer of `length + 1` entries (32- or 64-bit); an empty buffer is accepted for zero rows. */
  private offsets(column: string, length: number, large: boolean): Int32Array | BigInt64Array {
    if (length === 0) {
      this.nextBuffer(column, "offsets", 0);
      return large ? new BigInt64Array(1) : new Int32Array(1);
    }
    return this.nextTyped(column, "offsets", large ? BigInt64Array : Int32Array, length + 1) as
      | Int32Array
      | BigInt64Array;
  }

  /** Offsets must start at >= 0, never decrease, and end within `limit`. */
  private checkOffsets(
    column: string,
    offsets: Int32Array | BigInt64Array,
    length: number,
    limit: number,
    what: string,
  ): void {
    if (offsets instanceof Int32Array) {
      let previous = offsets[0]!;
      if (previous < 0) throw this.fail(column, `has negative offset ${previous}`);
      for (let i = 1; i <= length; i++) {
        const value = offsets[i]!;
        if (value < previous) throw this.fail(column, `has decreasing offsets at row ${i - 1}`);
        previous = value;
      }
      if (previous > limit) throw this.fail(column, `offsets end at ${previous}, past the ${limit}-element ${what}`);
      return;
    }
    // 64-bit offsets: read as (low, high) 32-bit pairs; valid ones are below 2^31.
    const words = new Uint32Array(offsets.buffer, offsets.byteOffset, 2 * (length + 1));
    let previous = 0;
    for (let i = 0; i <= length; i++) {
      const low = words[2 * i]!;
      if (words[2 * i + 1] !== 0 || low < previous) throw this.fail(column, `has invalid 64-bit offset at row ${i}`);
      previous = low;
    }
    if (previous > limit) throw this.fail(column, `offsets end at ${previous}, past the ${limit}-element ${what}`);
  }

  /**
   * Binary/Utf8 views: 16 bytes per value (int32 length, then 12 inline bytes, or a 4-byte
   * prefix, int32 variadic buffer index and int32 offset). Every out-of-line view must lie
   * inside its variadic buffer.
   */
  private views(type: DataType, column: string, length: number, nulls: number): Data {
    const bitmap = this.validity(column, length, nulls);
    const views = this.nextBuffer(column, "views", 16 * length).subarray(0, 16 * length);
    const count = this.header.variadicBufferCounts[this.variadicIndex++];
    if (count === undefined) throw this.fail(column, "has no variadic buffer count");
    const buffers: Uint8Array[] = [];
    for (let i = 0; i < count; i++) buffers.push(this.nextBuffer(column, "variadic", 0));
    const view = new DataView(views.buffer, views.byteOffset, views.byteLength);
    for (let i = 0; i < length; i++) {
      if (nulls > 0 && (bitmap[i >> 3]! & (1 << (i & 7))) === 0) continue;
      const size = view.getInt32(16 * i, true);
      if (size < 0) throw this.fail(column, `has negative view length ${size} at row ${i}`);
      if (size <= 12) continue;
      const index = view.getInt32(16 * i + 8, true);
      const offset = view.getInt32(16 * i + 12, true);
      const target = buffers[index];
      if (target === undefined || offset < 0 || offset + size > target.length) {
        throw this.fail(column, `has a view at row ${i} outside its variadic buffers`);
      }
    }
    return rawData(type, length, nulls, undefined, views, bitmap, undefined, [], undefined, buffers);
  }

  private union(type: DataType, column: string, length: number): Data {
    if (this.version < MetadataVersionV5) this.nextBuffer(column, "union validity", 0);
    const union = type as unknown as { readonly mode: number; readonly typeIds: Int32Array };
    const typeIds = this.nextTyped(column, "type ids", Int8Array, length) as Int8Array;
    const dense = union.mode === 1;
    const offsets = dense ? (this.nextTyped(column, "union offsets", Int32Array, length) as Int32Array) : undefined;
    const children = type.children.map((f) => this.visit(f.type, column));
    const childOf = new Int16Array(128).fill(-1);
    union.typeIds.forEach((id, index) => {
      childOf[id] = index;
    });
    for (let i = 0; i < length; i++) {
      const id = typeIds[i]!;
      const child = id >= 0 ? childOf[id]! : -1;
      if (child < 0) throw this.fail(column, `has unknown union type id ${id} at row ${i}`);
      const limit = children[child]!.length;
      if (offsets === undefined) {
        if (limit < length) throw this.fail(column, `union child ${child} has ${limit} rows, needs ${length}`);
      } else {
        const offset = offsets[i]!;
        if (offset < 0 || offset >= limit)
          throw this.fail(column, `has union offset ${offset} out of range at row ${i}`);
      }
    }
    return rawData(type, length, -1, offsets, undefined, EMPTY_BYTES, typeIds, children);
  }

  private dictionary(type: DataType, column: string, length: number, nulls: number): Data {
    const dict = type as unknown as { readonly id: number; readonly indices: DataType; readonly dictionary: DataType };
    const bitmap = this.validity(column, length, nulls);
    const indices = this.nextTyped(column, "indices", dict.indices.ArrayType as TypedArrayConstructor, length) as
      | Int8Array
      | Int16Array
      | Int32Array
      | Uint8Array
      | Uint16Array
      | Uint32Array;
    let dictionary = this.dictionaries.get(dict.id);
    if (dictionary === undefined) {
      if (length > nulls) throw this.fail(column, `uses dictionary id ${dict.id} before any dictionary batch for it`);
      dictionary = new Vector([
        makeData({ type: dict.dictionary, length: 0, nullCount: 0 } as Parameters<typeof makeData>[0]),
      ]);
    }
    const size = dictionary.length;
    for (let i = 0; i < length; i++) {
      const index = indices[i]!;
      if ((index < 0 || index >= size) && (nulls === 0 || (bitmap[i >> 3]! & (1 << (i & 7))) !== 0)) {
        throw this.fail(column, `has dictionary index ${index} at row ${i}, outside the ${size}-entry dictionary`);
      }
    }
    return rawData(type, length, nulls, undefined, indices, bitmap, undefined, [], dictionary);
  }
}
