/**
 * FlightData frames -> Arrow schema, dictionaries and record batches.
 *
 * Pure and synchronous: one `decode(frame)` per received message. The batch's vectors are
 * views of the frame's body (zero-copy when the body is 8-aligned, as `encodeFlightData`
 * arranges for grpc-js receivers); everything read from the wire is validated first.
 */

import { Data, RecordBatch, type Schema, Struct, Vector } from "apache-arrow";
import type { FlightDataFrame } from "./flight-data.js";
import { FlightInvalidArgumentError } from "./flight-error.js";
import { decompressBuffers } from "./ipc-body-compression.js";
import { BodyLoader } from "./ipc-body-loader.js";
import type { FlatbufferReader } from "./ipc-flatbuffer.js";
import {
  MessageHeaderType,
  messageHeaderTypeName,
  type RecordBatchHeader,
  readDictionaryBatchHeader,
  readIpcMessage,
  readRecordBatchHeader,
} from "./ipc-message.js";
import { schemasEqual } from "./ipc-schema-equals.js";
import { readSchema } from "./ipc-schema-reader.js";

/** One decoded FlightData frame. */
export type DecodedFlightData =
  | { readonly kind: "schema"; readonly schema: Schema; readonly appMetadata: Uint8Array }
  | { readonly kind: "dictionary"; readonly id: number; readonly isDelta: boolean; readonly appMetadata: Uint8Array }
  | { readonly kind: "batch"; readonly batch: RecordBatch; readonly appMetadata: Uint8Array }
  | { readonly kind: "metadata"; readonly appMetadata: Uint8Array };

/**
 * A RecordBatch over already-validated columns. apache-arrow's constructor re-derives the
 * schema for every batch (it clones every field and looks each name up in the others:
 * O(columns^2)); decoded columns always match the stream schema, so the batch is built
 * directly and shares the decoder's Schema object. (apache-arrow is pinned to 21.2.0.)
 */
function recordBatch(schema: Schema, data: Data<Struct>): RecordBatch {
  const batch = Object.create(RecordBatch.prototype) as RecordBatch;
  return Object.assign(batch, { schema, data, _metadata: new Map<string, string>() });
}

/** Options of {@link FlightDataDecoder}. */
export interface FlightDataDecoderOptions {
  /** Reject a stream whose Schema message differs from this one (optional). */
  readonly expectedSchema?: Schema;
  /**
   * Upper bound, in bytes, on the decompressed size of one compressed message body
   * (default 1 GiB). Only matters when a codec is registered in apache-arrow's
   * `compressionRegistry`.
   */
  readonly maxDecompressedBytes?: number;
}

const DEFAULT_MAX_DECOMPRESSED_BYTES = 1024 * 1024 * 1024;

/**
 * Decodes the FlightData frames of one stream (DoGet, DoPut, DoExchange) in order:
 * the Schema message, then dictionary batches (replacement or delta) and record batches.
 * Metadata-only frames (empty header) pass through as `kind: "metadata"`.
 */
export class FlightDataDecoder {
  private currentSchema: Schema | undefined;
  private rowType: Struct | undefined;
  private readonly dictionaries = new Map<number, Vector>();
  private readonly expectedSchema: Schema | undefined;
  private readonly maxDecompressedBytes: number;

  /** @throws FlightError INVALID_ARGUMENT when `maxDecompressedBytes` is not a positive number. */
  constructor(options: FlightDataDecoderOptions = {}) {
    this.expectedSchema = options.expectedSchema;
    this.maxDecompressedBytes = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
    if (!(this.maxDecompressedBytes > 0)) {
      throw new FlightInvalidArgumentError(`maxDecompressedBytes must be positive, got ${this.maxDecompressedBytes}`);
    }
  }

  /** The stream's schema once its Schema message arrived. */
  get schema(): Schema | undefined {
    return this.currentSchema;
  }

