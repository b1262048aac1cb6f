import { describe, expect, test } from "vitest";
import { DEFAULT_MAX_MESSAGE_BYTES, decodeFlightData, encodeFlightData, type FlightDataFrame } from "./flight-data.js";
import { flightDataLayout, GRPC_MESSAGE_PREFIX_BYTES } from "./flight-data-wire.js";
import { FlightError, StatusCode } from "./flight-error.js";

const bytes = (...values: number[]) => new Uint8Array(values);
const EMPTY = new Uint8Array(0);

function frame(parts: Partial<FlightDataFrame>): FlightDataFrame {
  return { header: EMPTY, appMetadata: EMPTY, body: EMPTY, ...parts };
}

function plain(f: FlightDataFrame) {
  return {
    descriptor: f.descriptor === undefined ? undefined : Array.from(f.descriptor),
    header: Array.from(f.header),
    appMetadata: Array.from(f.appMetadata),
    body: Array.from(f.body),
  };
}

function decodeError(input: Uint8Array, maxBytes?: number): FlightError {
  try {
    decodeFlightData(input, maxBytes);
  } catch (error) {
    expect(error).toBeInstanceOf(FlightError);
    return error as FlightError;
  }
  throw new Error("decodeFlightData accepted malformed input");
}

describe("encodeFlightData", () => {
  test("writes the fields in order with their protobuf tags (fixed bytes)", () => {
    const encoded = encodeFlightData(frame({ descriptor: bytes(8, 2), appMetadata: bytes(0xaa, 0xbb) }));
    expect(Array.from(encoded)).toEqual([0x0a, 2, 8, 2, 0x1a, 2, 0xaa, 0xbb]);
  });

  test("pads the header so the body starts 8-aligned after grpc-js's 5-byte prefix (fixed bytes)", () => {
    const encoded = encodeFlightData(frame({ header: bytes(1, 2, 3), body: bytes(9, 9, 9, 9, 9, 9, 9, 9) }));
    // 0x12 len header pad... 0xC2 0x3E len body; (5 + bodyPos) % 8 === 0 gives bodyPos 11: 3 header + 3 pad bytes.
    expect(Array.from(encoded)).toEqual([0x12, 6, 1, 2, 3, 0, 0, 0, 0xc2, 0x3e, 8, 9, 9, 9, 9, 9, 9, 9, 9]);
  });

  test("the body lands 8-aligned for every combination of part sizes", () => {
    for (const descriptor of [-1, 0, 5, 200]) {
      for (const header of [1, 7, 120, 127, 128, 130, 16_383, 16_384]) {
        for (const meta of [0, 1, 300]) {
          for (const body of [8, 1000, 20_000]) {
            const layout = flightDataLayout(descriptor, header, meta, body);
            expect((GRPC_MESSAGE_PREFIX_BYTES + layout.bodyPos) % 8).toBe(0);
            expect(layout.headerPadding).toBeLessThan(16);
          }
        }
      }
    }
  });

  test("round-trips through decodeFlightData, and an empty descriptor stays present", () => {
    const original = frame({
      descriptor: EMPTY,
      header: Uint8Array.from({ length: 300 }, (_, i) => i & 0xff),
      appMetadata: bytes(1),
      body: Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) & 0xff),
    });
    const decoded = decodeFlightData(encodeFlightData(original));
    expect(decoded.descriptor).toBeDefined();
    expect(decoded.descriptor!.length).toBe(0);
    // The header comes back with its alignment padding (zero bytes after the flatbuffer).
    expect(Array.from(decoded.header.subarray(0, 300))).toEqual(Array.from(original.header));
    expect(decoded.header.subarray(300).every((b) => b === 0)).toBe(true);
    expect(Array.from(decoded.body)).toEqual(Array.from(original.body));
    expect(Array.from(decoded.appMetadata)).toEqual([1]);
  });

  test("the default message limit is 2 MiB", () => {
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(2 * 1024 * 1024);
  });
});

