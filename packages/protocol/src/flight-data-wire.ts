/**
 * Protobuf wire-format helpers for the FlightData message: varints, field tags and
 * the byte layout that puts the IPC body on an 8-byte boundary inside a gRPC message.
 *
 * FlightData { flight_descriptor = 1; data_header = 2; app_metadata = 3; data_body = 1000 }
 * (every field is length-delimited, wire type 2).
 */

import type { FlightDataFrame } from "./flight-data.js";

/** Tag byte of FlightData.flight_descriptor (field 1, wire type 2). */
export const TAG_DESCRIPTOR = 0x0a;
/** Tag byte of FlightData.data_header (field 2, wire type 2). */
export const TAG_HEADER = 0x12;
/** Tag byte of FlightData.app_metadata (field 3, wire type 2). */
export const TAG_APP_METADATA = 0x1a;
/** First tag byte of FlightData.data_body (field 1000, wire type 2: varint 8002 = 0xC2 0x3E). */
export const TAG_BODY_0 = 0xc2;
/** Second tag byte of FlightData.data_body. */
export const TAG_BODY_1 = 0x3e;

/**
 * Bytes that grpc-js puts in front of every message on the wire (1 compression flag,
 * 4 length bytes). grpc-js hands the deserializer `framed.subarray(5)` of a freshly
 * concatenated buffer, so a payload position `p` lands at address `5 + p` modulo 8.
 */
export const GRPC_MESSAGE_PREFIX_BYTES = 5;

/** Number of bytes of `value` (a non-negative safe integer) as a protobuf varint. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Write `value` (a non-negative safe integer) as a varint at `pos`; returns the position after it. */
export function writeVarint(out: Uint8Array, pos: number, value: number): number {
  while (value >= 0x80) {
    out[pos++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  out[pos++] = value;
  return pos;
}

/** Where each part of an encoded FlightData message goes (byte positions in the message). */
export interface FlightDataLayout {
  /** Total message size in bytes. */
  readonly size: number;
  /** Start of the descriptor bytes, or -1 when absent. */
  readonly descriptorPos: number;
  /** Start of the IPC header bytes, or -1 when absent. */
  readonly headerPos: number;
  /** Zero bytes appended to the header so that the body starts aligned. */
  readonly headerPadding: number;
  /** Start of the app_metadata bytes, or -1 when absent. */
  readonly appMetadataPos: number;
  /** Start of the body bytes, or -1 when absent. */
  readonly bodyPos: number;
}

/**
 * Compute the layout of a FlightData message with parts of the given lengths (bytes;
 * `descriptorLength` -1 when there is no descriptor). When both a header and a body are
 * present, the header is padded with 0..15 zero bytes so that `GRPC_MESSAGE_PREFIX_BYTES +
 * bodyPos` is a multiple of 8: the receiver then sees the body 8-aligned and apache-arrow
 * can decode it without copying.
 */
export function flightDataLayout(
  descriptorLength: number,
  headerLength: number,
  appMetadataLength: number,
  bodyLength: number,
): FlightDataLayout {
  let pos = 0;
  let descriptorPos = -1;
  if (descriptorLength >= 0) {
    pos += 1 + varintSize(descriptorLength);
    descriptorPos = pos;
    pos += descriptorLength;
  }
  const afterHeader = (padding: number): number =>
    headerLength > 0 ? 1 + varintSize(headerLength + padding) + headerLength + padding : 0;
  const metadataPart = appMetadataLength > 0 ? 1 + varintSize(appMetadataLength) + appMetadataLength : 0;
  const bodyPrefix = bodyLength > 0 ? 2 + varintSize(bodyLength) : 0;
  let headerPadding = 0;
  if (headerLength > 0 && bodyLength > 0) {
    while ((GRPC_MESSAGE_PREFIX_BYTES + pos + afterHeader(headerPadding) + metadataPart + bodyPrefix) % 8 !== 0) {
      headerPadding++;
    }
  }
  let headerPos = -1;
  if (headerLength > 0) {
    headerPos = pos + 1 + varintSize(headerLength + headerPadding);
    pos += afterHeader(headerPadding);
  }
  let appMetadataPos = -1;
  if (appMetadataLength > 0) {
    appMetadataPos = pos + 1 + varintSize(appMetadataLength);
    pos += metadataPart;
  }
  let bodyPos = -1;
  if (bodyLength > 0) {
    bodyPos = pos + bodyPrefix;
    pos = bodyPos + bodyLength;
  }
  return { size: pos, descriptorPos, headerPos, headerPadding, appMetadataPos, bodyPos };
}

/**
 * Write the tags, lengths and padding of `layout` into `out` (the caller copies the part
 * contents to the positions in the layout afterwards). Padding bytes are zeroed.
 */
export function writeFlightDataFraming(
  out: Uint8Array,
  layout: FlightDataLayout,
  descriptorLength: number,
  headerLength: number,
  appMetadataLength: number,
  bodyLength: number,
): void {
  let pos = 0;
  if (layout.descriptorPos >= 0) {
    out[pos++] = TAG_DESCRIPTOR;
    pos = writeVarint(out, pos, descriptorLength);
  }
  if (layout.headerPos >= 0) {
    pos = layout.headerPos - 1 - varintSize(headerLength + layout.headerPadding);
    out[pos++] = TAG_HEADER;
    writeVarint(out, pos, headerLength + layout.headerPadding);
    const padStart = layout.headerPos + headerLength;
    out.fill(0, padStart, padStart + layout.headerPadding);
  }
  if (layout.appMetadataPos >= 0) {
    pos = layout.appMetadataPos - 1 - varintSize(appMetadataLength);
    out[pos++] = TAG_APP_METADATA;
    writeVarint(out, pos, appMetadataLength);
  }
  if (layout.bodyPos >= 0) {
    pos = layout.bodyPos - 2 - varintSize(bodyLength);
    out[pos++] = TAG_BODY_0;
    out[pos++] = TAG_BODY_1;
    writeVarint(out, pos, bodyLength);
  }
}

/** Frames built by the encoder already sit inside their protobuf bytes; this maps them to those bytes. */
const preEncoded = new WeakMap<FlightDataFrame, Buffer>();

/**
 * Remember that `frame`'s fields are views of `encoded`, a complete FlightData message, so
 * that `encodeFlightData(frame)` returns it without copying. A copy of the frame object
 * (e.g. `{ ...frame }`) is not registered and is encoded afresh.
 */
export function registerEncodedMessage(frame: FlightDataFrame, encoded: Buffer): void {
  preEncoded.set(frame, encoded);
}

/** The complete FlightData message `frame` was built inside, if it was registered. */
export function encodedMessageOf(frame: FlightDataFrame): Buffer | undefined {
  return preEncoded.get(frame);
}
