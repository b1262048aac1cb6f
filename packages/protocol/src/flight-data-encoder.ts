/**
 * Arrow record batches -> FlightData frames.
 *
 * Each frame is built directly inside its final protobuf message (one copy of the column
 * bytes, no intermediate body buffer), so `encodeFlightData(frame)` returns those bytes
 * without copying again. Record batches are sliced by rows so that no message exceeds
 * `maxMessageBytes`; dictionaries are sent before the batches that need them, as deltas
 * when they only grew.
 */

import { type Data, type DataType, type RecordBatch, type Schema, Type, type Vector } from "apache-arrow";
import { DEFAULT_MAX_MESSAGE_BYTES, type FlightDataFrame } from "./flight-data.js";
import { collectDictionaries, DictionaryTracker } from "./flight-data-dictionaries.js";
import { flightDataLayout, registerEncodedMessage, writeFlightDataFraming } from "./flight-data-wire.js";
import { FlightInvalidArgumentError } from "./flight-error.js";
import { allocateGrpcMessage } from "./grpc-framed-send.js";
import { BodyPlan } from "./ipc-body-plan.js";
import {
  dictionaryBatchMessageSize,
  recordBatchMessageSize,
  writeDictionaryBatchMessage,
  writeRecordBatchMessage,
} from "./ipc-message-writer.js";
import { schemasEqual } from "./ipc-schema-equals.js";
import { schemaMessage } from "./ipc-schema-writer.js";

/** Options of {@link FlightDataEncoder}. */
export interface FlightDataEncoderOptions {
  /** Upper bound for one encoded FlightData message, default DEFAULT_MAX_MESSAGE_BYTES. */
  readonly maxMessageBytes?: number;
  /**
   * Where message memory comes from, `(size, alignedPos) => message` with the contract of
   * `allocateGrpcMessage` (default: a new allocation per message). A server's DoGet passes
   * its `SendBufferPool`.
   */
  readonly allocate?: (size: number, alignedPos: number) => Buffer;
}

/** Smallest accepted `maxMessageBytes`. */
const MIN_MESSAGE_BYTES = 1024;

const EMPTY: Uint8Array = new Uint8Array(0);

/** The target of one encoded message: a record batch, or a dictionary batch for `id`. */
interface Target {
  readonly dictionaryId: number;
  isDelta: boolean;
}

const RECORD_BATCH: Target = { dictionaryId: -1, isDelta: false };

/**
 * Encodes one stream's schema, dictionaries and record batches as FlightData frames.
 * Frames are views of their encoded message; pass them to `encodeFlightData` (free) or
 * read their `header` and `body`. Not safe for concurrent use by two streams.
 */
export class FlightDataEncoder {
  /** The stream's schema. */
  readonly schema: Schema;
  private readonly maxMessageBytes: number;
  private readonly allocate: (size: number, alignedPos: number) => Buffer;
  private readonly schemaHeader: Uint8Array;
  private readonly plan = new BodyPlan();
  private readonly dictionaries = new DictionaryTracker();
  private readonly hasDictionaries: boolean;
  private acceptedSchema: Schema;

