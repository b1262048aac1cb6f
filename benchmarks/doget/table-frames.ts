/** Pre-encoding a table into the FlightData messages our FlightServer sends for it. */

import { encodeFlightData, FlightDataEncoder } from "@flight-cluster/protocol";
import type { Table } from "apache-arrow";

/** A table's DoGet stream, encoded once. */
export interface EncodedStream {
  /** Serialized FlightData messages in stream order: Schema, then (dictionaries and) record batches. */
  readonly messages: readonly Buffer[];
  /** Sum of the messages' lengths (bytes on the wire, without gRPC's 5-byte prefixes). */
  readonly wireBytes: number;
}

/**
 * Encodes `table` with the protocol package's {@link FlightDataEncoder} and
 * {@link encodeFlightData}: exactly the FlightData messages our server puts on the wire,
 * record batches sliced so no message exceeds `maxMessageBytes`.
 *
 * @param maxMessageBytes upper bound of one message in bytes (the encoder's default when omitted).
 * @throws FlightError from the encoder (e.g. a limit too small for one row).
 */
export function encodeTableStream(table: Table, maxMessageBytes?: number): EncodedStream {
  const encoder = new FlightDataEncoder(table.schema, maxMessageBytes === undefined ? undefined : { maxMessageBytes });
  const messages: Buffer[] = [encodeFlightData(encoder.encodeSchema())];
  for (const batch of table.batches) {
    for (const frame of encoder.encodeBatch(batch)) messages.push(encodeFlightData(frame));
  }
  let wireBytes = 0;
  for (const message of messages) wireBytes += message.length;
  return { messages, wireBytes };
}
