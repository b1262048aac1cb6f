/**
 * A decoder for the LZ4 frame format, the buffer compression pyarrow uses by default
 * for Feather v2 files (`LZ4_FRAME` in Arrow IPC). apache-arrow ships no codecs;
 * {@link registerIpcCodecs} plugs this one in.
 *
 * Written from the LZ4 frame and block format descriptions: a frame is a magic
 * number, a descriptor, a sequence of blocks (compressed or stored) ending with a
 * zero-length mark, and an optional xxHash32 of the content. Blocks may refer back
 * into earlier blocks, so everything decodes into one growing output buffer.
 * Every read is bounds-checked: corrupt input throws {@link Lz4FormatError}, never
 * reads out of range or loops.
 */
import { CompressionType, compressionRegistry } from "apache-arrow";
import { CliError } from "./cli-error.js";

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** Largest output accepted, in bytes (a guard against decompression bombs). */
export const MAX_LZ4_OUTPUT_BYTES = 2 ** 31 - 1;

/** Corrupt or unsupported LZ4 data. */
export class Lz4FormatError extends CliError {
  constructor(problem: string) {
    super("CLI_BAD_INPUT_FILE", `corrupt LZ4-compressed buffer: ${problem}`);
  }
}

class Output {
  bytes: Uint8Array;
  length = 0;
  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(64, capacity));
  }
  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    if (needed > MAX_LZ4_OUTPUT_BYTES) throw new Lz4FormatError("output larger than 2 GiB");
    let capacity = this.bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(Math.min(capacity, MAX_LZ4_OUTPUT_BYTES));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}

function readU32(data: Uint8Array, at: number): number {
  if (at + 4 > data.length) throw new Lz4FormatError("truncated");
  return (
    ((data[at] ?? 0) | ((data[at + 1] ?? 0) << 8) | ((data[at + 2] ?? 0) << 16) | ((data[at + 3] ?? 0) << 24)) >>> 0
  );
}

/** Decode one LZ4 block (`data[start, end)`) onto `out`. */
function decodeBlock(data: Uint8Array, start: number, end: number, out: Output): void {
  let at = start;
  const byte = (): number => {
    if (at >= end) throw new Lz4FormatError("block ends inside a sequence");
    return data[at++] ?? 0;
  };
  const extendedLength = (base: number): number => {
    let length = base;
    if (base === 15) {
      let next: number;
      do {
        next = byte();
        length += next;
      } while (next === 255);
    }
    return length;
  };
  while (at < end) {
    const token = byte();
    const literals = extendedLength(token >>> 4);
    if (at + literals > end) throw new Lz4FormatError("literals run past the block");
    out.reserve(literals);
    out.bytes.set(data.subarray(at, at + literals), out.length);
    out.length += literals;
    at += literals;
    if (at === end) return; // the last sequence has literals only
    const offset = byte() | (byte() << 8);
    if (offset === 0 || offset > out.length) throw new Lz4FormatError("match offset out of range");
    const matchLength = extendedLength(token & 15) + 4;
    out.reserve(matchLength);
    const bytes = out.bytes;
    let from = out.length - offset;
    let to = out.length;
    if (offset >= matchLength) {
      bytes.copyWithin(to, from, from + matchLength);
    } else {
      // Overlapping match: the copy reads bytes it has just written (run-length style).
      for (let i = 0; i < matchLength; i++) bytes[to++] = bytes[from++] ?? 0;
    }
    out.length += matchLength;
  }
}

/**
 * Decode one or more concatenated LZ4 frames.
 * @param sizeHint expected output size in bytes, if known (saves re-allocations).
 * @throws Lz4FormatError on corrupt input, dictionary frames, or a content checksum mismatch.
 */
export function decodeLz4Frames(data: Uint8Array, sizeHint = data.length * 4): Uint8Array {
  const out = new Output(sizeHint);
  let at = 0;
  while (at < data.length) {
    const magic = readU32(data, at);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      at += 8 + readU32(data, at + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) throw new Lz4FormatError("not an LZ4 frame (bad magic number)");
    at += 4;
    if (at + 2 > data.length) throw new Lz4FormatError("truncated frame descriptor");
    const flags = data[at] ?? 0;
    if (flags >>> 6 !== 1) throw new Lz4FormatError(`unsupported frame version ${flags >>> 6}`);
    const blockChecksum = (flags & 0x10) !== 0;
    const contentSize = (flags & 0x08) !== 0;
    const contentChecksum = (flags & 0x04) !== 0;
    if ((flags & 0x01) !== 0) throw new Lz4FormatError("frames with a dictionary are not supported");
    at += 2 + (contentSize ? 8 : 0) + 1; // FLG, BD, content size, header checksum
    const frameStart = out.length;
    for (;;) {
      const word = readU32(data, at);
      at += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (at + size > data.length) throw new Lz4FormatError("block runs past the end of the data");
      if ((word & 0x80000000) !== 0) {
        out.reserve(size);
        out.bytes.set(data.subarray(at, at + size), out.length);
        out.length += size;
      } else {
        decodeBlock(data, at, at + size, out);
      }
      at += size + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) {
      const expected = readU32(data, at);
      at += 4;
      if (xxHash32(out.bytes.subarray(frameStart, out.length)) !== expected) {
        throw new Lz4FormatError("content checksum mismatch");
      }
    }
  }
  return out.bytes.subarray(0, out.length);
}

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, P2)) >>> 0, 13), P1) >>> 0;
}

/** xxHash32 of `data` with seed 0 (the LZ4 frame's content checksum). */
export function xxHash32(data: Uint8Array, seed = 0): number {
  const length = data.length;
  let at = 0;
  let hash: number;
  if (length >= 16) {
    let v1 = (seed + P1 + P2) >>> 0;
    let v2 = (seed + P2) >>> 0;
    let v3 = seed >>> 0;
    let v4 = (seed - P1) >>> 0;
    while (at + 16 <= length) {
      v1 = round(v1, readU32(data, at));
      v2 = round(v2, readU32(data, at + 4));
      v3 = round(v3, readU32(data, at + 8));
      v4 = round(v4, readU32(data, at + 12));
      at += 16;
    }
    hash = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else {
    hash = (seed + P5) >>> 0;
  }
  hash = (hash + length) >>> 0;
  while (at + 4 <= length) {
    hash = Math.imul(rotl((hash + Math.imul(readU32(data, at), P3)) >>> 0, 17), P4) >>> 0;
    at += 4;
  }
  while (at < length) {
    hash = Math.imul(rotl((hash + Math.imul(data[at] ?? 0, P5)) >>> 0, 11), P1) >>> 0;
    at += 1;
  }
  hash ^= hash >>> 15;
  hash = Math.imul(hash, P2) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, P3) >>> 0;
  hash ^= hash >>> 16;
  return hash >>> 0;
}

let registered = false;

/**
 * Teach apache-arrow's IPC readers to decode LZ4_FRAME-compressed buffers, and to
 * fail clearly on ZSTD (no ZSTD decoder is available on Node 20). Idempotent.
 */
export function registerIpcCodecs(): void {
  if (registered) return;
  registered = true;
  compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (bytes) => decodeLz4Frames(bytes) });
  compressionRegistry.set(CompressionType.ZSTD, {
    decode: () => {
      throw new CliError(
        "CLI_BAD_INPUT_FILE",
        "the file's buffers are ZSTD-compressed, which this tool cannot decode; rewrite it uncompressed or with LZ4 " +
          "(pyarrow: feather.write_feather(table, path, compression='lz4'))",
      );
    },
  });
}
