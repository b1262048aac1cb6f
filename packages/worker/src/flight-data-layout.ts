/**
 * Byte layout of a pre-encoded protobuf `FlightData` message, so that a shard's IPC
 * header and body can be read from disk straight into their final place.
 *
 * `FlightData { data_header = 2; data_body = 1000 }` is encoded as
 * `0x12 varint(H) header[H] 0xC2 0x3E varint(B) body[B]`. The header is padded with
 * fewer than 8 zero bytes (harmless after a flatbuffer) so that the body starts on an
 * 8-byte boundary once grpc-js puts its 5-byte message prefix in front: the same rule
 * the protocol's encoder follows, which lets apache-arrow decode the body without
 * copying it.
 */
import { allocateGrpcMessage } from "@flight-cluster/protocol";

/**
 * Where message memory comes from: `(size, alignedPos) => message`, with the contract of
 * the protocol's `allocateGrpcMessage` (the gRPC prefix in front, so grpc-js sends the
 * message without copying it).
 */
export type MessageAllocator = (size: number, alignedPos: number) => Buffer;

/** Bytes of the gRPC length-prefixed message header in front of every message. */
export const GRPC_MESSAGE_PREFIX_BYTES = 5;

const TAG_DATA_HEADER = 0x12; // field 2, wire type 2
const TAG_DATA_BODY_0 = 0xc2; // field 1000, wire type 2: varint(8002) = 0xC2 0x3E
const TAG_DATA_BODY_1 = 0x3e;

/** Where each part of a pre-encoded FlightData message lives inside its buffer (byte offsets). */
export interface FlightDataLayout {
  /** Total bytes of the protobuf message. */
  readonly size: number;
  /** Offset of the IPC header bytes. */
  readonly headerStart: number;
  /** Header bytes as written, including the zero padding added for alignment. */
  readonly paddedHeaderLength: number;
  /** Offset of the body bytes (equal to `size` when there is no body). */
  readonly bodyStart: number;
  /** Body bytes. */
  readonly bodyLength: number;
}

/** Number of bytes of `value` as a protobuf varint (value: non-negative safe integer). */
export function varintSize(value: number): number {
  let size = 1;
  let v = value;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}

function writeVarint(buffer: Uint8Array, offset: number, value: number): number {
  let v = value;
  let at = offset;
  while (v >= 0x80) {
    buffer[at++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buffer[at++] = v;
  return at;
}

/**
 * Compute the layout for an IPC header of `headerLength` bytes and a body of
 * `bodyLength` bytes (both non-negative integers). A message with no body gets no
 * `data_body` field and no padding.
 */
export function flightDataLayout(headerLength: number, bodyLength: number): FlightDataLayout {
  if (bodyLength === 0) {
    const headerStart = headerLength === 0 ? 0 : 1 + varintSize(headerLength);
    const size = headerStart + headerLength;
    return { size, headerStart, paddedHeaderLength: headerLength, bodyStart: size, bodyLength: 0 };
  }
  const bodyFieldPrefix = 2 + varintSize(bodyLength);
  const layout = (pad: number): FlightDataLayout => {
    const padded = headerLength + pad;
    const headerStart = padded === 0 ? 0 : 1 + varintSize(padded);
    const bodyStart = headerStart + padded + bodyFieldPrefix;
    return { size: bodyStart + bodyLength, headerStart, paddedHeaderLength: padded, bodyStart, bodyLength };
  };
  for (let pad = 0; pad < 8; pad++) {
    const candidate = layout(pad);
    if ((GRPC_MESSAGE_PREFIX_BYTES + candidate.bodyStart) % 8 === 0) return candidate;
  }
  // Only when the header length's varint grows inside the 8 candidates (headers of about
  // 128 or 16384 bytes) can no padding below 8 align the body; it then stays unaligned
  // (the receiver copies it). Padding stays below 8 so that a receiver storing the header
  // rounded down to 8 bytes (shard copies) recovers the original bytes exactly.
  return layout(0);
}

/**
 * Allocate a buffer for `layout` and write everything except the header and body
 * bytes: the field tags, the lengths, and the zero padding after `originalHeaderLength`
 * header bytes. The caller fills `[headerStart, headerStart + originalHeaderLength)`
 * and `[bodyStart, size)`, typically with one `readv` from the shard file.
 */
export function allocateFlightData(
  layout: FlightDataLayout,
  originalHeaderLength: number,
  allocate: MessageAllocator = allocateGrpcMessage,
): Buffer {
  const buffer = allocate(layout.size, layout.bodyStart);
  let at = 0;
  if (layout.paddedHeaderLength > 0) {
    buffer[at++] = TAG_DATA_HEADER;
    at = writeVarint(buffer, at, layout.paddedHeaderLength);
    buffer.fill(0, at + originalHeaderLength, at + layout.paddedHeaderLength);
    at += layout.paddedHeaderLength;
  }
  if (layout.bodyLength > 0) {
    buffer[at++] = TAG_DATA_BODY_0;
    buffer[at++] = TAG_DATA_BODY_1;
    writeVarint(buffer, at, layout.bodyLength);
  }
  return buffer;
}

/** Encoded size of a FlightData message carrying only a header and a body (as laid out above). */
export function flightDataSize(headerLength: number, bodyLength: number): number {
  return flightDataLayout(headerLength, bodyLength).size;
}
