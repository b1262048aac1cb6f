import { describe, expect, it } from "vitest";
import { prng as random } from "./flight-data-helpers.test-kit.js";
import { decodeInPlace, receiveDecoderInstalled } from "./grpc-receive-decoder.js";
import { startTestServer } from "./protocol.test-kit.js";

function framed(size: number, fill: number): Buffer {
  const m = Buffer.alloc(5 + size);
  m.writeUInt32BE(size, 1);
  for (let i = 0; i < size; i++) m[5 + i] = (fill + i * 13) & 0xff;
  return m;
}

function splitAt(all: Buffer, next: () => number, maxChunk: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; ) {
    const n = Math.min(all.length - at, 1 + Math.floor(next() * maxChunk));
    chunks.push(all.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

describe("the in-place receive decoder", () => {
  it("yields exactly the framed messages for every way of cutting the stream into chunks", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = random(seed);
      const messages = Array.from({ length: 1 + Math.floor(next() * 6) }, (_, i) => {
        const roll = next();
        const size = roll < 0.2 ? 0 : roll < 0.5 ? Math.floor(next() * 8) : Math.floor(next() * 40_000);
        return framed(size, seed + i);
      });
      const all = Buffer.concat(messages);
      // Limit 10,000 bytes: larger messages take the collecting path, smaller ones are preallocated.
      const got = decodeInPlace(splitAt(all, next, seed % 3 === 0 ? 7 : 20_000), -1, 10_000);
      const same = Array.isArray(got) && got.length === messages.length && got.every((m, i) => m.equals(messages[i]!));
      expect(same, `seed ${seed}`).toBe(true);
    }
  });

  it("assembles each message in a fresh buffer of its own, 8-aligned, that later chunks do not touch", () => {
    const a = framed(100_000, 1);
    const b = framed(3, 2);
    const chunks = splitAt(Buffer.concat([a, b]), random(7), 16_384).map((c) => Buffer.from(c));
    const got = decodeInPlace(chunks) as Buffer[];
    expect(got.length === 2 && got[0]!.equals(a) && got[1]!.equals(b)).toBe(true);
    expect(got[0]!.byteOffset % 8).toBe(0);
    for (const chunk of chunks) chunk.fill(0);
    expect(got[0]!.equals(a) && got[1]!.equals(b)).toBe(true);
  });

  it("refuses a message over the limit with grpc-js's own error text, before its body arrives", () => {
    expect(decodeInPlace([Buffer.from([0, 0, 0, 1, 0])], 100)).toBe("Received message larger than max (256 vs 100)");
    // Split prefix: the check happens once the 4 length bytes are complete.
    expect(decodeInPlace([Buffer.from([0, 0]), Buffer.from([0, 1, 0])], 100)).toBe(
      "Received message larger than max (256 vs 100)",
    );
    expect(decodeInPlace([framed(100, 0)], 100)).toEqual([framed(100, 0)]);
  });

  it("keeps a partial message across writes and completes it later", () => {
    const m = framed(50, 9);
    expect(decodeInPlace([m.subarray(0, 3)])).toEqual([]);
    expect(decodeInPlace([m.subarray(0, 3), m.subarray(3)])).toEqual([m]);
  });

  it("is installed in grpc-js once a Flight server or client exists", async () => {
    const t = await startTestServer({ listActions: () => [{ type: "x", description: "y" }] });
    try {
      expect(receiveDecoderInstalled()).toBe(true);
      expect(await t.client.listActions()).toEqual([{ type: "x", description: "y" }]);
    } finally {
      await t.close();
    }
  });
});
