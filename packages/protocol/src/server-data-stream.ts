/**
 * What a DoGet handler returns (pyarrow's `FlightDataStream` family), and the loop that
 * writes it with backpressure.
 *
 * - {@link RecordBatchStream}: a Table or a list of batches.
 * - {@link GeneratorStream}: a schema and an (async) iterable of batches, `{batch, appMetadata}`
 *   items, tables, or metadata-only `{appMetadata}` items.
 * - {@link EncodedFlightDataStream} (or any bare iterable of Uint8Array): protobuf FlightData
 *   messages written as they are, without decoding (a worker serving shard files).
 */
import { RecordBatch, type Schema, Table } from "apache-arrow";
import { DEFAULT_MAX_MESSAGE_BYTES, encodeFlightData } from "./flight-data.js";
import { FlightDataEncoder } from "./flight-data-encoder.js";
import { FlightInternalError } from "./flight-error.js";
import type { SendBufferPool } from "./send-buffer-pool.js";

/** An item a {@link GeneratorStream} may yield. */
export type GeneratorStreamItem =
  | RecordBatch
  | Table
  | { readonly batch: RecordBatch; readonly appMetadata?: Uint8Array | undefined }
  | { readonly batch?: undefined; readonly appMetadata: Uint8Array };

/** Batches of a Table or an array (pyarrow's `RecordBatchStream`). */
export class RecordBatchStream {
  readonly kind = "batches" as const;
  readonly schema: Schema;
  readonly batches: readonly RecordBatch[];

  /** @param data a Table, or batches sharing `schema`. */
  constructor(data: Table | readonly RecordBatch[], schema?: Schema) {
    if (data instanceof Table) {
      this.schema = data.schema;
      this.batches = data.batches;
    } else {
      const first = data[0];
      const s = schema ?? first?.schema;
      if (s === undefined) throw new FlightInternalError("RecordBatchStream of no batches needs a schema");
      this.schema = s;
      this.batches = data;
    }
  }
}

/** A schema and a (possibly async) iterable of items (pyarrow's `GeneratorStream`). */
export class GeneratorStream {
  readonly kind = "generator" as const;
  constructor(
    readonly schema: Schema,
    readonly items: Iterable<GeneratorStreamItem> | AsyncIterable<GeneratorStreamItem>,
  ) {}
}

/** Options of {@link EncodedFlightDataStream}. */
export interface EncodedFlightDataStreamOptions {
  /**
   * Called with each message once the transport no longer needs its bytes (not for
   * messages of a call that failed or was cancelled first): where a producer that reads
   * into a {@link SendBufferPool} gives the memory back.
   */
  readonly onWritten?: ((message: Uint8Array) => void) | undefined;
}

/** Pre-encoded protobuf FlightData messages, written unchanged. The first must be the Schema message. */
export class EncodedFlightDataStream {
  readonly kind = "encoded" as const;
  constructor(
    readonly messages: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    readonly options: EncodedFlightDataStreamOptions = {},
  ) {}
}

/** Anything a DoGet (or DoExchange helper) may return. */
export type FlightDataStream =
  | RecordBatchStream
  | GeneratorStream
  | EncodedFlightDataStream
  | Table
  | Iterable<Uint8Array>
  | AsyncIterable<Uint8Array>;

/** Where a data stream is written: the server call. */
export interface DataStreamSink {
  /** Queue a message; `onWritten` runs once the transport no longer needs its bytes (never on failure). */
  write(message: Uint8Array, onWritten?: () => void): boolean;
  drained(): Promise<void>;
  readonly signal: AbortSignal;
}

function isAsyncIterable<T>(value: unknown): value is AsyncIterable<T> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/** Normalizes a handler's return value. @throws FlightInternalError for anything else. */
export function toDataStream(value: FlightDataStream): RecordBatchStream | GeneratorStream | EncodedFlightDataStream {
  if (
    value instanceof RecordBatchStream ||
    value instanceof GeneratorStream ||
    value instanceof EncodedFlightDataStream
  ) {
    return value;
  }
  if (value instanceof Table) return new RecordBatchStream(value);
  if (isAsyncIterable(value) || (typeof value === "object" && value !== null && Symbol.iterator in value)) {
    return new EncodedFlightDataStream(value as Iterable<Uint8Array> | AsyncIterable<Uint8Array>);
  }
  throw new FlightInternalError("DoGet handler returned something that is not a FlightDataStream");
}

/**
 * Writes a data stream to `sink`, waiting for the transport whenever its buffer is
 * full. Stops (with the signal's reason) when the call is cancelled.
 */
export async function writeDataStream(
  stream: RecordBatchStream | GeneratorStream | EncodedFlightDataStream,
  sink: DataStreamSink,
  maxMessageBytes: number = DEFAULT_MAX_MESSAGE_BYTES,
  pool?: SendBufferPool,
): Promise<void> {
  if (stream.kind === "encoded") {
    const onWritten = stream.options.onWritten;
    await writeEncoded(stream.messages, onWritten === undefined ? sink : releasingSink(sink, onWritten));
    return;
  }
  const encoder =
    pool === undefined
      ? new FlightDataEncoder(stream.schema, { maxMessageBytes })
      : new FlightDataEncoder(stream.schema, { maxMessageBytes, allocate: (size, at) => pool.allocate(size, at) });
  if (pool !== undefined) sink = releasingSink(sink, (message) => pool.release(message));
  if (!sink.write(encodeFlightData(encoder.encodeSchema()))) await sink.drained();
  if (stream.kind === "batches") {
    for (const batch of stream.batches) await writeBatch(encoder, batch, undefined, sink);
    return;
  }
  const items = stream.items;
  if (isAsyncIterable<GeneratorStreamItem>(items)) {
    for await (const item of items) await writeItem(encoder, item, sink);
  } else {
    for (const item of items) await writeItem(encoder, item, sink);
  }
}

/** `sink` whose every write reports its message to `onWritten` once written. */
function releasingSink(sink: DataStreamSink, onWritten: (message: Uint8Array) => void): DataStreamSink {
  return {
    signal: sink.signal,
    drained: () => sink.drained(),
    write: (message) => sink.write(message, () => onWritten(message)),
  };
}

async function writeEncoded(
  messages: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  sink: DataStreamSink,
): Promise<void> {
  if (isAsyncIterable<Uint8Array>(messages)) {
    for await (const message of messages) {
      sink.signal.throwIfAborted();
      if (!sink.write(message)) await sink.drained();
    }
  } else {
    for (const message of messages) {
      sink.signal.throwIfAborted();
      if (!sink.write(message)) await sink.drained();
    }
  }
}

async function writeItem(encoder: FlightDataEncoder, item: GeneratorStreamItem, sink: DataStreamSink): Promise<void> {
  if (item instanceof RecordBatch) {
    await writeBatch(encoder, item, undefined, sink);
  } else if (item instanceof Table) {
    for (const batch of item.batches) await writeBatch(encoder, batch, undefined, sink);
  } else if (item.batch !== undefined) {
    await writeBatch(encoder, item.batch, item.appMetadata, sink);
  } else {
    sink.signal.throwIfAborted();
    if (!sink.write(encodeFlightData(encoder.encodeMetadata(item.appMetadata)))) await sink.drained();
  }
}

async function writeBatch(
  encoder: FlightDataEncoder,
  batch: RecordBatch,
  appMetadata: Uint8Array | undefined,
  sink: DataStreamSink,
): Promise<void> {
  sink.signal.throwIfAborted();
  for (const frame of encoder.encodeBatch(batch, appMetadata)) {
    if (!sink.write(encodeFlightData(frame))) await sink.drained();
  }
}
