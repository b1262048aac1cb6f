/**
 * Writes Arrow data as FlightData messages with backpressure: the writer of client
 * DoPut and DoExchange and of server DoExchange (pyarrow's `FlightStreamWriter`), and
 * the PutResult writer of server DoPut (pyarrow's `FlightMetadataWriter`).
 *
 * Every write returns a promise that resolves as soon as the transport accepts more;
 * awaiting it is what keeps memory bounded when the receiver is slow.
 */
import type { RecordBatch, Schema, Table } from "apache-arrow";
import { DEFAULT_MAX_MESSAGE_BYTES, encodeFlightData, type FlightDataFrame } from "./flight-data.js";
import { FlightDataEncoder } from "./flight-data-encoder.js";
import { FlightFailedPreconditionError } from "./flight-error.js";

/** Where a writer's messages go (the transport). */
export interface FlightMessageSink {
  /** Queue one message; false means: await `drained()` before writing more. */
  write(message: Uint8Array): boolean;
  /** Resolves when the transport accepts more; rejects with the call's FlightError if it ended. */
  drained(): Promise<void>;
  /** Half-close (client side); absent on servers, where the call ends when the handler returns. */
  end?(): void;
}

/** Options of {@link FlightStreamWriter}. */
export interface FlightStreamWriterOptions {
  /** Upper bound for one FlightData message in bytes; batches are sliced to fit. Default: 2 MiB. */
  readonly maxMessageBytes?: number;
  /** Raw protobuf FlightDescriptor to attach to the first message (client DoPut/DoExchange). */
  readonly descriptor?: Uint8Array | undefined;
}

const RESOLVED = Promise.resolve();

/** Writes a schema, then record batches and metadata, as FlightData messages. */
export class FlightStreamWriter {
  readonly #sink: FlightMessageSink;
  readonly #maxMessageBytes: number;
  #descriptor: Uint8Array | undefined;
  #encoder: FlightDataEncoder | undefined;
  #closed = false;

  constructor(sink: FlightMessageSink, options: FlightStreamWriterOptions = {}) {
    this.#sink = sink;
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#descriptor = options.descriptor;
  }

  /** The schema given to `begin`, if it was called. */
  get schema(): Schema | undefined {
    return this.#encoder?.schema;
  }

  /**
   * Sends the Schema message (with the descriptor on the client). Required once before
   * record batches; `write` calls it with the batch's schema if it was not called.
   * @throws FlightFailedPreconditionError when called twice or after `done()`.
   */
  async begin(schema: Schema): Promise<void> {
    await this.beginNow(schema);
  }

  /** `begin` with its synchronous part done before returning (internal: client DoPut). */
  beginNow(schema: Schema): Promise<void> {
    this.#checkOpen();
    if (this.#encoder !== undefined) throw new FlightFailedPreconditionError("begin() was already called");
    this.#encoder = new FlightDataEncoder(schema, { maxMessageBytes: this.#maxMessageBytes });
    const descriptor = this.#descriptor;
    this.#descriptor = undefined;
    return this.#put(encodeFlightData(this.#encoder.encodeSchema(descriptor)));
  }

  /**
   * Sends a record batch (sliced into messages under the size limit), with optional
   * application metadata on its last message. Resolves when the transport accepts more.
   */
  async write(batch: RecordBatch, appMetadata?: Uint8Array): Promise<void> {
    this.#checkOpen();
    if (this.#encoder === undefined) await this.beginNow(batch.schema);
    const frames = (this.#encoder as FlightDataEncoder).encodeBatch(batch, appMetadata);
    for (const frame of frames) {
      if (!this.#sink.write(encodeFlightData(frame))) await this.#sink.drained();
    }
  }

  /** Sends every batch of a table. */
  async writeTable(table: Table): Promise<void> {
    this.#checkOpen();
    if (this.#encoder === undefined) await this.beginNow(table.schema);
    for (const batch of table.batches) await this.write(batch);
  }

  /** Sends a metadata-only message (no Arrow data). */
  async writeMetadata(appMetadata: Uint8Array): Promise<void> {
    this.#checkOpen();
    await this.writeFrame({ header: new Uint8Array(0), body: new Uint8Array(0), appMetadata });
  }

  /** Sends a raw frame as it is (forwarding); the pending descriptor, if any, is attached. */
  async writeFrame(frame: FlightDataFrame): Promise<void> {
    this.#checkOpen();
    const descriptor = this.#descriptor;
    this.#descriptor = undefined;
    await this.#put(encodeFlightData(descriptor === undefined ? frame : { ...frame, descriptor }));
  }

  /** Sends pre-encoded protobuf FlightData bytes as they are. */
  async writeEncoded(message: Uint8Array): Promise<void> {
    this.#checkOpen();
    await this.#put(message);
  }

  /**
   * Signals the end of writing (client: half-close, pyarrow's `done_writing`). On a
   * server it only marks the writer closed; the call ends when the handler returns.
   */
  async done(): Promise<void> {
    if (this.#closed) return;
    if (this.#descriptor !== undefined) {
      // Nothing was written: the descriptor must still reach the server.
      const descriptor = this.#descriptor;
      this.#descriptor = undefined;
      await this.#put(
        encodeFlightData({
          descriptor,
          header: new Uint8Array(0),
          body: new Uint8Array(0),
          appMetadata: new Uint8Array(0),
        }),
      );
    }
    this.#closed = true;
    this.#sink.end?.();
  }

  /** True after `done()`. */
  get closed(): boolean {
    return this.#closed;
  }

  #put(message: Uint8Array): Promise<void> {
    return this.#sink.write(message) ? RESOLVED : this.#sink.drained();
  }

  #checkOpen(): void {
    if (this.#closed) throw new FlightFailedPreconditionError("the writer is closed (done() was called)");
  }
}

/** Sends DoPut acknowledgements (pyarrow's `FlightMetadataWriter`). */
export interface FlightMetadataWriter {
  /** Sends one PutResult carrying `appMetadata`; resolves when the transport accepts more. */
  write(appMetadata: Uint8Array): Promise<void>;
}
