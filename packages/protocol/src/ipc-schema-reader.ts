/**
 * Decoding the Arrow `Schema` flatbuffer (Schema.fbs) into apache-arrow types, with every
 * table, vector, enum value and child count checked, and bounded work on hostile input
 * (depth and total field count are limited, so shared sub-tables cannot blow up).
 */

import {
  Binary,
  BinaryView,
  Bool,
  type DataType,
  DateDay,
  DateMillisecond,
  Decimal,
  DenseUnion,
  Dictionary,
  DurationMicrosecond,
  DurationMillisecond,
  DurationNanosecond,
  DurationSecond,
  Field,
  FixedSizeBinary,
  FixedSizeList,
  Float16,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  IntervalDayTime,
  IntervalMonthDayNano,
  IntervalYearMonth,
  LargeBinary,
  LargeList,
  LargeUtf8,
  List,
  Map_,
  Null,
  Schema,
  SparseUnion,
  Struct,
  TimeMicrosecond,
  TimeMillisecond,
  TimeNanosecond,
  TimeSecond,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  TimestampSecond,
  Type,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
  Utf8View,
} from "apache-arrow";
import type { FlatbufferReader } from "./ipc-flatbuffer.js";

/** Deepest nesting of fields accepted. */
const MAX_DEPTH = 64;
/** Most fields (counting nested ones, and shared tables once per use) accepted in one schema. */
const MAX_FIELDS = 100_000;

/** Flatbuffer `Type` union tags (Schema.fbs). */
const FbType = {
  NONE: 0,
  Null: 1,
  Int: 2,
  FloatingPoint: 3,
  Binary: 4,
  Utf8: 5,
  Bool: 6,
  Decimal: 7,
  Date: 8,
  Time: 9,
  Timestamp: 10,
  Interval: 11,
  List: 12,
  Struct: 13,
  Union: 14,
  FixedSizeBinary: 15,
  FixedSizeList: 16,
  Map: 17,
  Duration: 18,
  LargeBinary: 19,
  LargeUtf8: 20,
  LargeList: 21,
  RunEndEncoded: 22,
  BinaryView: 23,
  Utf8View: 24,
  ListView: 25,
  LargeListView: 26,
} as const;

const fbTypeNames = Object.fromEntries(Object.entries(FbType).map(([name, tag]) => [tag, name])) as Record<
  number,
  string
>;

type IntType = Int8 | Int16 | Int32 | Int64 | Uint8 | Uint16 | Uint32 | Uint64;

class SchemaReader {
  private fieldCount = 0;
  /** Dictionary id to value type, as apache-arrow's Schema keeps it. */
  readonly dictionaries = new Map<number, DataType>();

  constructor(private readonly r: FlatbufferReader) {}

  schema(table: number): Schema {
    const r = this.r;
    const endianness = r.int16(table, 0, 0);
    if (endianness !== 0) throw r.error("big-endian data is not supported");
    const fields = this.fields(table, 1, 0, "schema");
    return new Schema(fields, this.metadata(table, 2), this.dictionaries);
  }

  private fields(table: number, id: number, depth: number, parent: string): Field[] {
    const r = this.r;
    const vector = r.vector(table, id, 4, `${parent} fields`);
    const count = r.vectorLength(vector);
    const fields: Field[] = [];
    for (let i = 0; i < count; i++) fields.push(this.field(r.tableAt(vector, i, `${parent} field ${i}`), depth));
    return fields;
  }

  private metadata(table: number, id: number): Map<string, string> {
    const r = this.r;
    const map = new Map<string, string>();
    const vector = r.vector(table, id, 4, "custom metadata");
    for (let i = 0, n = r.vectorLength(vector); i < n; i++) {
      const entry = r.tableAt(vector, i, "custom metadata entry");
      const key = r.string(entry, 0, "metadata key");
      if (key !== null) map.set(key, r.string(entry, 1, "metadata value") ?? "");
    }
    return map;
  }

  private field(table: number, depth: number): Field {
    const r = this.r;
    if (depth >= MAX_DEPTH) throw r.error(`fields are nested deeper than ${MAX_DEPTH} levels`);
    if (++this.fieldCount > MAX_FIELDS) throw r.error(`schema has more than ${MAX_FIELDS} fields`);
    const name = r.string(table, 0, "field name") ?? "";
    const nullable = r.bool(table, 1, false);
    const children = this.fields(table, 5, depth + 1, `field "${name}"`);
    let type = this.type(table, name, children);
    const encoding = r.table(table, 4, "dictionary encoding");
    if (encoding !== 0) type = this.dictionary(encoding, name, type);
    return new Field(name, type, nullable, this.metadata(table, 6));
  }

