/**
 * Reads a stream of FlightData messages as Arrow data: the reader of client DoGet and
 * DoExchange and of server DoPut and DoExchange (pyarrow's `FlightStreamReader`).
 *
 * Each read takes one message from the transport (a small bounded queue fed by the call's
 * 'data' events; see grpc-message-queue.ts) and decodes it synchronously; while nobody
 * reads, that queue fills, the call pauses and HTTP/2 flow control holds the sender back.
 * No async generators are stacked on the path: the iterators are plain objects, and a read
 * is one async step over the transport's (usually already resolved) promise.
 */
import { type RecordBatch, type Schema, Table } from "apache-arrow";
import { decodeFlightData, type FlightDataFrame } from "./flight-data.js";
import { FlightDataDecoder } from "./flight-data-decoder.js";
import { FlightInvalidArgumentError, FlightResourceExhaustedError } from "./flight-error.js";
import type { FlightDescriptor } from "./flight-messages.js";

/** One item of a Flight stream: a record batch, application metadata, or both (pyarrow's `FlightStreamChunk`). */
export interface FlightStreamChunk {
  /** The record batch, absent for metadata-only messages. */
  readonly data?: RecordBatch | undefined;
  /** Application metadata sent with the batch or alone; absent when empty. */
  readonly appMetadata?: Uint8Array | undefined;
}

/** Where the reader's messages come from (the transport). */
export interface FlightMessageSource {
  /** Next protobuf FlightData message, undefined at the end. Rejects with a FlightError. */
  read(): Promise<Uint8Array | undefined>;
  /** Stop the stream (client: cancel the call; server: stop reading). */
  cancel(): void;
}

/** Options of {@link FlightStreamReader}. */
export interface FlightStreamReaderOptions {
  /** The descriptor of the stream (server DoPut/DoExchange: taken from the first message). */
  readonly descriptor?: FlightDescriptor | undefined;
  /** A frame already read from the source (the one that carried the descriptor). */
  readonly firstFrame?: FlightDataFrame | undefined;
  /** Largest accepted FlightData message in bytes. Default: 64 MiB. */
  readonly maxMessageBytes?: number;
  /** Most metadata-only messages held while `schema()` waits for the schema. Default: 1024. */
  readonly maxPendingChunks?: number;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** Reads Arrow data from a FlightData stream. Iterating yields record batches. */
export class FlightStreamReader implements AsyncIterable<RecordBatch> {
  /** The stream's descriptor (server side of DoPut and DoExchange). */
  readonly descriptor: FlightDescriptor | undefined;
  readonly #source: FlightMessageSource;
  readonly #decoder = new FlightDataDecoder();
  readonly #maxMessageBytes: number;
  readonly #maxPending: number;
  #firstFrame: FlightDataFrame | undefined;
  /** Chunks read while waiting for the schema (bounded). */
  readonly #pending: FlightStreamChunk[] = [];
  #ended = false;

  constructor(source: FlightMessageSource, options: FlightStreamReaderOptions = {}) {
    this.#source = source;
    this.descriptor = options.descriptor;
    this.#firstFrame = options.firstFrame;
    this.#maxMessageBytes = options.maxMessageBytes ?? 64 * 1024 * 1024;
    this.#maxPending = options.maxPendingChunks ?? 1024;
  }

  /** The schema if it has arrived. */
  get knownSchema(): Schema | undefined {
    return this.#decoder.schema;
  }

