/** FlightData frames -> Arrow schema, dictionaries and record batches. CONTRACT STUB. */
import type { RecordBatch, Schema } from "apache-arrow";
import type { FlightDataFrame } from "./flight-data.js";

/** One decoded FlightData frame. */
export type DecodedFlightData =
  | { readonly kind: "schema"; readonly schema: Schema; readonly appMetadata: Uint8Array }
  | { readonly kind: "dictionary"; readonly id: number; readonly isDelta: boolean; readonly appMetadata: Uint8Array }
  | { readonly kind: "batch"; readonly batch: RecordBatch; readonly appMetadata: Uint8Array }
  | { readonly kind: "metadata"; readonly appMetadata: Uint8Array };

/** Options of {@link FlightDataDecoder}. */
export interface FlightDataDecoderOptions {
  /** Reject a stream whose Schema message differs from this one (optional). */
  readonly expectedSchema?: Schema;
}

/** Decodes one stream's FlightData frames. */
export class FlightDataDecoder {
  constructor(options?: FlightDataDecoderOptions) {
    void options;
  }

  /** The stream's schema once its Schema message arrived. */
  get schema(): Schema | undefined {
    return undefined;
  }

  /** Decode one frame. */
  decode(frame: FlightDataFrame): DecodedFlightData {
    void frame;
    throw new Error("not implemented");
  }
}
