import { Field, Int32, Schema, Utf8 } from "apache-arrow";
import { describe, expect, test } from "vitest";
import { FlightDataEncoder } from "./flight-data-encoder.js";
import { allTypesBatch } from "./flight-data-fixtures.test-kit.js";
import { runPython } from "./flight-data-helpers.test-kit.js";
import { FlightError, StatusCode } from "./flight-error.js";
import { FlatbufferReader } from "./ipc-flatbuffer.js";
import { decodeSchema, encodeSchema } from "./ipc-schema.js";
import { schemasEqual } from "./ipc-schema-equals.js";

const strict = { nullability: true, dictionaryIds: true };

function expectInvalid(fn: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(FlightError);
  expect((thrown as FlightError).code).toBe(StatusCode.INVALID_ARGUMENT);
  expect((thrown as FlightError).message).toMatch(message);
}

/** Position of field `fieldIndex`'s type table and of its member `member` inside encapsulated schema bytes. */
function typeMemberPosition(bytes: Uint8Array, fieldIndex: number, member: number): number {
  const reader = new FlatbufferReader(bytes.subarray(8), "test");
  const schema = reader.table(reader.root(), 2, "schema");
  const fields = reader.vector(schema, 1, 4, "fields");
  const field = reader.tableAt(fields, fieldIndex, "field");
  const type = reader.table(field, 3, "type");
  return 8 + reader.field(type, member, 1);
}

describe("encodeSchema / decodeSchema", () => {
  test("round-trips every type, nullability, dictionary ids and metadata", () => {
    const schema = allTypesBatch(3).schema;
    const withFieldMetadata = new Schema(
      [...schema.fields, new Field("tagged", new Utf8(), false, new Map([["unit", "m/s"]]))],
      schema.metadata,
    );
    const bytes = encodeSchema(withFieldMetadata);
    const decoded = decodeSchema(bytes);
    expect(schemasEqual(decoded, withFieldMetadata, strict)).toBe(true);
    expect(decoded.metadata.get("origin")).toBe("flight-cluster tests");
    expect(decoded.fields.at(-1)!.metadata.get("unit")).toBe("m/s");
    expect(decoded.fields.at(-1)!.nullable).toBe(false);
    expect([...decoded.dictionaries.keys()].sort()).toEqual([100, 101]);
  });

  test("writes the encapsulated format: continuation, length, flatbuffer, padding to 8", () => {
    const bytes = encodeSchema(new Schema([new Field("x", new Int32(), true)]));
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getUint32(0, true)).toBe(0xffffffff);
    expect(view.getInt32(4, true)).toBe(bytes.length - 8);
    expect(bytes.length % 8).toBe(0);
  });

  test("reads the legacy format without continuation marker, and empty bytes as an empty schema", () => {
    const bytes = encodeSchema(new Schema([new Field("x", new Int32(), true)]));
    const legacy = bytes.subarray(4);
    expect(decodeSchema(legacy).fields.map((f) => f.name)).toEqual(["x"]);
    expect(decodeSchema(new Uint8Array(0)).fields).toEqual([]);
  });

  test("the same bytes as FlightDataEncoder's schema message", () => {
    const schema = allTypesBatch(3).schema;
    const header = new FlightDataEncoder(schema).encodeSchema().header;
    expect(Array.from(encodeSchema(schema).subarray(8, 8 + header.length))).toEqual(Array.from(header));
  });

  test("bad bytes are INVALID_ARGUMENT naming the problem", () => {
    const good = encodeSchema(new Schema([new Field("x", new Int32(), true)]));
    expectInvalid(() => decodeSchema(new Uint8Array([1, 2, 3])), /3 bytes is truncated/);
    expectInvalid(() => decodeSchema(good.subarray(0, 6)), /truncated after its continuation marker/);
    const negative = good.slice();
    new DataView(negative.buffer).setInt32(4, -8, true);
    expectInvalid(() => decodeSchema(negative), /declares -8 metadata bytes/);
    expectInvalid(() => decodeSchema(good.subarray(0, good.length - 8)), /declares \d+ metadata bytes but \d+ follow/);
    const garbage = good.slice();
    garbage.fill(0xee, 8);
    expectInvalid(() => decodeSchema(garbage), /invalid IPC message header/);
    const batchMessage = new FlightDataEncoder(new Schema([])).encodeBatch(allTypesBatch(1).selectAt([]))[0]!.header;
    const encapsulated = new Uint8Array(8 + batchMessage.length);
    new DataView(encapsulated.buffer).setUint32(0, 0xffffffff, true);
    new DataView(encapsulated.buffer).setInt32(4, batchMessage.length, true);
    encapsulated.set(batchMessage, 8);
    expectInvalid(() => decodeSchema(encapsulated), /expected a Schema message, got RecordBatch/);
  });

  test("invalid type parameters are INVALID_ARGUMENT", () => {
    const bytes = encodeSchema(new Schema([new Field("x", new Int32(), true)]));
    const badWidth = bytes.slice();
    badWidth[typeMemberPosition(badWidth, 0, 0)] = 7;
    expectInvalid(() => decodeSchema(badWidth), /field "x": integer bit width 7 is invalid/);
  });
});

describe("pyarrow interop", () => {
  test("pyarrow reads our schema bytes, and we read pyarrow's", () => {
    const ours = encodeSchema(allTypesBatch(3).schema);
    const script = `
import sys, json, pyarrow as pa
schema = pa.ipc.read_schema(pa.py_buffer(sys.stdin.buffer.read()))
print(json.dumps({
    "types": {f.name: str(f.type) for f in schema},
    "metadata": {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()},
    "bytes": schema.serialize().to_pybytes().hex(),
}))
`;
    const out = JSON.parse(runPython(script, ours).toString()) as {
      types: Record<string, string>;
      metadata: Record<string, string>;
      bytes: string;
    };
    expect(out.metadata).toEqual({ origin: "flight-cluster tests" });
    expect(out.types).toMatchObject({
      int64: "int64",
      uint64: "uint64",
      float16: "halffloat",
      decimal128: "decimal128(20, 2)",
      large_utf8: "large_string",
      fixed_size_binary: "fixed_size_binary[3]",
      date64: "date64[ms]",
      time64_ns: "time64[ns]",
      ts_us_paris: "timestamp[us, tz=Europe/Paris]",
      duration_ms: "duration[ms]",
      interval_mdn: "month_day_nano_interval",
      large_list: "large_list<item: string>",
      fixed_size_list: "fixed_size_list<item: double>[2]",
      map: "map<string, int32>",
      dense_union: "dense_union<i: int32=5, s: string=7>",
      dictionary: "dictionary<values=string, indices=int32, ordered=0>",
      null: "null",
    });
    const theirs = decodeSchema(Buffer.from(out.bytes, "hex"));
    expect(schemasEqual(theirs, allTypesBatch(3).schema, { nullability: true, dictionaryIds: false })).toBe(true);
  });

  test("types apache-arrow cannot represent are rejected by name", () => {
    const script = `
import sys, pyarrow as pa
sys.stdout.buffer.write(pa.schema([("v", pa.list_view(pa.int32()))]).serialize().to_pybytes())
`;
    expectInvalid(
      () => decodeSchema(new Uint8Array(runPython(script))),
      /field "v" of type ListView: this type is not supported/,
    );
  });
});
