import { createRequire } from "node:module";
import {
  Field,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableFromArrays,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { describe, expect, test } from "vitest";
import { decodeFlightData, encodeFlightData, type FlightDataFrame } from "./flight-data.js";
import { type DecodedFlightData, FlightDataDecoder } from "./flight-data-decoder.js";
import { FlightDataEncoder } from "./flight-data-encoder.js";
import { allTypesBatch } from "./flight-data-fixtures.test-kit.js";
import { batchValues, bitmap, normalize, prng } from "./flight-data-helpers.test-kit.js";
import { FlightError, StatusCode } from "./flight-error.js";
import { schemasEqual } from "./ipc-schema-equals.js";

/** Send frames through encodeFlightData/decodeFlightData as grpc-js would deliver them (payload at offset 5). */
function overTheWire(frame: FlightDataFrame): FlightDataFrame {
  const bytes = encodeFlightData(frame);
  const framed = Buffer.allocUnsafeSlow(bytes.length + 5);
  bytes.copy(framed, 5);
  return decodeFlightData(framed.subarray(5));
}

function decodeAll(frames: readonly FlightDataFrame[], decoder = new FlightDataDecoder()): DecodedFlightData[] {
  return frames.map((f) => decoder.decode(overTheWire(f)));
}

function batchesOf(decoded: readonly DecodedFlightData[]): RecordBatch[] {
  return decoded.flatMap((d) => (d.kind === "batch" ? [d.batch] : []));
}

function expectFlightError(fn: () => unknown, code: StatusCode, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(FlightError);
  expect((thrown as FlightError).code).toBe(code);
  expect((thrown as FlightError).message).toMatch(message);
}

describe("FlightDataEncoder round trip", () => {
  test("every type apache-arrow supports survives encode -> wire -> decode, value for value", () => {
    const batch = allTypesBatch(23);
    const encoder = new FlightDataEncoder(batch.schema);
    const decoder = new FlightDataDecoder();
    const decoded = decodeAll([encoder.encodeSchema(), ...encoder.encodeBatch(batch)], decoder);
    expect(decoded[0]!.kind).toBe("schema");
    const schema = decoder.schema!;
    expect(schemasEqual(schema, batch.schema, { nullability: true, dictionaryIds: true })).toBe(true);
    expect(schema.metadata.get("origin")).toBe("flight-cluster tests");
    const [out] = batchesOf(decoded);
    expect(out!.numRows).toBe(23);
    const expected = batchValues(batch);
    const actual = batchValues(out!);
    for (const name of Object.keys(expected)) expect(actual[name], name).toEqual(expected[name]);
    // Spot-check that the comparison is not vacuous.
    expect(actual["utf8"]!.slice(0, 4)).toEqual(["", null, "βγ", "hello world"]);
    expect(actual["int64"]![2]).toBe(`${2n * -(2n ** 40n) + 3n}n`);
  });

  test("sliced batches (non-zero offsets, including bit offsets) encode only their rows", () => {
    const batch = allTypesBatch(40);
    for (const [begin, end] of [
      [3, 17],
      [8, 40],
      [13, 14],
      [0, 39],
    ] as const) {
      const slice = batch.slice(begin, end);
      const encoder = new FlightDataEncoder(batch.schema);
      const out = batchesOf(decodeAll([encoder.encodeSchema(), ...encoder.encodeBatch(slice)]));
      expect(out.length).toBe(1);
      expect(out[0]!.numRows).toBe(end - begin);
      const expected = batchValues(slice);
      const actual = batchValues(out[0]!);
      for (const name of Object.keys(expected))
        expect(actual[name], `${name} [${begin}, ${end})`).toEqual(expected[name]);
    }
  });

  test("empty batches and zero-row tables give one zero-row frame", () => {
    const batch = allTypesBatch(5);
    const encoder = new FlightDataEncoder(batch.schema);
    const frames = encoder.encodeBatch(batch.slice(0, 0), new Uint8Array([7]));
    const decoded = decodeAll([encoder.encodeSchema(), ...frames]);
    // The two dictionary columns' dictionaries, then one record batch.
    expect(decoded.map((d) => d.kind)).toEqual(["schema", "dictionary", "dictionary", "batch"]);
    const out = batchesOf(decoded);
    expect(out.map((b) => b.numRows)).toEqual([0]);
    expect(out[0]!.schema.fields.map((f) => f.name)).toEqual(batch.schema.fields.map((f) => f.name));
    expect(Array.from(decoded.at(-1)!.appMetadata)).toEqual([7]);

    const empty = tableFromArrays({ x: new Int32Array(0) });
    const emptyEncoder = new FlightDataEncoder(empty.schema);
    const emptyFrames = empty.batches.flatMap((b) => emptyEncoder.encodeBatch(b));
    const rows = batchesOf(decodeAll([emptyEncoder.encodeSchema(), ...emptyFrames])).reduce((n, b) => n + b.numRows, 0);
    expect(rows).toBe(0);
  });

  test("a schema with no columns encodes batches of rows without columns", () => {
    const schema = new Schema([]);
    const batch = new RecordBatch(schema, makeData({ type: new Struct([]), length: 4, children: [] }));
    const encoder = new FlightDataEncoder(schema);
    const out = batchesOf(decodeAll([encoder.encodeSchema(), ...encoder.encodeBatch(batch)]));
    expect(out.map((b) => [b.numRows, b.numCols])).toEqual([[4, 0]]);
  });

  test("app metadata rides on the last frame only", () => {
    const table = bigTable(5000, 1);
    const encoder = new FlightDataEncoder(table.schema, { maxMessageBytes: 64 * 1024 });
    const frames = encoder.encodeBatch(table.batches[0]!, new TextEncoder().encode("done"));
    expect(frames.length).toBeGreaterThan(2);
    expect(frames.slice(0, -1).every((f) => f.appMetadata.length === 0)).toBe(true);
    expect(new TextDecoder().decode(frames.at(-1)!.appMetadata)).toBe("done");
  });

  test("metadata-only frames and the schema's descriptor pass through", () => {
    const schema = new Schema([new Field("x", new Int32(), true)]);
    const encoder = new FlightDataEncoder(schema);
    const descriptor = new Uint8Array([8, 1, 18, 3, 97, 98, 99]);
    const first = overTheWire(encoder.encodeSchema(descriptor));
    expect(Array.from(first.descriptor!)).toEqual(Array.from(descriptor));
    expect(overTheWire(encoder.encodeSchema()).descriptor).toBeUndefined();
    const decoder = new FlightDataDecoder();
    decoder.decode(first);
    const meta = decoder.decode(overTheWire(encoder.encodeMetadata(new Uint8Array([1, 2, 3]))));
    expect(meta).toEqual({ kind: "metadata", appMetadata: new Uint8Array([1, 2, 3]) });
  });

  test("a batch whose schema differs from the encoder's is rejected", () => {
    const encoder = new FlightDataEncoder(new Schema([new Field("x", new Int32(), true)]));
    const other = tableFromArrays({ x: new Float64Array([1]) }).batches[0]!;
    expectFlightError(() => encoder.encodeBatch(other), StatusCode.INVALID_ARGUMENT, /differs from the stream schema/);
    const renamed = tableFromArrays({ y: new Int32Array([1]) }).batches[0]!;
    expectFlightError(() => encoder.encodeBatch(renamed), StatusCode.INVALID_ARGUMENT, /differs/);
  });

  test("a schema built with another copy of apache-arrow (the CommonJS build) is refused, not mis-encoded", () => {
    const cjs = createRequire(import.meta.url)("apache-arrow") as typeof import("apache-arrow");
    expect(cjs.Int64).not.toBe(Int64);
    const foreign = new cjs.Schema([new cjs.Field("a", new cjs.Int64(), true)]) as unknown as Schema;
    expectFlightError(
      () => new FlightDataEncoder(foreign),
      StatusCode.INVALID_ARGUMENT,
      /another copy of apache-arrow|cannot be encoded/,
    );
  });

  test("invalid options are rejected", () => {
    const schema = new Schema([]);
    expectFlightError(
      () => new FlightDataEncoder(schema, { maxMessageBytes: 10 }),
      StatusCode.INVALID_ARGUMENT,
      /maxMessageBytes/,
    );
    expectFlightError(
      () => new FlightDataEncoder(schema, { maxMessageBytes: 1.5e3 + 0.5 }),
      StatusCode.INVALID_ARGUMENT,
      /integer/,
    );
  });
});

/** A table with int64, float64, variable-length strings (some null) and a list column, built without Builders. */
function bigTable(rows: number, seed: number, maxString = 40): Table {
  const random = prng(seed);
  const stringOffsets = new Int32Array(rows + 1);
  const listOffsets = new Int32Array(rows + 1);
  for (let i = 0; i < rows; i++) {
    stringOffsets[i + 1] = stringOffsets[i]! + (i % 11 === 5 ? 0 : Math.floor(random() * maxString));
    listOffsets[i + 1] = listOffsets[i]! + Math.floor(random() * 6);
  }
  const chars = new Uint8Array(stringOffsets[rows]!).fill(120);
  const items = Int32Array.from({ length: listOffsets[rows]! }, () => Math.floor(random() * 1000));
  const itemField = new Field("item", new Int32(), true);
  return new Table({
    id: makeVector(BigInt64Array.from({ length: rows }, (_, i) => BigInt(i))),
    value: makeVector(Float64Array.from({ length: rows }, () => random())),
    name: makeVector(
      makeData({
        type: new Utf8(),
        length: rows,
        valueOffsets: stringOffsets,
        data: chars,
        nullBitmap: bitmap(rows, (i) => i % 11 === 5),
      }),
    ),
    tags: makeVector(
      makeData({
        type: new List(itemField),
        length: rows,
        valueOffsets: listOffsets,
        child: makeData({ type: new Int32(), length: items.length, data: items }),
      }),
    ),
  });
}

describe("slicing to maxMessageBytes", () => {
  test.each([
    64 * 1024,
    1024 * 1024,
    2 * 1024 * 1024,
  ])("no encoded frame exceeds %i bytes and no row is lost", (limit) => {
    const table = bigTable(40_000, limit, 80);
    const encoder = new FlightDataEncoder(table.schema, { maxMessageBytes: limit });
    const frames = table.batches.flatMap((b) => encoder.encodeBatch(b));
    const sizes = frames.map((f) => encodeFlightData(f).length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(limit);
    expect(frames.length).toBeGreaterThan(1);
    // Slices are not needlessly small: all but the last fill at least half the limit.
    expect(Math.min(...sizes.slice(0, -1))).toBeGreaterThan(limit / 2);
    const decoder = new FlightDataDecoder();
    decoder.decode(overTheWire(encoder.encodeSchema()));
    const out = batchesOf(decodeAll(frames, decoder));
    expect(out.reduce((n, b) => n + b.numRows, 0)).toBe(40_000);
    const ids = out.flatMap((b) => Array.from(b.getChild("id")!.toArray() as BigInt64Array, Number));
    expect(ids).toEqual(Array.from({ length: 40_000 }, (_, i) => i));
    for (const name of ["value", "name", "tags"]) {
      const expected = table.getChild(name)!;
      const actual: unknown[] = [];
      const wanted: unknown[] = [];
      let row = 0;
      for (const batch of out) {
        const column = batch.getChild(name)!;
        for (let i = 0; i < batch.numRows; i++, row++) {
          if (row % 7 !== 0) continue;
          actual.push(normalize(column.get(i)));
          wanted.push(normalize(expected.get(row)));
        }
      }
      expect(actual, name).toEqual(wanted);
    }
  });

  test("a batch just over the limit becomes two even halves, not a full message and a sliver", () => {
    const column = () => makeVector(BigInt64Array.from({ length: 65_536 }, (_, k) => BigInt(k)));
    const table = new Table({ a: column(), b: column(), c: column(), d: column() }); // 2 MiB of body
    const encoder = new FlightDataEncoder(table.schema, { maxMessageBytes: 2 * 1024 * 1024 });
    const frames = encoder.encodeBatch(table.batches[0]!);
    const decoder = new FlightDataDecoder();
    decoder.decode(encoder.encodeSchema());
    const rows = frames.map((f) => (decoder.decode(f) as { batch: RecordBatch }).batch.numRows);
    expect(rows).toEqual([32_768, 32_768]);
    // Three messages' worth: three slices within one row of each other.
    const small = new FlightDataEncoder(table.schema, { maxMessageBytes: 800 * 1024 });
    const thirds = small.encodeBatch(table.batches[0]!).map((f) => f.body.length / 32);
    expect(thirds).toHaveLength(3);
    expect(Math.max(...thirds) - Math.min(...thirds)).toBeLessThanOrEqual(1);
  });

  test("a row larger than the limit is sent alone; the others still fit", () => {
    const limit = 64 * 1024;
    const strings = Array.from({ length: 3000 }, (_, i) => (i === 1500 ? "y".repeat(100_000) : `row ${i}`));
    const table = new Table({ s: vectorFromArray(strings, new Utf8()) });
    const encoder = new FlightDataEncoder(table.schema, { maxMessageBytes: limit });
    const frames = table.batches.flatMap((b) => encoder.encodeBatch(b));
    const decoder = new FlightDataDecoder();
    decoder.decode(encoder.encodeSchema());
    const sized = frames.map((f) => ({
      size: encodeFlightData(f).length,
      batch: (decoder.decode(f) as { batch: RecordBatch }).batch,
    }));
    const oversized = sized.filter((f) => f.size > limit);
    expect(oversized.length).toBe(1);
    expect(oversized[0]!.batch.numRows).toBe(1);
    expect(oversized[0]!.batch.getChild("s")!.get(0)).toHaveLength(100_000);
    expect(sized.reduce((n, f) => n + f.batch.numRows, 0)).toBe(3000);
  });
});

describe("zero-copy decode", () => {
  test("decoded Int64, Float64 and Utf8 values are 8-aligned views of the received bytes", () => {
    const table = new Table({
      i: makeVector(BigInt64Array.from({ length: 1000 }, (_, k) => BigInt(k))),
      f: makeVector(Float64Array.from({ length: 1000 }, (_, k) => k / 3)),
      s: vectorFromArray(
        Array.from({ length: 1000 }, (_, k) => `v${k}`),
        new Utf8(),
      ),
    });
    const encoder = new FlightDataEncoder(table.schema);
    const decoder = new FlightDataDecoder();
    decoder.decode(encoder.encodeSchema());
    const [frame] = encoder.encodeBatch(table.batches[0]!);
    const bytes = encodeFlightData(frame!);
    // grpc-js delivers a message as framed.subarray(5) of a fresh buffer.
    const framed = Buffer.allocUnsafeSlow(bytes.length + 5);
    bytes.copy(framed, 5);
    const decoded = decoder.decode(decodeFlightData(framed.subarray(5)));
    expect(decoded.kind).toBe("batch");
    const batch = (decoded as { batch: RecordBatch }).batch;
    for (const name of ["i", "f", "s"]) {
      const data = batch.getChild(name)!.data[0]!;
      expect(data.values.buffer, name).toBe(framed.buffer);
      expect(data.values.byteOffset % 8, name).toBe(0);
    }
    expect(batch.getChild("s")!.data[0]!.valueOffsets.buffer).toBe(framed.buffer);
    expect(batch.getChild("i")!.get(999)).toBe(999n);
  });

  test("a body that arrives unaligned is copied once and still decodes", () => {
    const table = tableFromArrays({ i: BigInt64Array.from([1n, 2n, 3n]), f: Float64Array.from([0.5, 1.5, 2.5]) });
    const encoder = new FlightDataEncoder(table.schema);
    const decoder = new FlightDataDecoder();
    decoder.decode(encoder.encodeSchema());
    const bytes = encodeFlightData(encoder.encodeBatch(table.batches[0]!)[0]!);
    const shifted = Buffer.allocUnsafeSlow(bytes.length + 6);
    bytes.copy(shifted, 6);
    const batch = (decoder.decode(decodeFlightData(shifted.subarray(6))) as { batch: RecordBatch }).batch;
    expect(batch.getChild("i")!.data[0]!.values.buffer).not.toBe(shifted.buffer);
    expect([...batch.getChild("i")!]).toEqual([1n, 2n, 3n]);
    expect([...batch.getChild("f")!]).toEqual([0.5, 1.5, 2.5]);
  });

  test("encodeFlightData returns an encoder frame's own bytes without copying", () => {
    const table = tableFromArrays({ i: new Int32Array([1, 2, 3]) });
    const encoder = new FlightDataEncoder(table.schema);
    const [frame] = encoder.encodeBatch(table.batches[0]!);
    const bytes = encodeFlightData(frame!);
    expect(encodeFlightData(frame!)).toBe(bytes);
    expect(frame!.body.buffer).toBe(bytes.buffer);
    // A copy of the frame object is encoded afresh and decodes the same.
    const copy = encodeFlightData({ ...frame! });
    expect(copy).not.toBe(bytes);
    const decoder = new FlightDataDecoder();
    decoder.decode(encoder.encodeSchema());
    expect([...(decoder.decode(decodeFlightData(copy)) as { batch: RecordBatch }).batch.getChild("i")!]).toEqual([
      1, 2, 3,
    ]);
  });
});

test("Int64 and Float64 columns with nulls at bit offsets keep their null positions", () => {
  const values = Array.from({ length: 50 }, (_, i) => (i % 7 === 3 ? null : i));
  const table = new Table({
    a: vectorFromArray(
      values.map((v) => (v === null ? null : BigInt(v))),
      new Int64(),
    ),
    b: vectorFromArray(values, new Float64()),
  });
  const slice = table.batches[0]!.slice(5, 45);
  const encoder = new FlightDataEncoder(table.schema);
  const out = batchesOf(decodeAll([encoder.encodeSchema(), ...encoder.encodeBatch(slice)]))[0]!;
  expect([...out.getChild("b")!]).toEqual(values.slice(5, 45));
  expect(out.getChild("a")!.nullCount).toBe(values.slice(5, 45).filter((v) => v === null).length);
});
