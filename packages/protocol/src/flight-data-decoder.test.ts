import {
  type Codec,
  CompressionType,
  compressionRegistry,
  Dictionary,
  Field,
  Int32,
  Int64,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { describe, expect, test } from "vitest";
import { decodeFlightData, encodeFlightData, type FlightDataFrame } from "./flight-data.js";
import { FlightDataDecoder } from "./flight-data-decoder.js";
import { FlightDataEncoder } from "./flight-data-encoder.js";
import { allTypesBatch } from "./flight-data-fixtures.test-kit.js";
import { batchValues, prng, runPython } from "./flight-data-helpers.test-kit.js";
import { FlightError, StatusCode } from "./flight-error.js";
import { framesFromIpcStream } from "./ipc-stream.js";

function expectInvalid(fn: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected a FlightError matching ${message}`).toBeInstanceOf(FlightError);
  expect((thrown as FlightError).code).toBe(StatusCode.INVALID_ARGUMENT);
  expect((thrown as FlightError).message).toMatch(message);
}

/** A two-column (int64, utf8) stream: schema frame and one record batch frame. */
function simpleStream(rows = 10) {
  const table = new Table({
    n: makeVector(BigInt64Array.from({ length: rows }, (_, i) => BigInt(i))),
    s: vectorFromArray(
      Array.from({ length: rows }, (_, i) => `s${i}`),
      new Utf8(),
    ),
  });
  const encoder = new FlightDataEncoder(table.schema);
  return { table, encoder, schema: encoder.encodeSchema(), batch: encoder.encodeBatch(table.batches[0]!)[0]! };
}

/** A copy of a frame's header with `edit` applied (our record batch header layout is fixed, see ipc-message-writer.ts). */
function withHeader(frame: FlightDataFrame, edit: (view: DataView, header: Uint8Array) => void): FlightDataFrame {
  const header = frame.header.slice();
  edit(new DataView(header.buffer), header);
  return { ...frame, header };
}

function primed(schemaFrame: FlightDataFrame): FlightDataDecoder {
  const decoder = new FlightDataDecoder();
  decoder.decode(schemaFrame);
  return decoder;
}

describe("FlightDataDecoder rejects bad input with INVALID_ARGUMENT", () => {
  const { schema, batch } = simpleStream();
  // Record batch header layout: length i64 @56, node count @68, nodes @72 (16 bytes each),
  // 2 nodes -> buffer count @108, buffers @112 (16 bytes each).
  const NODE_COUNT = 68;
  const BUFFER_COUNT = 76 + 16 * 2;
  const FIRST_BUFFER = BUFFER_COUNT + 4;

  test("a record batch before the schema", () => {
    expectInvalid(() => new FlightDataDecoder().decode(batch), /record batch before the stream's schema/);
  });

  test("a batch claiming 2^40 rows", () => {
    const bad = withHeader(batch, (v) => v.setBigInt64(56, 2n ** 40n, true));
    expectInvalid(() => primed(schema).decode(bad), /record batch length 1099511627776 is outside/);
  });

  test("10^9 field nodes or buffers", () => {
    const nodes = withHeader(batch, (v) => v.setUint32(NODE_COUNT, 1e9, true));
    expectInvalid(() => primed(schema).decode(nodes), /field nodes vector claims 1000000000 elements/);
    const buffers = withHeader(batch, (v) => v.setUint32(BUFFER_COUNT, 1e9, true));
    expectInvalid(() => primed(schema).decode(buffers), /buffers vector claims 1000000000 elements/);
  });

  test("negative or absurd node lengths and null counts", () => {
    const negative = withHeader(batch, (v) => v.setBigInt64(72, -5n, true));
    expectInvalid(() => primed(schema).decode(negative), /column "n" has invalid length -5/);
    const absurd = withHeader(batch, (v) => v.setBigInt64(72, 2n ** 62n, true));
    expectInvalid(() => primed(schema).decode(absurd), /field node length \d+ is out of range/);
    const nulls = withHeader(batch, (v) => v.setBigInt64(80, 11n, true));
    expectInvalid(() => primed(schema).decode(nulls), /invalid null count 11 for length 10/);
  });

  test("buffers past the end of the body, and a body shorter than declared", () => {
    const offset = withHeader(batch, (v) => v.setBigInt64(FIRST_BUFFER + 16, 1n << 40n, true));
    expectInvalid(
      () => primed(schema).decode(offset),
      /values buffer \[1099511627776, \+80\) lies outside the \d+-byte body/,
    );
    const negative = withHeader(batch, (v) => v.setBigInt64(FIRST_BUFFER + 24, -1n, true));
    expectInvalid(() => primed(schema).decode(negative), /lies outside/);
    expectInvalid(
      () => primed(schema).decode({ ...batch, body: batch.body.subarray(0, 40) }),
      /body has 40 bytes but the header declares/,
    );
  });

  test("buffers smaller than the declared lengths need", () => {
    const short = withHeader(batch, (v) => v.setBigInt64(FIRST_BUFFER + 24, 79n, true));
    expectInvalid(() => primed(schema).decode(short), /column "n" values buffer has 79 bytes, needs 80/);
  });

  test("offsets that decrease or point past the values", () => {
    const decoder = primed(schema);
    const body = batch.body.slice();
    // Buffers: n validity, n values, s validity, s offsets, s values.
    const header = new DataView(batch.header.buffer, batch.header.byteOffset, batch.header.byteLength);
    const sOffsets = Number(header.getBigInt64(FIRST_BUFFER + 16 * 3, true));
    const view = new DataView(body.buffer);
    view.setInt32(sOffsets + 4 * 3, 1, true);
    expectInvalid(() => decoder.decode({ ...batch, body }), /column "s" has decreasing offsets at row 2/);
    const past = batch.body.slice();
    new DataView(past.buffer).setInt32(sOffsets + 4 * 10, 10_000, true);
    expectInvalid(
      () => primed(schema).decode({ ...batch, body: past }),
      /offsets end at 10000, past the \d+-element values buffer/,
    );
  });

  test("node and buffer counts that do not match the schema", () => {
    const fewer = withHeader(batch, (v) => v.setUint32(NODE_COUNT, 1, true));
    expectInvalid(() => primed(schema).decode(fewer), /fewer than the schema needs|field nodes but the schema uses/);
    const wider = new FlightDataEncoder(
      new Schema([
        new Field("n", new Int64(), true),
        new Field("s", new Utf8(), true),
        new Field("x", new Int32(), true),
      ]),
    );
    expectInvalid(
      () => primed(wider.encodeSchema()).decode(batch),
      /record batch has 2 field nodes, fewer than the schema needs/,
    );
    const narrower = new FlightDataEncoder(new Schema([new Field("n", new Int64(), true)]));
    expectInvalid(
      () => primed(narrower.encodeSchema()).decode(batch),
      /record batch has 2 field nodes but the schema uses 1/,
    );
  });

  test("malformed flatbuffers: root, vtable and field offsets out of bounds", () => {
    expectInvalid(
      () => primed(schema).decode(withHeader(batch, (v) => v.setUint32(0, 0xfffff0, true))),
      /root table offset \d+ is out of bounds/,
    );
    expectInvalid(
      () => primed(schema).decode(withHeader(batch, (v) => v.setInt32(16, -4000, true))),
      /vtable out of bounds/,
    );
    expectInvalid(
      () => primed(schema).decode(withHeader(batch, (v) => v.setUint16(4, 200, true))),
      /vtable of invalid size/,
    );
    expectInvalid(
      () => primed(schema).decode(withHeader(batch, (v) => v.setUint16(12, 60, true))),
      /field 2 lies outside its table/,
    );
    expectInvalid(
      () => primed(schema).decode(withHeader(batch, (v) => v.setUint32(20, 0x7ffffff0, true))),
      /message header offset/,
    );
    expectInvalid(
      () => primed(schema).decode({ ...batch, header: batch.header.subarray(0, 5) }),
      /too short for a flatbuffer/,
    );
  });

  test("unknown or unsupported message types and metadata versions", () => {
    expectInvalid(
      () => primed(schema).decode(withHeader(batch, (v) => v.setUint8(34, 9))),
      /message type unknown \(9\) is not supported/,
    );
    expectInvalid(
      () => primed(schema).decode(withHeader(batch, (v) => v.setUint8(34, 4))),
      /message type Tensor is not supported/,
    );
    expectInvalid(
      () => primed(schema).decode(withHeader(batch, (v) => v.setInt16(32, 1, true))),
      /metadata version V2 is not supported/,
    );
  });

  test("a second schema that differs from the first, and a schema other than the expected one", () => {
    const decoder = primed(schema);
    expect(decoder.decode(schema).kind).toBe("schema");
    const other = new FlightDataEncoder(new Schema([new Field("n", new Int32(), true)])).encodeSchema();
    expectInvalid(() => decoder.decode(other), /schema changed mid-stream/);
    const expecting = new FlightDataDecoder({ expectedSchema: new Schema([new Field("n", new Int32(), true)]) });
    expectInvalid(() => expecting.decode(schema), /differs from the expected/);
  });

  test("dictionaries: unknown ids, and batches that use a dictionary before it arrived", () => {
    const schemaA = new Schema([new Field("c", new Dictionary(new Utf8(), new Int32(), 7), true)]);
    const schemaB = new Schema([new Field("c", new Dictionary(new Utf8(), new Int32(), 8), true)]);
    const dictionary = vectorFromArray(["a", "b"], new Utf8());
    const rb = new RecordBatch(
      schemaA,
      makeData({
        type: new Struct(schemaA.fields),
        length: 2,
        children: [
          makeData({
            type: schemaA.fields[0]!.type as Dictionary<Utf8, Int32>,
            length: 2,
            data: Int32Array.from([1, 0]),
            dictionary,
          }),
        ],
      }),
    );
    const encoder = new FlightDataEncoder(schemaA);
    const [dictFrame, batchFrame] = encoder.encodeBatch(rb);
    const wrongIds = primed(new FlightDataEncoder(schemaB).encodeSchema());
    expectInvalid(() => wrongIds.decode(dictFrame!), /dictionary batch for id 7, which no schema field uses/);
    expectInvalid(
      () => primed(encoder.encodeSchema()).decode(batchFrame!),
      /uses dictionary id 7 before any dictionary batch/,
    );
    const badIndex = { ...batchFrame!, body: batchFrame!.body.slice() };
    new DataView(badIndex.body.buffer).setInt32(0, 5, true);
    const decoder = primed(encoder.encodeSchema());
    decoder.decode(dictFrame!);
    expectInvalid(() => decoder.decode(badIndex), /dictionary index 5 at row 0, outside the 2-entry dictionary/);
  });

  test("compressed bodies: rejected without a codec, decoded with a registered one, sizes checked", () => {
    // pyarrow writes a ZSTD-compressed stream and, for each column buffer, the ZSTD frame it
    // compresses to (byte-identical to the IPC writer's) with the raw bytes: a stand-in codec
    // then "decompresses" by lookup, which exercises the whole BodyCompression path.
    const script = `
import sys, json, pyarrow as pa
t = pa.table({"x": pa.array(list(range(100)), pa.int64()), "s": pa.array(["v%d" % i if i % 3 else None for i in range(100)])})
sink = pa.BufferOutputStream()
with pa.ipc.new_stream(sink, t.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as w:
    w.write_table(t)
frames = {pa.compress(b, codec="zstd", asbytes=True).hex(): b.to_pybytes().hex()
          for col in t.columns for a in col.chunks for b in a.buffers() if b is not None}
print(json.dumps({"stream": sink.getvalue().to_pybytes().hex(), "frames": frames}))
`;
    const out = JSON.parse(runPython(script).toString()) as { stream: string; frames: Record<string, string> };
    const frames = framesFromIpcStream(new Uint8Array(Buffer.from(out.stream, "hex")));
    const decoder = new FlightDataDecoder();
    expect(decoder.decode(frames[0]!).kind).toBe("schema");
    expectInvalid(() => decoder.decode(frames[1]!), /compressed with ZSTD but no codec is registered/);
    let shrink = false;
    compressionRegistry.set(CompressionType.ZSTD, {
      decode(data: Uint8Array): Uint8Array {
        const raw = out.frames[Buffer.from(data).toString("hex")];
        if (raw === undefined) throw new Error("unknown frame");
        const bytes = new Uint8Array(Buffer.from(raw, "hex"));
        return shrink ? bytes.subarray(1) : bytes;
      },
    });
    try {
      const decoded = decoder.decode(frames[1]!) as { batch: RecordBatch };
      expect([...decoded.batch.getChild("x")!].map(Number)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect([...decoded.batch.getChild("s")!].slice(0, 4)).toEqual([null, "v1", "v2", null]);
      expectInvalid(
        () => new FlightDataDecoder({ maxDecompressedBytes: 100 }).decode(frames[1]!),
        /record batch before the stream's schema/,
      );
      const limited = new FlightDataDecoder({ maxDecompressedBytes: 100 });
      limited.decode(frames[0]!);
      expectInvalid(() => limited.decode(frames[1]!), /more than the 100-byte decompression limit/);
      shrink = true;
      expectInvalid(() => decoder.decode(frames[1]!), /decompressed to \d+ bytes, declared \d+/);
    } finally {
      compressionRegistry.set(CompressionType.ZSTD, null as unknown as Codec);
    }
  });
});

/**
 * Read every value of an accepted batch. apache-arrow's Date64 accessor refuses int64 values
 * beyond 2^53 ms (valid Arrow data it cannot turn into a JS number); that one accessor
 * limitation is tolerated, any other exception fails the test.
 */
function readEverything(batch: RecordBatch): void {
  try {
    batchValues(batch);
  } catch (error) {
    if (!(error instanceof TypeError && /is not safe to convert to a number/.test(error.message))) throw error;
  }
}

describe("fuzzing", () => {
  test("thousands of mutated valid frames decode cleanly or fail with a FlightError, never anything else", () => {
    const batch = allTypesBatch(6);
    const encoder = new FlightDataEncoder(batch.schema);
    const schemaFrame = encoder.encodeSchema();
    const dataFrames = encoder.encodeBatch(batch, new Uint8Array([1, 2]));
    const schemaBytes = encodeFlightData(schemaFrame);
    const prefix = [schemaBytes, ...dataFrames.slice(0, -1).map((f) => encodeFlightData(f))];
    const targets = [...prefix, encodeFlightData(dataFrames.at(-1)!)];
    const random = prng(20240531);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const interesting = [0, 1, 0xff, 0x7f, 0x80, 0xffffffff, 0x7fffffff, 0x80000000, 8, 16, 1e9];
    let accepted = 0;
    let rejected = 0;
    for (let iteration = 0; iteration < 3000; iteration++) {
      const index = Math.floor(random() * targets.length);
      const original = targets[index]!;
      let bytes = new Uint8Array(original);
      const mutations = 1 + Math.floor(random() * 3);
      for (let m = 0; m < mutations; m++) {
        const kind = random();
        const at = Math.floor(random() * bytes.length);
        if (kind < 0.4) bytes[at] = Math.floor(random() * 256);
        else if (kind < 0.7 && at + 4 <= bytes.length)
          new DataView(bytes.buffer).setUint32(at, pick(interesting), true);
        else if (kind < 0.8 && at + 8 <= bytes.length)
          new DataView(bytes.buffer).setBigInt64(
            at,
            BigInt(Math.floor(random() * 2 ** 52)) * (random() < 0.5 ? -1n : 1n),
            true,
          );
        else if (kind < 0.9) bytes = bytes.subarray(0, at);
        else
          bytes = Uint8Array.from([
            ...bytes,
            ...Array.from({ length: 1 + Math.floor(random() * 16) }, () => Math.floor(random() * 256)),
          ]);
      }
      const decoder = new FlightDataDecoder();
      try {
        // Replay the stream up to the mutated frame (the schema frame itself may be the target).
        for (let i = 0; i < index; i++) decoder.decode(decodeFlightData(targets[i]!));
        const decoded = decoder.decode(decodeFlightData(bytes));
        if (decoded.kind === "batch") readEverything(decoded.batch);
        accepted++;
      } catch (error) {
        if (!(error instanceof FlightError)) {
          throw new Error(`iteration ${iteration} (frame ${index}) threw a non-FlightError: ${String(error)}`, {
            cause: error,
          });
        }
        rejected++;
      }
    }
    expect(accepted + rejected).toBe(3000);
    expect(rejected).toBeGreaterThan(500);
    expect(accepted).toBeGreaterThan(100);
  });
});

test("unmutated frames of every type decode (the fuzz corpus is valid)", () => {
  const batch = allTypesBatch(6);
  const encoder = new FlightDataEncoder(batch.schema);
  const decoder = new FlightDataDecoder();
  decoder.decode(decodeFlightData(encodeFlightData(encoder.encodeSchema())));
  const kinds = encoder.encodeBatch(batch).map((f) => decoder.decode(decodeFlightData(encodeFlightData(f))).kind);
  expect(kinds).toEqual(["dictionary", "dictionary", "batch"]);
});

test("decoded batches behave like any apache-arrow RecordBatch and re-encode without schema checks", () => {
  const batch = allTypesBatch(10);
  const encoder = new FlightDataEncoder(batch.schema);
  const decoder = new FlightDataDecoder();
  decoder.decode(encoder.encodeSchema());
  const decoded = encoder
    .encodeBatch(batch)
    .map((f) => decoder.decode(f))
    .find((d) => d.kind === "batch") as { batch: RecordBatch };
  const out = decoded.batch;
  expect(out).toBeInstanceOf(RecordBatch);
  expect(out.schema).toBe(decoder.schema);
  expect(out.numRows).toBe(10);
  expect(out.numCols).toBe(batch.numCols);
  expect(out.metadata.size).toBe(0);
  expect(out.slice(2, 5).numRows).toBe(3);
  const int32 = batch.schema.fields.findIndex((f) => f.name === "int32");
  expect(out.selectAt([int32]).getChildAt(0)!.get(2)).toBe(199_993);
  expect(out.toArray()[2]!.toJSON()["utf8"]).toBe("βγ");
  expect(new Table(out).numRows).toBe(10);
  // A decoded batch goes straight back into an encoder for the same schema.
  const again = new FlightDataEncoder(decoder.schema!);
  const second = new FlightDataDecoder();
  second.decode(again.encodeSchema());
  const kinds = again.encodeBatch(out).map((f) => second.decode(f));
  const back = kinds.find((d) => d.kind === "batch") as { batch: RecordBatch };
  expect(batchValues(back.batch)).toEqual(batchValues(batch));
});
