/**
 * Encapsulated IPC Schema messages: the bytes of FlightInfo.schema and SchemaResult.schema.
 *
 * Encapsulation (Arrow columnar format, "Encapsulated message format"): the continuation
 * marker 0xFFFFFFFF, an int32 little-endian metadata length, the `Message` flatbuffer, and
 * zero padding so that the whole is a multiple of 8 bytes. Writers before Arrow 0.15 omit
 * the continuation marker (the "legacy" 4-byte length prefix); both are read.
 */

import { Schema } from "apache-arrow";
import { FlightInvalidArgumentError } from "./flight-error.js";
import { MessageHeaderType, messageHeaderTypeName, readIpcMessage } from "./ipc-message.js";
import { readSchema } from "./ipc-schema-reader.js";
import { schemaMessage } from "./ipc-schema-writer.js";

const CONTINUATION = 0xffffffff;

/**
 * Encapsulated IPC Schema message (0xFFFFFFFF continuation, int32 LE length, flatbuffer, padding to 8): the bytes of FlightInfo.schema and SchemaResult.schema.
 * @throws FlightError INVALID_ARGUMENT when the schema cannot be encoded faithfully (e.g. its types come from another copy of apache-arrow).
 */
export function encodeSchema(schema: Schema): Uint8Array {
  const flatbuffer = schemaMessage(schema);
  const padded = (flatbuffer.length + 7) & ~7;
  const out = new Uint8Array(8 + padded);
  const view = new DataView(out.buffer);
  view.setUint32(0, CONTINUATION, true);
  view.setInt32(4, padded, true);
  out.set(flatbuffer, 8);
  return out;
}

/**
 * Accepts encapsulated bytes with or without the continuation marker (legacy 4-byte length);
 * empty bytes give an empty Schema. Bytes after the message are ignored.
 * @throws FlightError INVALID_ARGUMENT when the bytes are truncated, the length is
 *   negative or runs past the end, the flatbuffer is malformed, or the message is not a Schema.
 */
export function decodeSchema(bytes: Uint8Array): Schema {
  if (bytes.length === 0) return new Schema([]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4)
    throw new FlightInvalidArgumentError(`encapsulated schema of ${bytes.length} bytes is truncated`);
  let start = 4;
  let length = view.getInt32(0, true);
  if (view.getUint32(0, true) === CONTINUATION) {
    if (bytes.length < 8)
      throw new FlightInvalidArgumentError("encapsulated schema is truncated after its continuation marker");
    start = 8;
    length = view.getInt32(4, true);
  }
  if (length <= 0 || length > bytes.length - start) {
    throw new FlightInvalidArgumentError(
      `encapsulated schema declares ${length} metadata bytes but ${bytes.length - start} follow`,
    );
  }
  const message = readIpcMessage(bytes.subarray(start, start + length));
  if (message.headerType !== MessageHeaderType.Schema) {
    throw new FlightInvalidArgumentError(`expected a Schema message, got ${messageHeaderTypeName(message.headerType)}`);
  }
  return readSchema(message.reader, message.header);
}
