import {
  Dictionary,
  Field,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  tableFromIPC,
  tableToIPC,
  Utf8,
  type Vector,
  vectorFromArray,
} from "apache-arrow";
import { describe, expect, test } from "vitest";
import { encodeFlightData, type FlightDataFrame } from "./flight-data.js";
import { type DecodedFlightData, FlightDataDecoder } from "./flight-data-decoder.js";
import { FlightDataEncoder } from "./flight-data-encoder.js";
import { allTypesBatch } from "./flight-data-fixtures.test-kit.js";
import { batchValues, runPython } from "./flight-data-helpers.test-kit.js";
import { FlightError, StatusCode } from "./flight-error.js";
import { framesFromIpcStream, ipcStreamFromFrames } from "./ipc-stream.js";

const concat = (chunks: readonly Uint8Array[]) => new Uint8Array(Buffer.concat(chunks));

function decodeStream(bytes: Uint8Array): { decoded: DecodedFlightData[]; batches: RecordBatch[] } {
  const decoder = new FlightDataDecoder();
  const decoded = framesFromIpcStream(bytes).map((f) => decoder.decode(f));
  return { decoded, batches: decoded.flatMap((d) => (d.kind === "batch" ? [d.batch] : [])) };
}

function streamOf(batches: readonly RecordBatch[], maxMessageBytes?: number): Uint8Array {
  const encoder = new FlightDataEncoder(batches[0]!.schema, maxMessageBytes === undefined ? {} : { maxMessageBytes });
  const frames: FlightDataFrame[] = [encoder.encodeSchema(), ...batches.flatMap((b) => encoder.encodeBatch(b))];
  return concat(ipcStreamFromFrames(frames));
}

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