  /**
   * Next raw frame, not decoded as Arrow (for forwarding). Do not mix with the
   * decoding reads on the same reader except through `schema()` before any read.
   * @throws FlightError from the transport, INVALID_ARGUMENT for malformed FlightData.
   */
  async readFrame(): Promise<FlightDataFrame | undefined> {
    const first = this.#firstFrame;
    if (first !== undefined) {
      this.#firstFrame = undefined;
      return first;
    }
    if (this.#ended) return undefined;
    const message = await this.#source.read();
    if (message === undefined) {
      this.#ended = true;
      return undefined;
    }
    return decodeFlightData(message, this.#maxMessageBytes);
  }

  /**
   * Next chunk: a record batch (with its metadata) or a metadata-only message;
   * schema and dictionary messages are absorbed. Undefined at the end.
   * @throws FlightError from the transport or for malformed data (INVALID_ARGUMENT).
   */
  readChunk(): Promise<FlightStreamChunk | undefined> {
    const pending = this.#pending.shift();
    return pending !== undefined ? Promise.resolve(pending) : this.#readChunkFromSource();
  }

  async #readChunkFromSource(): Promise<FlightStreamChunk | undefined> {
    for (;;) {
      let frame = this.#firstFrame;
      if (frame !== undefined) {
        this.#firstFrame = undefined;
      } else {
        if (this.#ended) return undefined;
        const message = await this.#source.read();
        if (message === undefined) {
          this.#ended = true;
          return undefined;
        }
        frame = decodeFlightData(message, this.#maxMessageBytes);
      }
      const chunk = this.#chunkOf(frame);
      if (chunk !== undefined) return chunk;
    }
  }

  /**
   * The chunk a frame carries, or undefined for one that carries none (schema, dictionary,
   * descriptor only). app_metadata riding on a Schema or dictionary message is dropped, as
   * Arrow C++ (pyarrow) does: arrow-go's writer copies a batch's app_metadata onto the
   * Schema and dictionary messages it sends with that batch, and the batch carries it too.
   */
  #chunkOf(frame: FlightDataFrame): FlightStreamChunk | undefined {
    if (frame.header.byteLength === 0) {
      // No IPC message: descriptor-only messages are skipped; metadata-only ones are chunks.
      return frame.appMetadata.byteLength > 0 ? { appMetadata: frame.appMetadata } : undefined;
    }
    const decoded = this.#decoder.decode(frame);
    if (decoded.kind !== "batch") return undefined;
    const meta = decoded.appMetadata.byteLength > 0 ? decoded.appMetadata : undefined;
    return meta === undefined ? { data: decoded.batch } : { data: decoded.batch, appMetadata: meta };
  }

  /**
   * The stream's schema, reading ahead to it if needed (metadata-only messages before
   * it are kept for later reads, at most `maxPendingChunks`).
   * @throws FlightInvalidArgumentError when the stream ends or a batch arrives without a schema.
   */
  async schema(): Promise<Schema> {
    for (;;) {
      const known = this.#decoder.schema;
      if (known !== undefined) return known;
      const chunk = await this.#readChunkFromSource();
      if (this.#decoder.schema !== undefined) {
        if (chunk !== undefined) this.#pending.push(chunk);
        return this.#decoder.schema;
      }
      if (chunk === undefined) throw new FlightInvalidArgumentError("the stream ended before its schema");
      if (this.#pending.length >= this.#maxPending) {
        throw new FlightResourceExhaustedError(`more than ${this.#maxPending} messages arrived before the schema`);
      }
      this.#pending.push(chunk);
    }
  }

  /** Reads the rest of the stream into a Table (an empty table with the schema if there are no batches). */
  async readAll(): Promise<Table> {
    const schema = await this.schema();
    const batches: RecordBatch[] = [];
    for (;;) {
      const chunk = await this.readChunk();
      if (chunk === undefined) break;
      if (chunk.data !== undefined) batches.push(chunk.data);
    }
    return batches.length === 0 ? new Table(schema) : new Table(batches);
  }

  /** Every chunk, metadata-only messages included. Breaking out of the loop cancels the stream. */
  chunks(): AsyncIterable<FlightStreamChunk> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<FlightStreamChunk, undefined>> => {
          const chunk = await this.readChunk();
          return chunk === undefined ? DONE : { done: false, value: chunk };
        },
        return: async (): Promise<IteratorResult<FlightStreamChunk, undefined>> => {
          this.cancel();
          return DONE;
        },
      }),
    };
  }

  /** Every raw frame, without decoding Arrow data. Breaking out of the loop cancels the stream. */
  frames(): AsyncIterable<FlightDataFrame> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<FlightDataFrame, undefined>> => {
          const frame = await this.readFrame();
          return frame === undefined ? DONE : { done: false, value: frame };
        },
        return: async (): Promise<IteratorResult<FlightDataFrame, undefined>> => {
          this.cancel();
          return DONE;
        },
      }),
    };
  }

  /** Record batches; metadata-only messages are skipped. Breaking out of the loop cancels the stream. */
  [Symbol.asyncIterator](): AsyncIterator<RecordBatch, undefined> {
    return {
      next: () => this.#nextBatch(),
      return: async (): Promise<IteratorResult<RecordBatch, undefined>> => {
        this.cancel();
        return DONE;
      },
    };
  }

  async #nextBatch(): Promise<IteratorResult<RecordBatch, undefined>> {
    for (;;) {
      const pending = this.#pending.shift();
      const chunk = pending ?? (await this.#readChunkFromSource());
      if (chunk === undefined) return DONE;
      if (chunk.data !== undefined) return { done: false, value: chunk.data };
    }
  }

  /** Stops reading: a client call is cancelled; on a server the rest of the upload is ignored. */
  cancel(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#firstFrame = undefined;
    this.#pending.length = 0;
    this.#source.cancel();
  }
}
