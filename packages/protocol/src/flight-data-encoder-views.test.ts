import {
  BinaryView,
  type Data,
  Dictionary,
  Field,
  Int32,
  List,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Utf8View,
  vectorFromArray,
} from "apache-arrow";
import { describe, expect, test } from "vitest";
import { decodeFlightData, encodeFlightData, type FlightDataFrame } from "./flight-data.js";
import { FlightDataDecoder } from "./flight-data-decoder.js";
import { FlightDataEncoder } from "./flight-data-encoder.js";
import { batchValues, bitmap, prng, runPython } from "./flight-data-helpers.test-kit.js";
import { FlightError, StatusCode } from "./flight-error.js";
import { readIpcMessage, readRecordBatchHeader } from "./ipc-message.js";
import { ipcStreamFromFrames } from "./ipc-stream.js";

const utf8 = new TextEncoder();

/** Send frames through encodeFlightData/decodeFlightData as grpc-js would deliver them (payload at offset 5). */
function overTheWire(frame: FlightDataFrame): FlightDataFrame {
  const bytes = encodeFlightData(frame);
  const framed = Buffer.allocUnsafeSlow(bytes.length + 5);
  bytes.copy(framed, 5);
  return decodeFlightData(framed.subarray(5));
}

/** Encode `batches` as one stream, send every frame over the wire, decode; returns the decoded record batches. */
function roundTrip(schema: Schema, batches: readonly RecordBatch[], maxMessageBytes?: number): RecordBatch[] {
  const encoder = new FlightDataEncoder(schema, maxMessageBytes === undefined ? {} : { maxMessageBytes });
  const decoder = new FlightDataDecoder();
  decoder.decode(overTheWire(encoder.encodeSchema()));
  const out: RecordBatch[] = [];
  for (const batch of batches) {
    for (const frame of encoder.encodeBatch(batch)) {
      const decoded = decoder.decode(overTheWire(frame));
      if (decoded.kind === "batch") out.push(decoded.batch);
    }
  }
  return out;
}

/** Normalized values of every column over all `batches`, concatenated. */
function valuesOf(batches: readonly RecordBatch[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const batch of batches) {
    for (const [name, values] of Object.entries(batchValues(batch))) {
      const column = out[name] ?? [];
      for (const value of values) column.push(value);
      out[name] = column;
    }
  }
  return out;
}

/** Inline (0..12 bytes), out-of-line (13+), multi-byte UTF-8, nulls and consecutive repeats. */
function sampleStrings(rows: number, seed: number): (string | null)[] {
  const random = prng(seed);
  const out: (string | null)[] = [];
  for (let i = 0; i < rows; i++) {
    if (i % 9 === 4) out.push(null);
    else if (i % 13 === 7 && i > 0) out.push(out[i - 1] ?? "repeat of a null row");
    else if (i % 5 === 0)
      out.push("x".repeat(i % 13)); // 0..12 bytes: inline
    else out.push(`row ${i} ${"βγ".repeat(Math.floor(random() * 20))}`);
  }
  return out;
}

/**
 * A view column laid out by hand: out-of-line values spread over `bufferCount` variadic
 * buffers (row % bufferCount, after 3 filler bytes), a value equal to the previous row's
 * reuses its bytes, and null rows carry views that point nowhere valid.
 */
function handMadeViews<T extends Utf8View | BinaryView>(
  type: T,
  values: readonly (string | null)[],
  bufferCount: number,
) {
  const views = new Uint8Array(16 * values.length);
  const view = new DataView(views.buffer);
  const parts: number[][] = Array.from({ length: bufferCount }, () => [7, 7, 7]);
  let previous: { value: string; index: number; offset: number } | undefined;
  values.forEach((value, row) => {
    const at = 16 * row;
    if (value === null) {
      view.setInt32(at, 1000, true);
      view.setInt32(at + 8, 99, true);
      view.setInt32(at + 12, 123_456, true);
      return;
    }
    const bytes = utf8.encode(value);
    view.setInt32(at, bytes.length, true);
    if (bytes.length <= 12) {
      views.set(bytes, at + 4);
      return;
    }
    views.set(bytes.subarray(0, 4), at + 4);
    let index = row % bufferCount;
    let offset = parts[index]!.length;
    if (previous?.value === value) ({ index, offset } = previous);
    else parts[index]!.push(...bytes);
    view.setInt32(at + 8, index, true);
    view.setInt32(at + 12, offset, true);
    previous = { value, index, offset };
  });
  // makeData's overloads do not cover a generic view type; the props below are the view layout.
  return (makeData as (props: object) => Data<T>)({
    type,
    length: values.length,
    nullCount: values.filter((v) => v === null).length,
    nullBitmap: bitmap(values.length, (i) => values[i] === null),
    views,
    variadicBuffers: parts.map((p) => Uint8Array.from(p)),
  });
}