describe("IPC stream framing", () => {
  test("frames -> stream -> frames keeps headers and bodies (views of the stream, 8-aligned)", () => {
    const batch = allTypesBatch(9);
    const encoder = new FlightDataEncoder(batch.schema);
    const frames = [encoder.encodeSchema(), encoder.encodeMetadata(new Uint8Array([1])), ...encoder.encodeBatch(batch)];
    const stream = concat(ipcStreamFromFrames(frames));
    const back = framesFromIpcStream(stream);
    const withHeaders = frames.filter((f) => f.header.length > 0);
    expect(back.length).toBe(withHeaders.length);
    back.forEach((f, i) => {
      expect(Array.from(f.header.subarray(0, withHeaders[i]!.header.length))).toEqual(
        Array.from(withHeaders[i]!.header),
      );
      expect(Array.from(f.body)).toEqual(Array.from(withHeaders[i]!.body));
      expect(f.body.buffer).toBe(stream.buffer);
      expect((f.header.byteOffset - stream.byteOffset) % 8).toBe(0);
      expect((f.body.byteOffset - stream.byteOffset) % 8).toBe(0);
    });
    expect(Array.from(stream.subarray(-8))).toEqual([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  });

  test("encoder frames stored as a stream and read back re-encode to messages of the same size", () => {
    const batch = allTypesBatch(200);
    const encoder = new FlightDataEncoder(batch.schema, { maxMessageBytes: 4096 });
    const frames = [encoder.encodeSchema(), ...encoder.encodeBatch(batch)];
    const sizes = frames.map((f) => encodeFlightData(f).length);
    expect(sizes.length).toBeGreaterThan(3);
    const stored = framesFromIpcStream(concat(ipcStreamFromFrames(frames)));
    expect(stored.map((f) => encodeFlightData(f).length)).toEqual(sizes);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4096);
  });

  test("apache-arrow reads our streams and we read apache-arrow's", () => {
    const batch = allTypesBatch(12);
    const ours = tableFromIPC(streamOf([batch]));
    expect(ours.numRows).toBe(12);
    expect([...ours.getChild("utf8")!]).toEqual([...batch.getChild("utf8")!]);
    const theirs = tableToIPC(ours, "stream");
    const { batches } = decodeStream(theirs);
    expect(batchValues(batches[0]!)).toEqual(batchValues(batch));
  });

  test("a stream without the end-of-stream marker ends at its last complete message", () => {
    const stream = streamOf([allTypesBatch(3)]);
    const { batches } = decodeStream(stream.subarray(0, stream.length - 8));
    expect(batches.map((b) => b.numRows)).toEqual([3]);
  });

  test("truncated streams and impossible lengths are INVALID_ARGUMENT", () => {
    const stream = streamOf([allTypesBatch(3)]);
    const firstLength = new DataView(stream.buffer, stream.byteOffset).getInt32(4, true);
    expectInvalid(() => framesFromIpcStream(stream.subarray(0, 6)), /truncated at byte 0/);
    expectInvalid(() => framesFromIpcStream(stream.subarray(0, 8 + firstLength - 1)), /declares \d+ metadata bytes/);
    const lastMessageCut = stream.subarray(0, stream.length - 8 - 8);
    expectInvalid(() => framesFromIpcStream(lastMessageCut), /body but \d+ bytes remain/);
    const negative = stream.slice();
    new DataView(negative.buffer).setInt32(4, -16, true);
    expectInvalid(() => framesFromIpcStream(negative), /declares -16 metadata bytes/);
    const garbage = stream.slice();
    garbage.fill(0x41, 8, 8 + firstLength);
    expectInvalid(() => framesFromIpcStream(garbage), /invalid IPC message header/);
  });

  test("ipcStreamFromFrames rejects a body shorter than its header declares", () => {
    const batch = allTypesBatch(3);
    const encoder = new FlightDataEncoder(batch.schema);
    const [frame] = encoder.encodeBatch(batch).slice(-1);
    expectInvalid(() => ipcStreamFromFrames([{ ...frame!, body: frame!.body.subarray(8) }]), /frame body has/);
  });
});

describe("pyarrow interop", () => {
  test("pyarrow validates our stream of every type, and its re-serialization decodes to the same values", () => {
    const batch = allTypesBatch(31);
    const slice = batch.slice(5, 29);
    const stream = streamOf([batch, slice], 64 * 1024);
    const script = `
import sys, pyarrow as pa
reader = pa.ipc.open_stream(sys.stdin.buffer.read())
batches = list(reader)
for b in batches:
    b.validate(full=True)
sink = pa.BufferOutputStream()
with pa.ipc.new_stream(sink, reader.schema) as writer:
    for b in batches:
        writer.write_batch(b)
sys.stdout.buffer.write(sink.getvalue().to_pybytes())
sys.stderr.write(" ".join(str(b.num_rows) for b in batches))
`;
    const echoed = runPython(script, stream);
    const { decoded, batches } = decodeStream(echoed);
    expect(decoded[0]!.kind).toBe("schema");
    expect(batches.map((b) => b.numRows)).toEqual([31, 24]);
    const expected = [batchValues(batch), batchValues(slice)];
    batches.forEach((b, i) => {
      const actual = batchValues(b);
      for (const name of Object.keys(expected[i]!))
        expect(actual[name], `${name} (batch ${i})`).toEqual(expected[i]![name]);
    });
  });

  test("pyarrow follows our delta and replacement dictionaries", () => {
    const schema = new Schema([new Field("c", new Dictionary(new Utf8(), new Int32(), 3), true)]);
    const batchWith = (dictionary: Vector<Utf8>, indices: number[]) =>
      new RecordBatch(
        schema,
        makeData({
          type: new Struct(schema.fields),
          length: indices.length,
          children: [
            makeData({
              type: schema.fields[0]!.type as Dictionary<Utf8, Int32>,
              length: indices.length,
              data: Int32Array.from(indices),
              dictionary,
            }),
          ],
        }),
      );
    const first = vectorFromArray(["a", "b"], new Utf8());
    const grown = first.concat(vectorFromArray(["c"], new Utf8()));
    const replaced = vectorFromArray(["x", "y", "z"], new Utf8());
    const stream = streamOf([batchWith(first, [0, 1]), batchWith(grown, [2, 0]), batchWith(replaced, [2, 1, 0])]);
    const script = `
import sys, json, pyarrow as pa
reader = pa.ipc.open_stream(sys.stdin.buffer.read())
print(json.dumps([b.column(0).to_pylist() for b in reader]))
`;
    expect(JSON.parse(runPython(script, stream).toString())).toEqual([
      ["a", "b"],
      ["c", "a"],
      ["z", "y", "x"],
    ]);
  });

  test("we decode pyarrow's string_view and binary_view columns", () => {
    const script = `
import sys, json, pyarrow as pa
values = [None if i % 4 == 1 else ("short%d" % i if i % 2 == 0 else "a string longer than twelve bytes %d" % i) for i in range(20)]
t = pa.table({"sv": pa.array(values, pa.string_view()), "bv": pa.array([None if v is None else v.encode() for v in values], pa.binary_view())})
sink = pa.BufferOutputStream()
with pa.ipc.new_stream(sink, t.schema) as w:
    w.write_table(t.slice(2))
print(json.dumps({"stream": sink.getvalue().to_pybytes().hex(), "values": values[2:]}))
`;
    const out = JSON.parse(runPython(script).toString()) as { stream: string; values: (string | null)[] };
    const { batches } = decodeStream(Buffer.from(out.stream, "hex"));
    expect([...batches[0]!.getChild("sv")!]).toEqual(out.values);
    const binary = [...batches[0]!.getChild("bv")!].map((v) =>
      v === null ? null : new TextDecoder().decode(v as Uint8Array),
    );
    expect(binary).toEqual(out.values);
  });

  test("we decode pyarrow's streams: nested, large, sliced, dictionary deltas and the legacy format", () => {
    const script = `
import sys, json, pyarrow as pa
n = 50
ints = pa.array([None if i % 7 == 3 else i * 1000 for i in range(n)], pa.int32())
table = pa.table({
    "i32": ints,
    "i64": pa.array([i * -(2 ** 40) for i in range(n)], pa.int64()),
    "f64": pa.array([i / 4 for i in range(n)], pa.float64()),
    "s": pa.array([None if i % 5 == 0 else "v%d" % i for i in range(n)], pa.string()),
    "ls": pa.array(["L%d" % i for i in range(n)], pa.large_string()),
    "b": pa.array([i % 3 == 0 for i in range(n)], pa.bool_()),
    "lst": pa.array([[j for j in range(i % 4)] for i in range(n)], pa.list_(pa.int32())),
    "st": pa.array([{"a": i, "b": str(i)} for i in range(n)], pa.struct([("a", pa.int32()), ("b", pa.string())])),
    "bin": pa.array([bytes([i, i + 1]) for i in range(n)], pa.binary()),
})
sliced = table.slice(3, 40)
dict_table = pa.table({"d": pa.array(["p", "q", "p"]).dictionary_encode()})
grown = pa.table({"d": pa.DictionaryArray.from_arrays(pa.array([3, 0], pa.int32()), pa.array(["p", "q", "r", "s"]))})
out = {}
def stream(batches, schema, **options):
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema, options=pa.ipc.IpcWriteOptions(**options)) as writer:
        for b in batches:
            writer.write_batch(b)
    return sink.getvalue().to_pybytes().hex()
def values(t):
    cols = {}
    for name in t.column_names:
        typ = t.schema.field(name).type
        vals = t.column(name).to_pylist()
        if typ == pa.int64():
            vals = [None if v is None else "%dn" % v for v in vals]
        if typ == pa.binary():
            vals = [None if v is None else list(v) for v in vals]
        cols[name] = vals
    return cols
out["table"] = stream(sliced.to_batches(max_chunksize=16), table.schema)
out["legacy"] = stream(sliced.to_batches(), table.schema, use_legacy_format=True)
out["values"] = values(sliced)
out["dict"] = stream(dict_table.to_batches() + grown.to_batches(), dict_table.schema, emit_dictionary_deltas=True)
print(json.dumps(out))
`;
    const out = JSON.parse(runPython(script).toString()) as Record<string, unknown>;
    const expected = out["values"] as Record<string, unknown[]>;
    for (const key of ["table", "legacy"]) {
      const { batches } = decodeStream(Buffer.from(out[key] as string, "hex"));
      expect(
        batches.reduce((n, b) => n + b.numRows, 0),
        key,
      ).toBe(40);
      const actual: Record<string, unknown[]> = {};
      for (const b of batches) {
        for (const [name, v] of Object.entries(batchValues(b))) actual[name] = [...(actual[name] ?? []), ...v];
      }
      for (const name of Object.keys(expected)) expect(actual[name], `${key}.${name}`).toEqual(expected[name]);
    }
    const dict = decodeStream(Buffer.from(out["dict"] as string, "hex"));
    const kinds = dict.decoded.map((d) =>
      d.kind === "dictionary" ? `dictionary${d.isDelta ? "+delta" : ""}` : d.kind,
    );
    expect(kinds).toEqual(["schema", "dictionary", "batch", "dictionary+delta", "batch"]);
    expect(dict.batches.map((b) => [...b.getChild("d")!])).toEqual([
      ["p", "q", "p"],
      ["s", "p"],
    ]);
  });
});