  /**
   * Decode one frame. A frame with an empty header is "metadata".
   * @throws FlightError INVALID_ARGUMENT naming the problem for: a malformed header or
   *   body, a message type other than Schema/DictionaryBatch/RecordBatch, a batch or
   *   dictionary before the schema, a second schema that differs from the first ("schema
   *   changed mid-stream"), a schema other than `expectedSchema`, an unknown dictionary id,
   *   a compressed body without a registered codec, or a body shorter than declared.
   */
  decode(frame: FlightDataFrame): DecodedFlightData {
    const { header, appMetadata } = frame;
    if (header.length === 0) return { kind: "metadata", appMetadata };
    const message = readIpcMessage(header);
    const { reader } = message;
    switch (message.headerType) {
      case MessageHeaderType.Schema:
        return { kind: "schema", schema: this.acceptSchema(readSchema(reader, message.header)), appMetadata };
      case MessageHeaderType.RecordBatch: {
        const schema = this.requireSchema("record batch");
        const rb = readRecordBatchHeader(reader, message.header);
        const body = this.body(reader, frame.body, message.bodyLength);
        const loader = this.loader(reader, rb, body, message.version);
        const columns = loader.loadColumns(schema.fields);
        this.rowType ??= new Struct(schema.fields);
        const data = new Data(this.rowType, 0, rb.length, 0, undefined, columns);
        return { kind: "batch", batch: recordBatch(schema, data), appMetadata };
      }
      case MessageHeaderType.DictionaryBatch: {
        const schema = this.requireSchema("dictionary batch");
        const dictionary = readDictionaryBatchHeader(reader, message.header);
        const valueType = schema.dictionaries.get(dictionary.id);
        if (valueType === undefined) {
          throw reader.error(`dictionary batch for id ${dictionary.id}, which no schema field uses`);
        }
        const body = this.body(reader, frame.body, message.bodyLength);
        const loader = this.loader(reader, dictionary.data, body, message.version);
        const [data] = loader.loadColumns([{ name: `dictionary ${dictionary.id}`, type: valueType }]);
        const values = new Vector([data!]);
        const previous = this.dictionaries.get(dictionary.id);
        this.dictionaries.set(
          dictionary.id,
          dictionary.isDelta && previous !== undefined ? previous.concat(values) : values,
        );
        return { kind: "dictionary", id: dictionary.id, isDelta: dictionary.isDelta, appMetadata };
      }
    }
    throw reader.error(`message type ${messageHeaderTypeName(message.headerType)} is not supported in a Flight stream`);
  }

  private acceptSchema(schema: Schema): Schema {
    const strict = { nullability: true, dictionaryIds: true };
    if (this.currentSchema !== undefined) {
      if (!schemasEqual(this.currentSchema, schema, strict)) {
        throw new FlightInvalidArgumentError(`schema changed mid-stream: was ${this.currentSchema}, now ${schema}`);
      }
      return this.currentSchema;
    }
    if (this.expectedSchema !== undefined && !schemasEqual(this.expectedSchema, schema, strict)) {
      throw new FlightInvalidArgumentError(`stream schema ${schema} differs from the expected ${this.expectedSchema}`);
    }
    this.currentSchema = schema;
    return schema;
  }

  private requireSchema(what: string): Schema {
    if (this.currentSchema === undefined) {
      throw new FlightInvalidArgumentError(`received a ${what} before the stream's schema`);
    }
    return this.currentSchema;
  }

  /** The body, checked against its declared length and 8-aligned (copied once if it is not). */
  private body(reader: FlatbufferReader, body: Uint8Array, declared: number): Uint8Array {
    if (body.length < declared) {
      throw reader.error(`body has ${body.length} bytes but the header declares ${declared}`);
    }
    const used = body.subarray(0, declared);
    // `new Uint8Array(view)` copies into a fresh (8-aligned) ArrayBuffer; Buffer#slice would not copy.
    return used.byteOffset % 8 === 0 ? used : new Uint8Array(used);
  }

  private loader(reader: FlatbufferReader, rb: RecordBatchHeader, body: Uint8Array, version: number): BodyLoader {
    const decompressed = rb.codec >= 0 ? decompressBuffers(reader, rb, body, this.maxDecompressedBytes) : undefined;
    return new BodyLoader(reader, rb, body, this.dictionaries, version, decompressed);
  }
}