  private dictionary(encoding: number, name: string, valueType: DataType): Dictionary {
    const r = this.r;
    const id = r.int64(encoding, 0, 0, "dictionary id");
    const indexTable = r.table(encoding, 1, "dictionary index type");
    const indices = indexTable === 0 ? new Int32() : this.intType(indexTable, `dictionary index of field "${name}"`);
    if (indices.bitWidth === 64) throw r.error(`field "${name}": 64-bit dictionary indices are not supported`);
    const kind = r.int16(encoding, 3, 0);
    if (kind !== 0) throw r.error(`field "${name}": dictionary kind ${kind} is not supported`);
    const known = this.dictionaries.get(id);
    if (known === undefined) this.dictionaries.set(id, valueType);
    else if (known.typeId !== valueType.typeId) {
      throw r.error(`dictionary id ${id} is used with two different value types`);
    }
    return new Dictionary(
      valueType,
      indices as Int8 | Int16 | Int32 | Uint8 | Uint16 | Uint32,
      id,
      r.bool(encoding, 2, false),
    );
  }

  private intType(table: number, what: string): IntType {
    const r = this.r;
    const bitWidth = r.int32(table, 0, 0);
    const signed = r.bool(table, 1, false);
    switch (bitWidth) {
      case 8:
        return signed ? new Int8() : new Uint8();
      case 16:
        return signed ? new Int16() : new Uint16();
      case 32:
        return signed ? new Int32() : new Uint32();
      case 64:
        return signed ? new Int64() : new Uint64();
    }
    throw r.error(`${what}: integer bit width ${bitWidth} is invalid`);
  }

  private expectChildren(name: string, typeName: string, children: Field[], count: number): void {
    if (children.length !== count) {
      throw this.r.error(`field "${name}" of type ${typeName} has ${children.length} children, expected ${count}`);
    }
  }

