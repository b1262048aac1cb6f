/**
 * Zero-copy codec for the FlightData protobuf message, the hot path of Flight.
 *
 * FlightData { flight_descriptor = 1; data_header = 2; app_metadata = 3; data_body = 1000 }.
 * Decoding returns views (subarrays) of the input; encoding writes one buffer and pads
 * the IPC header so that, inside a gRPC message (5-byte prefix), the body starts on an
 * 8-byte boundary and apache-arrow can decode it without copying.
 */

import { encodedMessageOf, flightDataLayout, writeFlightDataFraming } from "./flight-data-wire.js";
import { FlightInvalidArgumentError, FlightResourceExhaustedError } from "./flight-error.js";
import { allocateGrpcMessage } from "./grpc-framed-send.js";

/** One FlightData message, split into its fields. All fields are views, never copies. */
export interface FlightDataFrame {
  /** Raw bytes of the FlightDescriptor sub-message (first message of DoPut/DoExchange), if present. */
  readonly descriptor?: Uint8Array | undefined;
  /** The IPC `Message` flatbuffer (no continuation marker, no length prefix). Empty for metadata-only messages. */
  readonly header: Uint8Array;
  /** Application metadata; empty when absent. */
  readonly appMetadata: Uint8Array;
  /** The IPC message body; empty when absent. */
  readonly body: Uint8Array;
}

/** Default upper bound for one outgoing FlightData message: 2 MiB (below the 4 MiB receive default of grpc-js, arrow-go and arrow-rs). */
export const DEFAULT_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * Serialize a frame to protobuf FlightData bytes (what a grpc-js serializer returns).
 *
 * Copies each field once into one new Buffer (frames produced by `FlightDataEncoder` are
 * already encoded and are returned as they are, without a copy). When the frame has both a
 * header and a body, the header is padded with zero bytes (harmless after a flatbuffer) so
 * that the body starts at a position `p` with `(5 + p) % 8 === 0`. This assumes the
 * transport is grpc-js, which prefixes every message with 5 bytes and hands the receiver's
 * deserializer a view at offset 5 of a freshly allocated (8-aligned) buffer: the body then
 * arrives 8-aligned and `FlightDataDecoder` uses it without copying. Another transport
 * still decodes correctly, at the cost of one copy of the body.
 *
 * An empty `descriptor` is written (present but empty); an absent one is omitted. Empty
 * header, app metadata and body are omitted.
 */
export function encodeFlightData(frame: FlightDataFrame): Buffer {
  const cached = encodedMessageOf(frame);
  if (cached !== undefined) return cached;
  const descriptorLength = frame.descriptor === undefined ? -1 : frame.descriptor.length;
  const { header, appMetadata, body } = frame;
  const layout = flightDataLayout(descriptorLength, header.length, appMetadata.length, body.length);
  const out = allocateGrpcMessage(layout.size, layout.bodyPos);
  writeFlightDataFraming(out, layout, descriptorLength, header.length, appMetadata.length, body.length);
  if (frame.descriptor !== undefined && layout.descriptorPos >= 0) out.set(frame.descriptor, layout.descriptorPos);
  if (layout.headerPos >= 0) out.set(header, layout.headerPos);
  if (layout.appMetadataPos >= 0) out.set(appMetadata, layout.appMetadataPos);
  if (layout.bodyPos >= 0) out.set(body, layout.bodyPos);
  return out;
}

function malformed(what: string): FlightInvalidArgumentError {
  return new FlightInvalidArgumentError(`malformed FlightData: ${what}`);
}

/**
 * Parse protobuf FlightData. The fields of the result are views of `bytes` (no copies);
 * absent fields are empty arrays (and `descriptor` is `undefined`). Unknown fields are
 * skipped, as protobuf requires; a repeated field keeps its last value.
 *
 * @param bytes - one complete FlightData message (without the gRPC 5-byte prefix).
 * @param maxBytes - largest accepted message in bytes; unlimited when omitted (the
 *   transport's receive limit applies before this).
 * @throws FlightError RESOURCE_EXHAUSTED when `bytes` is longer than `maxBytes`;
 *   INVALID_ARGUMENT when the message is not valid protobuf (truncated field, varint
 *   overflow, length past the end, group or reserved wire type, wrong wire type for a
 *   FlightData field).
 */
export function decodeFlightData(bytes: Uint8Array, maxBytes: number = Number.POSITIVE_INFINITY): FlightDataFrame {
  if (bytes.length > maxBytes) {
    throw new FlightResourceExhaustedError(
      `FlightData message of ${bytes.length} bytes exceeds the limit of ${maxBytes} bytes`,
    );
  }
  let descriptor: Uint8Array | undefined;
  let header = EMPTY;
  let appMetadata = EMPTY;
  let body = EMPTY;
  const end = bytes.length;
  let pos = 0;
  while (pos < end) {
    // Tag: a varint of at most 5 bytes (field numbers are below 2^29).
    let tag = 0;
    let shift = 1;
    for (let i = 0; ; i++) {
      if (pos >= end) throw malformed("truncated field tag");
      if (i === 5) throw malformed("field tag varint is too long");
      const b = bytes[pos++]!;
      tag += (b & 0x7f) * shift;
      shift *= 128;
      if (b < 0x80) break;
    }
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 0) throw malformed("field number 0");
    if (wireType === 2) {
      let length = 0;
      shift = 1;
      for (let i = 0; ; i++) {
        if (pos >= end) throw malformed(`truncated length of field ${field}`);
        if (i === 8) throw malformed(`length varint of field ${field} is too long`);
        const b = bytes[pos++]!;
        length += (b & 0x7f) * shift;
        shift *= 128;
        if (b < 0x80) break;
      }
      if (length > end - pos) {
        throw malformed(`field ${field} claims ${length} bytes but only ${end - pos} remain`);
      }
      // A plain Uint8Array view (not a Buffer, whose slice() would not copy).
      const value = new Uint8Array(bytes.buffer, bytes.byteOffset + pos, length);
      pos += length;
      if (field === 1) descriptor = value;
      else if (field === 2) header = value;
      else if (field === 3) appMetadata = value;
      else if (field === 1000) body = value;
      continue;
    }
    if (field === 1 || field === 2 || field === 3 || field === 1000) {
      throw malformed(`field ${field} has wire type ${wireType}, expected 2 (length-delimited)`);
    }
    if (wireType === 0) {
      for (let i = 0; ; i++) {
        if (pos >= end) throw malformed(`truncated varint of field ${field}`);
        if (i === 10) throw malformed(`varint of field ${field} is too long`);
        if (bytes[pos++]! < 0x80) break;
      }
    } else if (wireType === 1 || wireType === 5) {
      const size = wireType === 1 ? 8 : 4;
      if (end - pos < size) throw malformed(`truncated fixed-size field ${field}`);
      pos += size;
    } else {
      throw malformed(`unsupported wire type ${wireType} (field ${field})`);
    }
  }
  return { descriptor, header, appMetadata, body };
}
