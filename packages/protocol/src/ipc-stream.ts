/**
 * Arrow IPC *stream* bytes <-> frames. A worker stores a shard as an IPC stream already
 * cut into FlightData-sized messages, and serves it by splitting the file into frames
 * (views, no copies) and sending each with `encodeFlightData`.
 *
 * Each stream message is: continuation 0xFFFFFFFF, int32 LE metadata length (a multiple
 * of 8 counting the 8 prefix bytes), the `Message` flatbuffer plus padding, then the body
 * of `Message.bodyLength` bytes. A 0 length ends the stream. Legacy streams without the
 * continuation marker (4-byte length) are read too.
 */

import type { FlightDataFrame } from "./flight-data.js";
import { FlightInvalidArgumentError } from "./flight-error.js";
import { readIpcMessage } from "./ipc-message.js";

const CONTINUATION = 0xffffffff;
const EMPTY: Uint8Array = new Uint8Array(0);
const ZEROS = new Uint8Array(8);

/** Split an Arrow IPC *stream* (bytes) into frames {header, body} (views, no copies), validating lengths; stops at the end-of-stream marker. Throws FlightError INVALID_ARGUMENT. */
export function framesFromIpcStream(bytes: Uint8Array): FlightDataFrame[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: FlightDataFrame[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const at = pos;
    if (bytes.length - pos < 4) throw new FlightInvalidArgumentError(`IPC stream truncated at byte ${at}`);
    let length = view.getInt32(pos, true);
    pos += 4;
    if (view.getUint32(at, true) === CONTINUATION) {
      if (bytes.length - pos < 4) throw new FlightInvalidArgumentError(`IPC stream truncated at byte ${at}`);
      length = view.getInt32(pos, true);
      pos += 4;
    }
    if (length === 0) break;
    if (length < 0 || length > bytes.length - pos) {
      throw new FlightInvalidArgumentError(
        `IPC stream message at byte ${at} declares ${length} metadata bytes but ${bytes.length - pos} remain`,
      );
    }
    const header = bytes.subarray(pos, pos + length);
    pos += length;
    const { bodyLength } = readIpcMessage(header);
    if (bodyLength > bytes.length - pos) {
      throw new FlightInvalidArgumentError(
        `IPC stream message at byte ${at} declares a ${bodyLength}-byte body but ${bytes.length - pos} bytes remain`,
      );
    }
    frames.push({ header, appMetadata: EMPTY, body: bytes.subarray(pos, pos + bodyLength) });
    pos += bodyLength;
  }
  return frames;
}

/**
 * Encapsulate frames as an Arrow IPC stream (list of chunks to write, ending with the EOS
 * marker). Chunks are views of the frames plus small prefix and padding arrays; nothing
 * is copied. Metadata-only frames (empty header) are skipped: an IPC stream has no place
 * for app_metadata. Each body is written as `Message.bodyLength` bytes.
 * @throws FlightError INVALID_ARGUMENT when a frame's header is malformed or its body is
 *   shorter than the header declares.
 */
export function ipcStreamFromFrames(frames: Iterable<FlightDataFrame>): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (const frame of frames) {
    const { header, body } = frame;
    if (header.length === 0) continue;
    const { bodyLength } = readIpcMessage(header);
    if (body.length < bodyLength) {
      throw new FlightInvalidArgumentError(`frame body has ${body.length} bytes but its header declares ${bodyLength}`);
    }
    const padding = (8 - (header.length % 8)) % 8;
    const prefix = new Uint8Array(8);
    const view = new DataView(prefix.buffer);
    view.setUint32(0, CONTINUATION, true);
    view.setInt32(4, header.length + padding, true);
    chunks.push(prefix, header);
    if (padding > 0) chunks.push(ZEROS.subarray(0, padding));
    if (bodyLength > 0) chunks.push(body.subarray(0, bodyLength));
  }
  chunks.push(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
  return chunks;
}