  private type(field: number, name: string, children: Field[]): DataType {
    const r = this.r;
    const tag = r.uint8(field, 2, 0);
    const typeName = fbTypeNames[tag] ?? `unknown type ${tag}`;
    // The type table may be absent for parameterless types; parameterized types fall back to defaults.
    const t = r.table(field, 3, `type of field "${name}"`);
    const int32 = (id: number, fallback: number) => (t === 0 ? fallback : r.int32(t, id, fallback));
    const int16 = (id: number, fallback: number) => (t === 0 ? fallback : r.int16(t, id, fallback));
    const leaf = (type: DataType): DataType => {
      this.expectChildren(name, typeName, children, 0);
      return type;
    };
    const bad = (what: string): never => {
      throw r.error(`field "${name}" of type ${typeName}: ${what}`);
    };
    switch (tag) {
      case FbType.NONE:
        return bad("the type is missing");
      case FbType.Null:
        return leaf(new Null());
      case FbType.Int:
        return leaf(t === 0 ? bad("the Int table is missing") : this.intType(t, `field "${name}"`));
      case FbType.FloatingPoint: {
        const precision = int16(0, 0);
        if (precision === 0) return leaf(new Float16());
        if (precision === 1) return leaf(new Float32());
        if (precision === 2) return leaf(new Float64());
        return bad(`precision ${precision} is invalid`);
      }
      case FbType.Binary:
        return leaf(new Binary());
      case FbType.Utf8:
        return leaf(new Utf8());
      case FbType.LargeBinary:
        return leaf(new LargeBinary());
      case FbType.LargeUtf8:
        return leaf(new LargeUtf8());
      case FbType.BinaryView:
        return leaf(new BinaryView());
      case FbType.Utf8View:
        return leaf(new Utf8View());
      case FbType.Bool:
        return leaf(new Bool());
      case FbType.Decimal: {
        const precision = int32(0, 0);
        const scale = int32(1, 0);
        const bitWidth = int32(2, 128);
        if (bitWidth !== 32 && bitWidth !== 64 && bitWidth !== 128 && bitWidth !== 256) {
          return bad(`bit width ${bitWidth} is invalid`);
        }
        if (precision < 1 || precision > 76) return bad(`precision ${precision} is invalid`);
        return leaf(new Decimal(scale, precision, bitWidth));
      }
      case FbType.Date: {
        const unit = int16(0, 1);
        if (unit === 0) return leaf(new DateDay());
        if (unit === 1) return leaf(new DateMillisecond());
        return bad(`unit ${unit} is invalid`);
      }
      case FbType.Time: {
        const unit = int16(0, 1);
        const bitWidth = int32(1, 32);
        if (unit === 0 && bitWidth === 32) return leaf(new TimeSecond());
        if (unit === 1 && bitWidth === 32) return leaf(new TimeMillisecond());
        if (unit === 2 && bitWidth === 64) return leaf(new TimeMicrosecond());
        if (unit === 3 && bitWidth === 64) return leaf(new TimeNanosecond());
        return bad(`unit ${unit} with bit width ${bitWidth} is invalid`);
      }
      case FbType.Timestamp: {
        const unit = int16(0, 0);
        const timezone = t === 0 ? null : r.string(t, 1, "timezone");
        if (unit === 0) return leaf(new TimestampSecond(timezone));
        if (unit === 1) return leaf(new TimestampMillisecond(timezone));
        if (unit === 2) return leaf(new TimestampMicrosecond(timezone));
        if (unit === 3) return leaf(new TimestampNanosecond(timezone));
        return bad(`unit ${unit} is invalid`);
      }
      case FbType.Interval: {
        const unit = int16(0, 0);
        if (unit === 0) return leaf(new IntervalYearMonth());
        if (unit === 1) return leaf(new IntervalDayTime());
        if (unit === 2) return leaf(new IntervalMonthDayNano());
        return bad(`unit ${unit} is invalid`);
      }
      case FbType.Duration: {
        const unit = int16(0, 1);
        if (unit === 0) return leaf(new DurationSecond());
        if (unit === 1) return leaf(new DurationMillisecond());
        if (unit === 2) return leaf(new DurationMicrosecond());
        if (unit === 3) return leaf(new DurationNanosecond());
        return bad(`unit ${unit} is invalid`);
      }
      case FbType.FixedSizeBinary: {
        const byteWidth = int32(0, -1);
        if (byteWidth < 1) return bad(`byte width ${byteWidth} is invalid`);
        return leaf(new FixedSizeBinary(byteWidth));
      }
      case FbType.List:
        this.expectChildren(name, typeName, children, 1);
        return new List(children[0]!);
      case FbType.LargeList:
        this.expectChildren(name, typeName, children, 1);
        return new LargeList(children[0]!);
      case FbType.FixedSizeList: {
        this.expectChildren(name, typeName, children, 1);
        const listSize = int32(0, -1);
        if (listSize < 0) return bad(`list size ${listSize} is invalid`);
        return new FixedSizeList(listSize, children[0]!);
      }
      case FbType.Map: {
        this.expectChildren(name, typeName, children, 1);
        const entries = children[0]!;
        if (entries.type.typeId !== Type.Struct || entries.type.children.length !== 2) {
          return bad("the entries child must be a struct of key and value");
        }
        return new Map_(entries as Field<Struct>, t === 0 ? false : r.bool(t, 0, false));
      }
      case FbType.Struct:
        return new Struct(children);
      case FbType.Union: {
        const mode = int16(0, 0);
        if (mode !== 0 && mode !== 1) return bad(`mode ${mode} is invalid`);
        const vector = t === 0 ? -1 : r.vector(t, 1, 4, "union type ids");
        const typeIds: number[] = [];
        if (vector < 0) for (let i = 0; i < children.length; i++) typeIds.push(i);
        else for (let i = 0, n = r.vectorLength(vector); i < n; i++) typeIds.push(r.int32At(vector, i));
        if (typeIds.length !== children.length) {
          return bad(`${typeIds.length} type ids for ${children.length} children`);
        }
        if (typeIds.some((id) => id < 0 || id > 127) || new Set(typeIds).size !== typeIds.length) {
          return bad("type ids must be distinct values in 0..127");
        }
        return mode === 0 ? new SparseUnion(typeIds, children) : new DenseUnion(typeIds, children);
      }
    }
    return bad("this type is not supported");
  }
}

/**
 * Decode the Schema table at `table` into an apache-arrow Schema (with its dictionary map).
 * @throws FlightError INVALID_ARGUMENT naming the problem (malformed flatbuffer, invalid
 *   type parameters, wrong child counts, unsupported types or big-endian data).
 */
export function readSchema(reader: FlatbufferReader, table: number): Schema {
  return new SchemaReader(reader).schema(table);
}
