/**
 * Decompressing IPC bodies (BodyCompression, method BUFFER): each buffer is an int64
 * little-endian uncompressed length (-1 = stored uncompressed) followed by the codec's
 * frame. Codecs come from apache-arrow's `compressionRegistry` (none is built in: Node has
 * no LZ4, and ZSTD only from Node 22.15), so a compressed stream without a registered codec
 * is rejected with a clear error.
 */

import { CompressionType, compressionRegistry } from "apache-arrow";
import type { FlatbufferReader } from "./ipc-flatbuffer.js";
import type { RecordBatchHeader } from "./ipc-message.js";

const codecNames: Record<number, string> = { 0: "LZ4_FRAME", 1: "ZSTD" };

/**
 * Decompress every buffer of a compressed body.
 * @param maxBytes - upper bound on the total decompressed size, in bytes; checked against
 *   the declared sizes before any codec runs.
 * @returns one Uint8Array per buffer of the header, in order.
 * @throws FlightError INVALID_ARGUMENT for an unknown or unregistered codec, buffers out of
 *   bounds, declared sizes over `maxBytes`, or codec output of the wrong size.
 */
export function decompressBuffers(
  reader: FlatbufferReader,
  header: RecordBatchHeader,
  body: Uint8Array,
  maxBytes: number,
): Uint8Array[] {
  const name = codecNames[header.codec] ?? `codec ${header.codec}`;
  if (header.codec !== CompressionType.LZ4_FRAME && header.codec !== CompressionType.ZSTD) {
    throw reader.error(`body compression ${name} is unknown`);
  }
  const codec = compressionRegistry.get(header.codec);
  if (codec?.decode === undefined) {
    throw reader.error(
      `body is compressed with ${name} but no codec is registered (apache-arrow compressionRegistry.set)`,
    );
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const regions: Uint8Array[] = [];
  let declaredTotal = 0;
  const sizes: number[] = [];
  for (let i = 0; i < header.bufferCount; i++) {
    const pos = header.buffers + 16 * i;
    const offset = reader.int64At(pos, "buffer offset");
    const length = reader.int64At(pos + 8, "buffer length");
    if (offset < 0 || length < 0 || offset + length > body.length) {
      throw reader.error(`compressed buffer ${i} [${offset}, +${length}) lies outside the ${body.length}-byte body`);
    }
    if (length === 0) {
      regions.push(body.subarray(offset, offset));
      sizes.push(0);
      continue;
    }
    if (length < 8) throw reader.error(`compressed buffer ${i} is shorter than its 8-byte length prefix`);
    const low = view.getUint32(offset, true);
    const high = view.getInt32(offset + 4, true);
    const size = high === -1 && low === 0xffffffff ? -1 : high !== 0 ? Number.POSITIVE_INFINITY : low;
    if (size !== -1) declaredTotal += size;
    if (declaredTotal > maxBytes) {
      throw reader.error(`compressed body declares more than the ${maxBytes}-byte decompression limit`);
    }
    regions.push(body.subarray(offset + 8, offset + length));
    sizes.push(size);
  }
  return regions.map((region, i) => {
    const size = sizes[i]!;
    if (size === -1 || region.length === 0) return region;
    let out: Uint8Array;
    try {
      out = codec.decode!(region);
    } catch (cause) {
      throw reader.error(`${name} decompression of buffer ${i} failed: ${String(cause)}`);
    }
    if (out.length !== size) {
      throw reader.error(`buffer ${i} decompressed to ${out.length} bytes, declared ${size}`);
    }
    return out;
  });
}
