/**
 * Value-by-value comparison of two apache-arrow Tables, for the interop tests.
 *
 * The expected table is decoded by apache-arrow's own IPC file reader from a
 * file pyarrow wrote; the actual table is what our Flight client decoded from
 * the wire. Comparing them cell by cell (validity, value, and for fixed-width
 * types the raw stored words) pins every type without trusting either decoder
 * to be the reference for the other.
 */
import { readFile } from "node:fs/promises";
import {
  type DataType,
  type Field,
  MapRow,
  type RecordBatch,
  RecordBatchFileReader,
  type Schema,
  StructRow,
  Table,
  Type,
  Vector,
} from "apache-arrow";
import { _InternalEmptyPlaceholderRecordBatch as EmptyPlaceholder } from "apache-arrow/recordbatch";

/** A table read from an Arrow IPC file with apache-arrow, with its batches as stored. */
export interface IpcFileContents {
  readonly table: Table;
  readonly batches: readonly RecordBatch[];
}

/**
 * Read an Arrow IPC *file* with apache-arrow's RecordBatchFileReader.
 *
 * apache-arrow's readers yield a placeholder 0-row batch for a file without
 * batches; it is dropped here, so `batches` are the batches the file holds.
 *
 * @throws Error if the file cannot be read or is not an Arrow IPC file.
 */
export async function readIpcFile(path: string): Promise<IpcFileContents> {
  const bytes = await readFile(path);
  const reader = RecordBatchFileReader.from(bytes).open();
  const schema = reader.schema; // read it before iterating: the reader forgets it at the end
  const batches = [...reader].filter((batch) => !(batch instanceof EmptyPlaceholder));
  return { table: new Table(schema, batches), batches };
}

const TYPE_PARAMS = [
  "bitWidth",
  "isSigned",
  "precision",
  "scale",
  "unit",
  "timezone",
  "byteWidth",
  "listSize",
  "mode",
  "typeIds",
  "keysSorted",
  "isOrdered",
] as const;

/** A JSON-comparable description of a type: id, parameters and children, recursively (dictionary ids excluded). */
export function describeType(type: DataType): unknown {
  const params = type as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { typeId: Type[type.typeId], text: String(type) };
  for (const key of TYPE_PARAMS) {
    const value = params[key];
    if (value === undefined || value === null) continue;
    out[key] = ArrayBuffer.isView(value) ? Array.from(value as Int32Array) : value;
  }
  if (type.typeId === Type.Dictionary) {
    out["indices"] = describeType(params["indices"] as DataType);
    out["dictionary"] = describeType(params["dictionary"] as DataType);
  }
  const children = (type.children ?? []) as Field[];
  if (children.length > 0) out["children"] = children.map(describeField);
  return out;
}

/** A JSON-comparable description of a field: name, nullability, metadata and type. */
export function describeField(field: Field): unknown {
  return {
    name: field.name,
    nullable: field.nullable,
    metadata: Object.fromEntries(field.metadata),
    type: describeType(field.type),
  };
}

/** A JSON-comparable description of a schema. */
export function describeSchema(schema: Schema): unknown {
  return { metadata: Object.fromEntries(schema.metadata), fields: schema.fields.map(describeField) };
}

/** A value as apache-arrow returns it, turned into plain JSON-comparable data. */
export function plainValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : Number.isNaN(value) ? "NaN" : value;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (value instanceof Date) return { date: value.getTime() };
  if (value instanceof Vector) return Array.from(value as Vector, plainValue);
  if (value instanceof MapRow)
    return Array.from(value as Iterable<[unknown, unknown]>, ([k, v]) => [plainValue(k), plainValue(v)]);
  if (value instanceof StructRow) {
    return Object.fromEntries(Array.from(value as Iterable<[string, unknown]>, ([k, v]) => [k, plainValue(v)]));
  }
  if (ArrayBuffer.isView(value)) {
    const items = Array.from(value as unknown as ArrayLike<number | bigint>, (x) => plainValue(x));
    return { [value.constructor.name]: items };
  }
  if (Array.isArray(value)) return value.map(plainValue);
  return { unexpected: String(value) };
}

/** Types whose cells are fixed-width words in `data.values`; for them the raw words are compared too. */
const FIXED_WIDTH = new Set<Type>([
  Type.Int,
  Type.Float,
  Type.Decimal,
  Type.Date,
  Type.Time,
  Type.Timestamp,
  Type.Duration,
  Type.Interval,
  Type.FixedSizeBinary,
]);

/** One cell located in its chunk: the chunk as a one-chunk Vector and the index inside it. */
interface CellRef {
  readonly chunk: Vector;
  readonly index: number;
}

/** Walks a vector's cells in row order without searching the chunks for each row. */
function* cellRefs(vector: Vector): Generator<CellRef> {
  for (const data of vector.data) {
    const chunk = new Vector([data]);
    for (let index = 0; index < data.length; index++) yield { chunk, index };
  }
}

