/** Arrow record batches -> FlightData frames. CONTRACT STUB. */
import type { RecordBatch, Schema } from "apache-arrow";
import type { FlightDataFrame } from "./flight-data.js";

/** Options of {@link FlightDataEncoder}. */
export interface FlightDataEncoderOptions {
  /** Upper bound for one encoded FlightData message, default DEFAULT_MAX_MESSAGE_BYTES. */
  readonly maxMessageBytes?: number;
}

/** Encodes one stream's schema, dictionaries and record batches as FlightData frames. */
export class FlightDataEncoder {
  /** The stream's schema. */
  readonly schema: Schema;

  constructor(schema: Schema, options?: FlightDataEncoderOptions) {
    this.schema = schema;
    void options;
  }

  /** The Schema message, first of every stream; `descriptor` = raw protobuf FlightDescriptor bytes (DoPut/DoExchange first message). */
  encodeSchema(descriptor?: Uint8Array): FlightDataFrame {
    void descriptor;
    throw new Error("not implemented");
  }

  /** Dictionary batches the batch needs first, then the record batch, sliced by rows so no encoded frame exceeds maxMessageBytes; appMetadata rides on the last frame. */
  encodeBatch(batch: RecordBatch, appMetadata?: Uint8Array): FlightDataFrame[] {
    void batch;
    void appMetadata;
    throw new Error("not implemented");
  }

  /** A metadata-only frame (empty header and body). */
  encodeMetadata(appMetadata: Uint8Array): FlightDataFrame {
    void appMetadata;
    throw new Error("not implemented");
  }
}
