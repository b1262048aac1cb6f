/**
 * Zero-copy codec for the FlightData protobuf message, the hot path of Flight.
 *
 * FlightData { flight_descriptor = 1; data_header = 2; app_metadata = 3; data_body = 1000 }.
 * Decoding returns views (subarrays) of the input; encoding writes one buffer and pads
 * the IPC header so that, inside a gRPC message (5-byte prefix), the body starts on an
 * 8-byte boundary and apache-arrow can decode it without copying.
 *
 * CONTRACT STUB: implemented by the wire work (see docs/architecture.md).
 */

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

/** Serialize a frame to protobuf FlightData bytes (what a grpc-js serializer returns). */
export function encodeFlightData(frame: FlightDataFrame): Buffer {
  void frame;
  throw new Error("not implemented");
}

/**
 * Parse protobuf FlightData; fields are views of `bytes`.
 * @throws FlightError INVALID_ARGUMENT (malformed) / RESOURCE_EXHAUSTED (over maxBytes). Unknown fields are skipped.
 */
export function decodeFlightData(bytes: Uint8Array, maxBytes?: number): FlightDataFrame {
  void bytes;
  void maxBytes;
  throw new Error("not implemented");
}
