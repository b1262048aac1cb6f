import {
  Dictionary,
  Field,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Utf8,
  type Vector,
  vectorFromArray,
} from "apache-arrow";
import { describe, expect, test } from "vitest";
import { decodeFlightData, encodeFlightData, type FlightDataFrame } from "./flight-data.js";
import { type DecodedFlightData, FlightDataDecoder } from "./flight-data-decoder.js";
import { FlightDataEncoder } from "./flight-data-encoder.js";

/** Send a frame through encodeFlightData/decodeFlightData as grpc-js would deliver it (payload at offset 5). */
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

describe("dictionaries", () => {
  const type = () => new Dictionary(new Utf8(), new Int32(), 7);
  const schemaOf = () => new Schema([new Field("color", type(), true)]);
  const batchWith = (schema: Schema, dictionary: Vector<Utf8>, indices: number[]) =>
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

  test("a growing dictionary (Vector.concat) is sent as deltas with only the new entries", () => {
    const schema = schemaOf();
    const first = vectorFromArray(["red", "green"], new Utf8());
    const second = first.concat(vectorFromArray(["blue"], new Utf8()));
    const third = second.concat(vectorFromArray(["cyan", "pink"], new Utf8()));
    const encoder = new FlightDataEncoder(schema);
    const decoder = new FlightDataDecoder();
    decoder.decode(overTheWire(encoder.encodeSchema()));
    const rounds = [
      [first, [0, 1, 1]],
      [second, [2, 0]],
      [second, [1, 2]],
      [third, [4, 3, 0]],
    ] as const;
    const seen: string[] = [];
    for (const [dictionary, indices] of rounds) {
      const decoded = decodeAll(encoder.encodeBatch(batchWith(schema, dictionary, [...indices])), decoder);
      seen.push(
        decoded
          .map((d) => (d.kind === "dictionary" ? `dict(${d.id},${d.isDelta ? "delta" : "replace"})` : d.kind))
          .join(" "),
      );
      const [batch] = batchesOf(decoded);
      expect([...batch!.getChild("color")!]).toEqual(indices.map((i) => dictionary.get(i)));
    }
    expect(seen).toEqual(["dict(7,replace) batch", "dict(7,delta) batch", "batch", "dict(7,delta) batch"]);
  });

  test("the delta frame carries only the appended entries", () => {
    const schema = schemaOf();
    const first = vectorFromArray(["a", "b", "c"], new Utf8());
    const grown = first.concat(vectorFromArray(["d"], new Utf8()));
    const encoder = new FlightDataEncoder(schema);
    encoder.encodeBatch(batchWith(schema, first, [0]));
    const frames = encoder.encodeBatch(batchWith(schema, grown, [3]));
    expect(frames.length).toBe(2);
    // A DictionaryBatch of one Utf8 row: body = offsets (8 bytes) + "d" padded to 8.
    expect(frames[0]!.body.length).toBe(16);
  });

  test("a replaced dictionary is sent whole and earlier batches keep their values", () => {
    const schema = schemaOf();
    const encoder = new FlightDataEncoder(schema);
    const decoder = new FlightDataDecoder();
    decoder.decode(encoder.encodeSchema());
    const a = decodeAll(
      encoder.encodeBatch(batchWith(schema, vectorFromArray(["x", "y"], new Utf8()), [0, 1])),
      decoder,
    );
    const b = decodeAll(
      encoder.encodeBatch(batchWith(schema, vectorFromArray(["p", "q", "r"], new Utf8()), [2, 0])),
      decoder,
    );
    expect(b[0]).toMatchObject({ kind: "dictionary", id: 7, isDelta: false });
    expect([...batchesOf(b)[0]!.getChild("color")!]).toEqual(["r", "p"]);
    expect([...batchesOf(a)[0]!.getChild("color")!]).toEqual(["x", "y"]);
  });

  test("an equal dictionary in a new Vector is not resent; one that extends it by value is a delta", () => {
    const schema = schemaOf();
    const encoder = new FlightDataEncoder(schema);
    encoder.encodeBatch(batchWith(schema, vectorFromArray(["x", "y"], new Utf8()), [0]));
    expect(encoder.encodeBatch(batchWith(schema, vectorFromArray(["x", "y"], new Utf8()), [1])).length).toBe(1);
    const frames = encoder.encodeBatch(batchWith(schema, vectorFromArray(["x", "y", "z"], new Utf8()), [2]));
    const decoder = new FlightDataDecoder();
    decoder.decode(encoder.encodeSchema());
    expect(frames.length).toBe(2);
    expect(decoder.decode(frames[0]!)).toMatchObject({ kind: "dictionary", isDelta: true });
  });

  test("a dictionary bigger than the message limit is split into a replacement and deltas", () => {
    const schema = schemaOf();
    const words = Array.from({ length: 20_000 }, (_, i) => `word-${i}-${"z".repeat(i % 13)}`);
    const dictionary = vectorFromArray(words, new Utf8());
    const indices = Array.from({ length: 1000 }, (_, i) => (i * 7919) % words.length);
    const encoder = new FlightDataEncoder(schema, { maxMessageBytes: 64 * 1024 });
    const decoder = new FlightDataDecoder();
    decoder.decode(encoder.encodeSchema());
    const frames = encoder.encodeBatch(batchWith(schema, dictionary, indices));
    expect(Math.max(...frames.map((f) => encodeFlightData(f).length))).toBeLessThanOrEqual(64 * 1024);
    const decoded = decodeAll(frames, decoder);
    const kinds = decoded.map((d) => (d.kind === "dictionary" ? (d.isDelta ? "delta" : "replace") : d.kind));
    expect(kinds[0]).toBe("replace");
    expect(kinds.filter((k) => k === "delta").length).toBeGreaterThan(0);
    expect([...batchesOf(decoded)[0]!.getChild("color")!]).toEqual(indices.map((i) => words[i]));
  });

  test("dictionary ids come from the encoder's schema, not the batch's types", () => {
    const table = new Table({ c: vectorFromArray(["a", "b", "a"], new Dictionary(new Utf8(), new Int32())) });
    const schema = new Schema([new Field("c", new Dictionary(new Utf8(), new Int32(), 42), true)]);
    const encoder = new FlightDataEncoder(schema);
    const decoded = decodeAll([encoder.encodeSchema(), ...encoder.encodeBatch(table.batches[0]!)]);
    expect(decoded[1]).toMatchObject({ kind: "dictionary", id: 42 });
    expect([...batchesOf(decoded)[0]!.getChild("c")!]).toEqual(["a", "b", "a"]);
  });
});
