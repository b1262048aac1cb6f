/** Encapsulated IPC Schema messages (FlightInfo.schema, SchemaResult.schema). CONTRACT STUB. */
import type { Schema } from "apache-arrow";

/** Encapsulated IPC Schema message (0xFFFFFFFF continuation, int32 LE length, flatbuffer, padding to 8): the bytes of FlightInfo.schema and SchemaResult.schema. */
export function encodeSchema(schema: Schema): Uint8Array {
  void schema;
  throw new Error("not implemented");
}

/** Accepts encapsulated bytes with or without the continuation marker (legacy 4-byte length); empty bytes give an empty Schema. Throws FlightError INVALID_ARGUMENT. */
export function decodeSchema(bytes: Uint8Array): Schema {
  void bytes;
  throw new Error("not implemented");
}