  /**
   * @param schema - the stream's schema.
   * @param options - see {@link FlightDataEncoderOptions}.
   * @throws FlightError INVALID_ARGUMENT when `maxMessageBytes` is not an integer in
   *   1 KiB..2^31-1 or the schema holds a type this layer cannot encode (dictionaries
   *   nested inside dictionary values, types from another copy of apache-arrow).
   */
  constructor(schema: Schema, options: FlightDataEncoderOptions = {}) {
    const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(max) || max < MIN_MESSAGE_BYTES || max > 0x7fffffff) {
      throw new FlightInvalidArgumentError(
        `maxMessageBytes must be an integer between ${MIN_MESSAGE_BYTES} and ${0x7fffffff}, got ${max}`,
      );
    }
    this.schema = schema;
    this.allocate = options.allocate ?? allocateGrpcMessage;
    this.acceptedSchema = schema;
    this.maxMessageBytes = max;
    let dictionaries = false;
    for (const field of schema.fields) dictionaries = checkEncodable(field.type, field.name, false) || dictionaries;
    this.hasDictionaries = dictionaries;
    this.schemaHeader = schemaMessage(schema);
  }

  /** The Schema message, first of every stream; `descriptor` = raw protobuf FlightDescriptor bytes (DoPut/DoExchange first message). */
  encodeSchema(descriptor?: Uint8Array): FlightDataFrame {
    const header = this.schemaHeader;
    const descriptorLength = descriptor === undefined ? -1 : descriptor.length;
    const layout = flightDataLayout(descriptorLength, header.length, 0, 0);
    const out = allocateGrpcMessage(layout.size, layout.headerPos);
    writeFlightDataFraming(out, layout, descriptorLength, header.length, 0, 0);
    if (descriptor !== undefined) out.set(descriptor, layout.descriptorPos);
    out.set(header, layout.headerPos);
    const frame: FlightDataFrame = {
      descriptor:
        descriptor === undefined ? undefined : view(out, layout.descriptorPos, layout.descriptorPos + descriptorLength),
      header: view(out, layout.headerPos, layout.headerPos + header.length),
      appMetadata: EMPTY,
      body: EMPTY,
    };
    registerEncodedMessage(frame, out);
    return frame;
  }

  /**
   * Dictionary batches the batch needs first (replacement or delta, only when changed),
   * then the record batch, sliced by rows so no encoded frame exceeds maxMessageBytes;
   * appMetadata rides on the last frame. A single row (or dictionary entry) that alone
   * exceeds the limit is sent alone, in a frame over the limit: rows are never split.
   * A batch with zero rows gives one frame with zero rows.
   * @throws FlightError INVALID_ARGUMENT if the batch's schema differs from the encoder's
   *   (field names and types; nullability and dictionary ids are not compared, the
   *   encoder's dictionary ids are used).
   */
  encodeBatch(batch: RecordBatch, appMetadata: Uint8Array = EMPTY): FlightDataFrame[] {
    if (batch.schema !== this.acceptedSchema) {
      if (!schemasEqual(this.schema, batch.schema, { nullability: false, dictionaryIds: false })) {
        throw new FlightInvalidArgumentError(
          `batch schema ${batch.schema} differs from the stream schema ${this.schema}`,
        );
      }
      this.acceptedSchema = batch.schema;
    }
    const frames: FlightDataFrame[] = [];
    const fields = this.schema.fields;
    const columns = batch.data.children;
    if (this.hasDictionaries) {
      const used = new Map<number, Vector>();
      for (let i = 0; i < fields.length; i++) collectDictionaries(fields[i]!.type, columns[i]!, used);
      for (const [id, vector] of used) {
        const update = this.dictionaries.update(id, vector);
        if (update === undefined) continue;
        const valueType = this.schema.dictionaries.get(id)!;
        const target: Target = { dictionaryId: id, isDelta: update.isDelta };
        for (const chunk of update.chunks) this.encodeRows(target, [valueType], [chunk], chunk.length, EMPTY, frames);
      }
    }
    const types = fields.map((f) => f.type);
    this.encodeRows(RECORD_BATCH, types, columns, batch.numRows, appMetadata, frames);
    return frames;
  }

  /** A metadata-only frame (empty header and body). */
  encodeMetadata(appMetadata: Uint8Array): FlightDataFrame {
    return { header: EMPTY, appMetadata, body: EMPTY };
  }

  /** Encode rows [0, rowCount) of `columns` as one or more messages of at most maxMessageBytes. */
  private encodeRows(
    target: Target,
    types: readonly DataType[],
    columns: readonly Data[],
    rowCount: number,
    appMetadata: Uint8Array,
    frames: FlightDataFrame[],
  ): void {
    const max = this.maxMessageBytes;
    let start = 0;
    // Rows to try for the next slice: all of them first, then what the last slice suggests
    // (so a huge batch is not re-planned in full for every slice).
    let guess = rowCount;
    do {
      let rows = Math.min(rowCount - start, guess);
      let size = this.planRows(types, columns, start, rows, rowCount, appMetadata, target);
      // Shrink in proportion to the body until the message fits (or one row is left).
      while (size > max && rows > 1) {
        const body = Math.max(this.plan.bodyLength, 1);
        const fitting = Math.floor((rows * Math.max(max - (size - this.plan.bodyLength), 0)) / body);
        rows = Math.max(1, Math.min(rows - 1, fitting));
        size = this.planRows(types, columns, start, rows, rowCount, appMetadata, target);
      }
      const body = this.plan.bodyLength;
      guess = body === 0 ? rowCount : Math.max(1, Math.floor((rows * Math.max(max - (size - body), 0)) / body));
      // Not the last slice: spread the remaining rows evenly over as many slices as the
      // fitting count needs, so a batch just over the limit becomes two halves instead of
      // a full message and a sliver of a few rows. Fewer rows from the same start never
      // make a larger message, so the even slice fits too.
      const remaining = rowCount - start;
      if (rows < remaining) {
        const even = Math.ceil(remaining / Math.ceil(remaining / rows));
        if (even < rows) {
          rows = even;
          this.planRows(types, columns, start, rows, rowCount, appMetadata, target);
        }
      }
      frames.push(this.writeFrame(target, rows, start + rows === rowCount ? appMetadata : EMPTY));
      // Later slices of a dictionary append to the first one.
      if (target.dictionaryId >= 0) target.isDelta = true;
      start += rows;
    } while (start < rowCount);
  }

  /** Plan rows [start, start + rows); returns the size of the resulting message in bytes. */
  private planRows(
    types: readonly DataType[],
    columns: readonly Data[],
    start: number,
    rows: number,
    rowCount: number,
    appMetadata: Uint8Array,
    target: Target,
  ): number {
    const plan = this.plan;
    plan.reset();
    for (let i = 0; i < types.length; i++) plan.column(types[i]!, columns[i]!, start, rows);
    const isLast = start + rows === rowCount;
    const headerSize = this.headerSize(target);
    return flightDataLayout(-1, headerSize, isLast ? appMetadata.length : 0, plan.bodyLength).size;
  }

  private headerSize(target: Target): number {
    const { nodeCount, bufferCount, variadicCount } = this.plan;
    return target.dictionaryId < 0
      ? recordBatchMessageSize(nodeCount, bufferCount, variadicCount)
      : dictionaryBatchMessageSize(nodeCount, bufferCount, variadicCount);
  }

  /** Write the planned rows as one complete FlightData message and return its frame. */
  private writeFrame(target: Target, rows: number, appMetadata: Uint8Array): FlightDataFrame {
    const plan = this.plan;
    const headerSize = this.headerSize(target);
    const bodyLength = plan.bodyLength;
    const layout = flightDataLayout(-1, headerSize, appMetadata.length, bodyLength);
    const out = this.allocate(layout.size, layout.bodyPos);
    writeFlightDataFraming(out, layout, -1, headerSize, appMetadata.length, bodyLength);
    if (target.dictionaryId < 0) writeRecordBatchMessage(out, layout.headerPos, rows, plan);
    else writeDictionaryBatchMessage(out, layout.headerPos, target.dictionaryId, target.isDelta, rows, plan);
    if (layout.appMetadataPos >= 0) out.set(appMetadata, layout.appMetadataPos);
    if (layout.bodyPos >= 0) plan.write(out, layout.bodyPos);
    plan.reset();
    // The frame's header is the flatbuffer alone (a multiple of 8 bytes), without the
    // alignment padding the message carries after it: re-encoding the frame, or writing it
    // to an IPC stream and reading it back, then gives a message of exactly this size.
    const headerEnd = layout.headerPos + headerSize;
    const frame: FlightDataFrame = {
      header: view(out, layout.headerPos, headerEnd),
      appMetadata:
        layout.appMetadataPos >= 0
          ? view(out, layout.appMetadataPos, layout.appMetadataPos + appMetadata.length)
          : EMPTY,
      body: layout.bodyPos >= 0 ? view(out, layout.bodyPos, layout.bodyPos + bodyLength) : EMPTY,
    };
    registerEncodedMessage(frame, out);
    return frame;
  }
}

/** A plain Uint8Array view of `out` [start, end) (frames never expose Buffer, whose slice() does not copy). */
function view(out: Buffer, start: number, end: number): Uint8Array {
  return new Uint8Array(out.buffer, out.byteOffset + start, end - start);
}

/**
 * Check that `type` can be encoded; returns true when it contains a dictionary.
 * @throws FlightError INVALID_ARGUMENT naming the field otherwise.
 */
function checkEncodable(type: DataType, name: string, insideDictionary: boolean): boolean {
  switch (type.typeId) {
    case Type.Dictionary: {
      if (insideDictionary) {
        throw new FlightInvalidArgumentError(
          `field "${name}": dictionaries nested in dictionary values are not supported`,
        );
      }
      checkEncodable((type as unknown as { readonly dictionary: DataType }).dictionary, name, true);
      return true;
    }
  }
  let found = false;
  for (const child of type.children ?? []) found = checkEncodable(child.type, name, insideDictionary) || found;
  return found;
}
