/**
 * Re-chunking one oversized record batch message into messages under a size limit:
 * decode it (with the stream's schema and dictionaries) and re-encode it with the
 * protocol's FlightDataEncoder, keeping only the record batch messages (the shard
 * file already holds the dictionaries). Pure; runs in the CPU pool or inline.
 */
import { FlightDataDecoder, FlightDataEncoder } from "@flight-cluster/protocol";
import { inspectIpcHeader } from "../ipc-message-info.js";
import type { IpcFrame } from "../shard-writer.js";
import { InvalidShardStreamError } from "../worker-errors.js";

const EMPTY = new Uint8Array(0);

/**
 * Split `batch` into record batch messages that each encode to at most
 * `maxMessageBytes` as FlightData (a single row larger than that stays alone).
 * @throws InvalidShardStreamError (or the decoder's FlightError INVALID_ARGUMENT) when
 * the messages do not decode.
 */
export function rechunkBatch(
  schemaHeader: Uint8Array,
  dictionaries: readonly IpcFrame[],
  batch: IpcFrame,
  maxMessageBytes: number,
): IpcFrame[] {
  const decoder = new FlightDataDecoder();
  decoder.decode({ header: schemaHeader, body: EMPTY, appMetadata: EMPTY });
  for (const d of dictionaries) decoder.decode({ header: d.header, body: d.body, appMetadata: EMPTY });
  const decoded = decoder.decode({ header: batch.header, body: batch.body, appMetadata: EMPTY });
  const schema = decoder.schema;
  if (decoded.kind !== "batch" || schema === undefined) {
    throw new InvalidShardStreamError("re-chunking needs a record batch message");
  }
  const encoder = new FlightDataEncoder(schema, { maxMessageBytes });
  const out: IpcFrame[] = [];
  for (const frame of encoder.encodeBatch(decoded.batch)) {
    if (inspectIpcHeader(frame.header).kind === "batch") out.push({ header: frame.header, body: frame.body });
  }
  return out;
}
