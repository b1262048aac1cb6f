/**
 * Encoding a Schema as an IPC `Message` flatbuffer (apache-arrow's `Message.encode`),
 * verified by reading it back: a schema whose types come from another copy of apache-arrow
 * (e.g. the CommonJS build next to the ESM one) is silently mis-encoded by apache-arrow's
 * type visitor, so the result is decoded and compared before anyone sends it.
 */

import { Message, type Schema } from "apache-arrow";
import { FlightInvalidArgumentError } from "./flight-error.js";
import { readIpcMessage } from "./ipc-message.js";
import { schemasEqual } from "./ipc-schema-equals.js";
import { readSchema } from "./ipc-schema-reader.js";

const cache = new WeakMap<Schema, Uint8Array>();

/**
 * The Schema message flatbuffer for `schema` (cached per Schema object; do not mutate).
 * @throws FlightError INVALID_ARGUMENT when the schema cannot be encoded faithfully
 *   (unsupported types, or types created by a different copy of apache-arrow).
 */
export function schemaMessage(schema: Schema): Uint8Array {
  const cached = cache.get(schema);
  if (cached !== undefined) return cached;
  let encoded: Uint8Array;
  let same = false;
  try {
    encoded = Message.encode(Message.from(schema));
    const message = readIpcMessage(encoded);
    same = schemasEqual(readSchema(message.reader, message.header), schema, { nullability: true, dictionaryIds: true });
  } catch (cause) {
    throw new FlightInvalidArgumentError(`schema ${schema} cannot be encoded: ${String(cause)}`, { cause });
  }
  if (!same) {
    throw new FlightInvalidArgumentError(
      `schema ${schema} does not survive encoding (are its types from another copy of apache-arrow?)`,
    );
  }
  cache.set(schema, encoded);
  return encoded;
}