describe("decodeFlightData", () => {
  test("fields are views of the input, not copies", () => {
    const input = encodeFlightData(
      frame({ header: bytes(1, 2, 3, 4, 5, 6, 7, 8), body: bytes(4, 4, 4, 4, 4, 4, 4, 4) }),
    );
    const decoded = decodeFlightData(input);
    expect(decoded.body.buffer).toBe(input.buffer);
    expect(decoded.header.buffer).toBe(input.buffer);
    expect(decoded.body).not.toBeInstanceOf(Buffer);
  });

  test("skips unknown fields of every wire type and keeps the last of repeated fields", () => {
    // biome-ignore format: one protobuf field per line.
    const message = bytes(
      0x20, 0xff, 0xff, 0x03, // field 4, varint
      0x29, 1, 2, 3, 4, 5, 6, 7, 8, // field 5, fixed64
      0x35, 1, 2, 3, 4, // field 6, fixed32
      0x3a, 2, 0xee, 0xee, // field 7, length-delimited
      0x12, 1, 0x11, // header = [0x11]
      0x12, 2, 0x22, 0x22, // header again: last one wins
      0xc2, 0x3e, 1, 0x33, // body
      0xa0, 0x1f, 0x01, // field 500, varint
    );
    expect(plain(decodeFlightData(message))).toEqual({
      descriptor: undefined,
      header: [0x22, 0x22],
      appMetadata: [],
      body: [0x33],
    });
  });

  test("an empty message is a frame with every field empty", () => {
    expect(plain(decodeFlightData(EMPTY))).toEqual({ descriptor: undefined, header: [], appMetadata: [], body: [] });
  });

  test.each([
    ["truncated tag", bytes(0x80), /truncated field tag/],
    ["tag varint too long", bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), /tag varint is too long/],
    ["field number 0", bytes(0x02, 0x00), /field number 0/],
    ["truncated length", bytes(0x12, 0x80), /truncated length of field 2/],
    [
      "length varint overflow",
      bytes(0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
      /length varint of field 2 is too long/,
    ],
    ["length past the end", bytes(0x12, 0x05, 1, 2), /field 2 claims 5 bytes but only 2 remain/],
    ["huge length", bytes(0xc2, 0x3e, 0xff, 0xff, 0xff, 0xff, 0x0f), /field 1000 claims 4294967295 bytes/],
    ["wrong wire type for header", bytes(0x10, 0x01), /field 2 has wire type 0/],
    ["wrong wire type for body", bytes(0xc5, 0x3e, 1, 2, 3, 4), /field 1000 has wire type 5/],
    ["group wire type", bytes(0x23, 0x24), /unsupported wire type 3/],
    ["reserved wire type", bytes(0x26), /unsupported wire type 6/],
    ["truncated unknown varint", bytes(0x20, 0x80), /truncated varint of field 4/],
    ["unknown varint too long", bytes(0x20, ...new Array<number>(11).fill(0x80), 1), /varint of field 4 is too long/],
    ["truncated fixed64", bytes(0x29, 1, 2, 3), /truncated fixed-size field 5/],
  ])("%s is INVALID_ARGUMENT", (_name, input, message) => {
    const error = decodeError(input);
    expect(error.code).toBe(StatusCode.INVALID_ARGUMENT);
    expect(error.message).toMatch(/malformed FlightData/);
    expect(error.message).toMatch(message);
  });

  test("a message over maxBytes is RESOURCE_EXHAUSTED", () => {
    const input = encodeFlightData(frame({ body: new Uint8Array(1000) }));
    const error = decodeError(input, 999);
    expect(error.code).toBe(StatusCode.RESOURCE_EXHAUSTED);
    expect(error.message).toMatch(/exceeds the limit of 999 bytes/);
    expect(decodeFlightData(input, input.length).body.length).toBe(1000);
  });
});