type Words = ArrayLike<number | bigint> & { subarray(begin: number, end: number): ArrayLike<number | bigint> };

function rawWords(ref: CellRef): ArrayLike<number | bigint> | undefined {
  const data = ref.chunk.data[0];
  if (data === undefined || !data.getValid(ref.index) || !FIXED_WIDTH.has(data.type.typeId)) return undefined;
  return (data.values as Words).subarray(ref.index * data.stride, (ref.index + 1) * data.stride);
}

function isPrimitive(value: unknown): boolean {
  return value === null || value === undefined || (typeof value !== "object" && typeof value !== "function");
}

function sameCell(a: CellRef, b: CellRef): boolean {
  if (a.chunk.isValid(a.index) !== b.chunk.isValid(b.index)) return false;
  const wa = rawWords(a);
  const wb = rawWords(b);
  if ((wa === undefined) !== (wb === undefined)) return false;
  if (wa !== undefined && wb !== undefined) {
    if (wa.length !== wb.length) return false;
    for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return false;
  }
  const va: unknown = a.chunk.get(a.index);
  const vb: unknown = b.chunk.get(b.index);
  if (isPrimitive(va) && isPrimitive(vb)) return Object.is(va ?? null, vb ?? null);
  return stable(plainValue(va)) === stable(plainValue(vb));
}

/** A cell for error messages: validity, plain value, and raw stored words for fixed-width types. */
function describeCell(ref: CellRef): unknown {
  const out: Record<string, unknown> = {
    valid: ref.chunk.isValid(ref.index),
    value: plainValue(ref.chunk.get(ref.index)),
  };
  const words = rawWords(ref);
  if (words !== undefined) out["raw"] = Array.from(words, (w) => String(w));
  return out;
}

function stable(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
}

/**
 * Every difference between `actual` and `expected`: shape, schema (types,
 * nullability, metadata) and each cell (validity, value as apache-arrow returns
 * it, and for fixed-width types the raw stored words, which catch what `get()`
 * rounds away, such as nanoseconds). Empty means equal. At most `limit`
 * differences are listed.
 */
export function tableDifferences(actual: Table, expected: Table, limit = 40): string[] {
  const out: string[] = [];
  const push = (message: string): boolean => {
    out.push(message);
    return out.length >= limit;
  };
  if (actual.numRows !== expected.numRows) push(`numRows: got ${actual.numRows}, expected ${expected.numRows}`);
  const gotSchema = stable(Object.fromEntries(actual.schema.metadata));
  const wantSchema = stable(Object.fromEntries(expected.schema.metadata));
  if (gotSchema !== wantSchema) push(`schema metadata: got ${gotSchema}, expected ${wantSchema}`);
  const names = expected.schema.fields.map((f) => f.name);
  const gotNames = actual.schema.fields.map((f) => f.name);
  if (stable(names) !== stable(gotNames)) push(`columns: got ${stable(gotNames)}, expected ${stable(names)}`);
  for (const [index, field] of expected.schema.fields.entries()) {
    const gotField = actual.schema.fields[index];
    if (!gotField) continue;
    const got = stable(describeField(gotField));
    const want = stable(describeField(field));
    if (got !== want && push(`field ${field.name}: got ${got}, expected ${want}`)) return out;
    const gotColumn = actual.getChildAt(index);
    const wantColumn = expected.getChildAt(index);
    if (!gotColumn || !wantColumn) continue;
    if (gotColumn.nullCount !== wantColumn.nullCount) {
      if (push(`column ${field.name} nullCount: got ${gotColumn.nullCount}, expected ${wantColumn.nullCount}`)) {
        return out;
      }
    }
    const gotCells = cellRefs(gotColumn);
    const wantCells = cellRefs(wantColumn);
    for (let row = 0; ; row++) {
      const a = gotCells.next();
      const b = wantCells.next();
      if (a.done || b.done) break;
      if (sameCell(a.value, b.value)) continue;
      const message = `column ${field.name} row ${row}: got ${stable(describeCell(a.value))}, expected ${stable(describeCell(b.value))}`;
      if (push(message)) return out;
    }
  }
  return out;
}

/**
 * Facts proving a reference table is not vacuous: each column's null count and
 * whether it holds at least one non-null value. Used to assert the fixture
 * exercises what it claims (nulls sprinkled, values present).
 */
export function columnProfile(table: Table): Record<string, { nulls: number; hasValues: boolean }> {
  const out: Record<string, { nulls: number; hasValues: boolean }> = {};
  for (const [index, field] of table.schema.fields.entries()) {
    const column = table.getChildAt(index);
    const nulls = column?.nullCount ?? 0;
    out[field.name] = { nulls, hasValues: (column?.length ?? 0) > nulls };
  }
  return out;
}