/** Bytes of the distinct-consecutive out-of-line values of `values` (what one message must carry). */
function outOfLineBytes(values: readonly (string | null)[]): number {
  let total = 0;
  values.forEach((v, i) => {
    const size = v === null ? 0 : utf8.encode(v).length;
    if (size > 12 && !(i > 0 && values[i - 1] === v)) total += size;
  });
  return total;
}

const pad8 = (n: number) => (n + 7) & ~7;

function viewsTable(rows: number, seed: number): Table {
  const strings = sampleStrings(rows, seed);
  return new Table({
    s: vectorFromArray(strings, new Utf8View()),
    b: vectorFromArray(
      strings.map((v) => (v === null ? null : utf8.encode(v))),
      new BinaryView(),
    ),
  });
}

describe("FlightDataEncoder: Utf8View and BinaryView", () => {
  test("built columns survive encode -> wire -> decode, value for value, unsliced and sliced", () => {
    const table = viewsTable(60, 1);
    const batch = table.batches[0]!;
    expect(batch.getChild("s")!.data[0]!.variadicBuffers.length).toBe(1);
    for (const [begin, end] of [
      [0, 60],
      [3, 17],
      [8, 60],
      [13, 14],
      [20, 20],
    ] as const) {
      const slice = batch.slice(begin, end);
      const out = roundTrip(table.schema, [slice]);
      expect(out.map((b) => b.numRows)).toEqual([end - begin]);
      expect(String(out[0]!.schema.fields[0]!.type)).toBe("Utf8View");
      expect(valuesOf(out), `[${begin}, ${end})`).toEqual(batchValues(slice));
    }
    // Not vacuous: inline, out-of-line, multi-byte and null values all occur.
    const values = valuesOf(roundTrip(table.schema, [batch]))["s"]!;
    expect(values.length).toBe(60);
    expect(values).toContain(null);
    expect(values).toContain("xxxxx");
    expect(values.some((v) => typeof v === "string" && utf8.encode(v).length > 12 && v.includes("βγ"))).toBe(true);
  });

  test("several variadic buffers, repeats and null views pointing nowhere: each message carries one compacted buffer", () => {
    const strings = sampleStrings(80, 2);
    const data = handMadeViews(new Utf8View(), strings, 3);
    const schema = new Schema([new Field("s", new Utf8View(), true)]);
    const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 80, children: [data] }));
    for (const [begin, end] of [
      [0, 80],
      [5, 38],
      [41, 42],
    ] as const) {
      const slice = batch.slice(begin, end);
      const encoder = new FlightDataEncoder(schema);
      encoder.encodeSchema();
      const [frame, ...rest] = encoder.encodeBatch(slice);
      expect(rest).toEqual([]);
      const rows = strings.slice(begin, end);
      const message = readIpcMessage(frame!.header);
      const header = readRecordBatchHeader(message.reader, message.header);
      const data = outOfLineBytes(rows);
      expect(header.variadicBufferCounts).toEqual([data > 0 ? 1 : 0]);
      // validity (when the slice has nulls) + views + only the bytes these rows reference.
      const validity = rows.includes(null) ? pad8(Math.ceil(rows.length / 8)) : 0;
      expect(frame!.body.length).toBe(validity + 16 * rows.length + pad8(data));
      const out = roundTrip(schema, [slice]);
      expect(valuesOf(out)["s"]).toEqual(rows);
      // Null rows are sent as all-zero views.
      const views = out[0]!.getChild("s")!.data[0]!.values as Uint8Array;
      rows.forEach((v, i) => {
        if (v === null) expect(Array.from(views.subarray(16 * i, 16 * i + 16))).toEqual(new Array(16).fill(0));
      });
    }
  });

  test("batches are sliced under maxMessageBytes; every row arrives once, value for value", () => {
    const limit = 64 * 1024;
    const table = viewsTable(30_000, 3);
    const encoder = new FlightDataEncoder(table.schema, { maxMessageBytes: limit });
    const frames = table.batches.flatMap((b) => encoder.encodeBatch(b));
    const sizes = frames.map((f) => encodeFlightData(f).length);
    expect(frames.length).toBeGreaterThan(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(limit);
    // Slices are proportional to their rows, so they fill the limit well.
    expect(Math.min(...sizes.slice(0, -1))).toBeGreaterThan(limit / 2);
    const out = roundTrip(table.schema, table.batches, limit);
    expect(out.length).toBe(frames.length);
    const expected = valuesOf(table.batches);
    const actual = valuesOf(out);
    expect(actual["s"]!.length).toBe(30_000);
    expect(actual["s"]).toEqual(expected["s"]);
    expect(actual["b"]).toEqual(expected["b"]);
  });

  test("a single value larger than the limit goes alone in its own frame", () => {
    const strings = Array.from({ length: 500 }, (_, i) => (i === 250 ? "y".repeat(50_000) : `value number ${i}`));
    const table = new Table({ s: vectorFromArray(strings, new Utf8View()) });
    const out = roundTrip(table.schema, table.batches, 4096);
    const big = out.filter((b) => b.numRows === 1 && String(b.getChild("s")!.get(0)).length === 50_000);
    expect(big.length).toBe(1);
    expect(out.flatMap((b) => [...b.getChild("s")!])).toEqual(strings);
  });

  test("views inside structs and lists, and as dictionary values, sliced", () => {
    const rows = 40;
    const strings = sampleStrings(rows, 4);
    const itemField = new Field("item", new BinaryView(), true);
    const listOffsets = Int32Array.from({ length: rows + 1 }, (_, i) => 3 * i - (i > 10 ? 2 : 0));
    listOffsets[0] = 0;
    const items = sampleStrings(listOffsets[rows]!, 5);
    const dictionary = vectorFromArray(
      ["north", "a much longer dictionary value", "", "south-south-west"],
      new Utf8View(),
    );
    const dictType = new Dictionary(new Utf8View(), new Int32(), 7);
    const structType = new Struct([new Field("name", new Utf8View(), true), new Field("n", new Int32(), true)]);
    const table = new Table({
      st: makeVector(
        makeData({
          type: structType,
          length: rows,
          children: [
            handMadeViews(new Utf8View(), strings, 2),
            makeData({ type: new Int32(), length: rows, data: Int32Array.from({ length: rows }, (_, i) => i) }),
          ],
        }),
      ),
      ls: makeVector(
        makeData({
          type: new List(itemField),
          length: rows,
          valueOffsets: listOffsets,
          child: handMadeViews(new BinaryView(), items, 4),
        }),
      ),
      d: makeVector(
        makeData({
          type: dictType,
          length: rows,
          data: Int32Array.from({ length: rows }, (_, i) => i % 4),
          dictionary,
        }),
      ),
    });
    const batch = table.batches[0]!;
    for (const [begin, end] of [
      [0, rows],
      [7, 31],
    ] as const) {
      const slice = batch.slice(begin, end);
      const out = roundTrip(table.schema, [slice], 1024);
      expect(out.length).toBeGreaterThan(1);
      expect(valuesOf(out)).toEqual(batchValues(slice));
    }
    const values = valuesOf(roundTrip(table.schema, [batch]));
    expect(values["d"]!.slice(0, 2)).toEqual(["north", "a much longer dictionary value"]);
    expect((values["st"]![1] as { name: unknown }).name).toBe(strings[1]);
  });

  test("a view outside its variadic buffers is refused with INVALID_ARGUMENT", () => {
    const data = handMadeViews(new Utf8View(), ["a string of twenty b", "short"], 1);
    const bad = new Uint8Array(data.values);
    new DataView(bad.buffer).setInt32(12, 10_000, true);
    const schema = new Schema([new Field("s", new Utf8View(), true)]);
    const column = makeData({ type: new Utf8View(), length: 2, views: bad, variadicBuffers: data.variadicBuffers });
    const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 2, children: [column] }));
    const encoder = new FlightDataEncoder(schema);
    let thrown: unknown;
    try {
      encoder.encodeBatch(batch);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FlightError);
    expect((thrown as FlightError).code).toBe(StatusCode.INVALID_ARGUMENT);
    expect((thrown as FlightError).message).toMatch(/view at row 0 .*outside its 1 variadic buffers/);
  });

  test("pyarrow reads and fully validates what we write (sliced, several messages, nested)", () => {
    const rows = 300;
    const strings = sampleStrings(rows, 6);
    const structType = new Struct([new Field("v", new Utf8View(), true)]);
    const table = new Table({
      s: makeVector(handMadeViews(new Utf8View(), strings, 3)),
      b: makeVector(handMadeViews(new BinaryView(), strings, 2)),
      st: makeVector(
        makeData({ type: structType, length: rows, children: [vectorFromArray(strings, new Utf8View()).data[0]!] }),
      ),
    });
    const slice = table.batches[0]!.slice(11, 290);
    const encoder = new FlightDataEncoder(table.schema, { maxMessageBytes: 4096 });
    const frames = [encoder.encodeSchema(), ...encoder.encodeBatch(slice)];
    expect(frames.length).toBeGreaterThan(3);
    const script = `
import sys, json, pyarrow as pa
reader = pa.ipc.open_stream(sys.stdin.buffer.read())
batches = list(reader)
for b in batches:
    b.validate(full=True)
t = pa.Table.from_batches(batches, reader.schema)
print(json.dumps({
    "types": [str(f.type) for f in t.schema],
    "s": t.column("s").to_pylist(),
    "b": [None if v is None else v.decode() for v in t.column("b").to_pylist()],
    "st": [None if v is None else v["v"] for v in t.column("st").to_pylist()],
}))
`;
    const got = JSON.parse(runPython(script, Buffer.concat(ipcStreamFromFrames(frames))).toString());
    const want = strings.slice(11, 290);
    expect(got).toEqual({
      types: ["string_view", "binary_view", "struct<v: string_view>"],
      s: want,
      b: want,
      st: want,
    });
  });
});
