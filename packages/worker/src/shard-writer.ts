/**
 * Writes one shard file from a stream of IPC messages (the frames of a DoPut).
 *
 * The file is an Arrow IPC stream whose every message fits in one FlightData message
 * of at most `maxMessageBytes`: oversized record batches are re-chunked (by a
 * {@link ShardRechunker}, normally the CPU pool) before they are written. The writer
 * validates the stream as it goes (Schema first and only once, bodies as long as their
 * headers say, batches shaped like the schema), writes with one `writev` per message
 * (awaiting each write is the backpressure), and fsyncs on `finish()`. It never renames:
 * publishing the file is the shard store's job.
 */
import { createHash, type Hash } from "node:crypto";
import { type FileHandle, open, rm } from "node:fs/promises";
import { flightDataSize } from "./flight-data-layout.js";
import { writeAll } from "./fs-durable.js";
import { type IpcMessageInfo, inspectIpcHeader } from "./ipc-message-info.js";
import { checkAgainstShape, type SchemaShape, schemaShapeFromHeader } from "./ipc-schema-nodes.js";
import { IPC_CONTINUATION, IPC_PREFIX_BYTES, type ShardIndex, ShardIndexBuilder } from "./shard-index.js";
import { InvalidShardStreamError, ShardTooLargeError } from "./worker-errors.js";

/** One IPC message: its `Message` flatbuffer and its body (views are fine). */
export interface IpcFrame {
  readonly header: Uint8Array;
  readonly body: Uint8Array;
}

/** The stream context a re-chunker needs to decode a batch. */
export interface RechunkContext {
  /** The stream's Schema message header. */
  readonly schemaHeader: Uint8Array;
  /** Dictionary messages seen so far, in stream order. */
  readonly dictionaries: readonly IpcFrame[];
}

/** Options of {@link ShardRechunker.rechunk}. */
export interface RechunkOptions {
  readonly signal?: AbortSignal | undefined;
  /**
   * The caller never touches `batch` again and its bytes live in a buffer of their own
   * (a received gRPC message): a thread pool may move that buffer instead of copying it.
   */
  readonly transfer?: boolean | undefined;
}

/** Splits one oversized record batch message into record batch messages that each fit the limit. */
export interface ShardRechunker {
  /**
   * Return record batch messages (no dictionaries) with the same rows in the same
   * order, each encoding to at most `maxMessageBytes` as FlightData.
   * @throws InvalidShardStreamError when the batch does not decode.
   */
  rechunk(
    context: RechunkContext,
    batch: IpcFrame,
    maxMessageBytes: number,
    options?: RechunkOptions,
  ): Promise<IpcFrame[]>;
}

/** Options of {@link ShardWriter.create}. */
export interface ShardWriterOptions {
  /** Path of the temporary file to create (must not exist). */
  readonly path: string;
  /** Largest FlightData message a stored message may encode to (bytes). */
  readonly maxMessageBytes: number;
  /** Largest shard file accepted (bytes). */
  readonly maxShardBytes: number;
  /** Hash the bytes while writing; when false the caller computes the digest from the file. */
  readonly hashInline: boolean;
  /**
   * Store each header rounded *down* to 8 bytes when the bytes past that are zeros: for
   * streams served by another worker (shard copies), whose headers are the stored
   * 8-byte-multiple headers plus fewer than 8 bytes of alignment padding. This makes a
   * copy byte-identical to its source. Leave false for any other sender.
   */
  readonly trimHeaderPadding?: boolean | undefined;
  /** Used for record batches over `maxMessageBytes`; without one they are rejected. */
  readonly rechunker?: ShardRechunker | undefined;
  /** Frames come from the network and are not reused by the caller (see RechunkOptions.transfer). */
  readonly framesOwned?: boolean | undefined;
}

/** A finished (fsynced, closed, not yet renamed) shard file. */
export interface WrittenShard {
  readonly path: string;
  readonly index: ShardIndex;
  /** The schema as an encapsulated IPC message (continuation, length, flatbuffer, padding). */
  readonly schema: Uint8Array;
  readonly rows: number;
  /** File size in bytes. */
  readonly bytes: number;
  /** `sha256:<hex>` of the file when hashed inline, else undefined. */
  readonly digest: string | undefined;
}

const EOS = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
const ZEROS = Buffer.alloc(8);

/** Bytes a re-chunker must leave for the padding the file and FlightData layouts may add. */
export const RECHUNK_SLACK_BYTES = 64;

function isZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

/** The header bytes to store: padding trimmed (copies) and the length rounded up to 8 by the caller. */
function headerToStore(header: Uint8Array, trim: boolean): Uint8Array {
  if (!trim || header.byteLength % 8 === 0) return header;
  const floor = header.byteLength - (header.byteLength % 8);
  return floor > 0 && isZero(header.subarray(floor)) ? header.subarray(0, floor) : header;
}

function prefixFor(metadataLength: number): Buffer {
  const prefix = Buffer.allocUnsafe(IPC_PREFIX_BYTES);
  prefix.writeUInt32LE(IPC_CONTINUATION, 0);
  prefix.writeInt32LE(metadataLength, 4);
  return prefix;
}

/** Encapsulate an IPC message header as the stream format stores it (the schema bytes of FlightInfo). */
export function encapsulateHeader(header: Uint8Array): Uint8Array {
  const padded = Math.ceil(header.byteLength / 8) * 8;
  const out = Buffer.alloc(IPC_PREFIX_BYTES + padded);
  out.writeUInt32LE(IPC_CONTINUATION, 0);
  out.writeInt32LE(padded, 4);
  out.set(header, IPC_PREFIX_BYTES);
  return out;
}

/** Writes one shard; see the file comment. Not reusable; call `finish()` or `abort()` exactly once. */
export class ShardWriter {
  readonly #file: FileHandle;
  readonly #options: ShardWriterOptions;
  readonly #index = new ShardIndexBuilder();
  readonly #hash: Hash | undefined;
  #schemaHeader: Uint8Array | undefined;
  #shape: SchemaShape | undefined;
  #closed = false;

  private constructor(file: FileHandle, options: ShardWriterOptions) {
    this.#file = file;
    this.#options = options;
    this.#hash = options.hashInline ? createHash("sha256") : undefined;
  }

  /** Create the temporary file (exclusively) and return a writer for it. */
  static async create(options: ShardWriterOptions): Promise<ShardWriter> {
    const file = await open(options.path, "wx+");
    return new ShardWriter(file, options);
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.#index.offset;
  }

  /**
   * Validate and append one message. Metadata-only frames (empty header) are ignored.
   * @throws InvalidShardStreamError for a malformed stream, ShardTooLargeError past `maxShardBytes`.
   */
  async write(frame: IpcFrame, signal?: AbortSignal): Promise<void> {
    if (this.#closed) throw new InvalidShardStreamError("shard writer is closed");
    signal?.throwIfAborted();
    if (frame.header.byteLength === 0) {
      if (frame.body.byteLength > 0) throw new InvalidShardStreamError("FlightData with a body but no IPC header");
      return;
    }
    const header = headerToStore(frame.header, this.#options.trimHeaderPadding === true);
    const info = inspectIpcHeader(header);
    if (info.bodyLength !== frame.body.byteLength) {
      throw new InvalidShardStreamError(
        `IPC header declares a ${info.bodyLength}-byte body but the message carries ${frame.body.byteLength} bytes`,
      );
    }
    if (this.#shape === undefined) {
      if (info.kind !== "schema") throw new InvalidShardStreamError("the stream must start with a Schema message");
      this.#shape = schemaShapeFromHeader(header);
      this.#schemaHeader = Uint8Array.from(header);
    } else {
      if (info.kind === "schema")
        throw new InvalidShardStreamError("schema changed mid-stream (a second Schema message)");
      checkAgainstShape(header, this.#shape);
    }
    const stored = Math.ceil(header.byteLength / 8) * 8;
    if (info.kind === "batch" && flightDataSize(stored, info.bodyLength) > this.#options.maxMessageBytes) {
      await this.#writeRechunked({ header, body: frame.body }, signal);
      return;
    }
    await this.#append({ header, body: frame.body }, info);
  }

  async #writeRechunked(frame: IpcFrame, signal: AbortSignal | undefined): Promise<void> {
    const rechunker = this.#options.rechunker;
    if (rechunker === undefined) {
      throw new InvalidShardStreamError(
        `record batch of ${frame.header.byteLength + frame.body.byteLength} bytes exceeds the ${this.#options.maxMessageBytes}-byte message limit`,
      );
    }
    const original = inspectIpcHeader(frame.header).rows;
    const dictionaries = await this.#readDictionaries();
    const limit = this.#options.maxMessageBytes - RECHUNK_SLACK_BYTES;
    const pieces = await rechunker.rechunk(
      { schemaHeader: this.#schemaHeader as Uint8Array, dictionaries },
      frame,
      limit,
      {
        signal,
        transfer: this.#options.framesOwned === true,
      },
    );
    let rows = 0;
    for (const piece of pieces) {
      const info = inspectIpcHeader(piece.header);
      if (info.kind !== "batch" || info.bodyLength !== piece.body.byteLength) {
        throw new InvalidShardStreamError("re-chunking produced a message that is not a record batch");
      }
      rows += info.rows;
      await this.#append(piece, info);
    }
    if (rows !== original) {
      throw new InvalidShardStreamError(`re-chunking produced ${rows} rows from a batch of ${original}`);
    }
  }

  async #readDictionaries(): Promise<IpcFrame[]> {
    const built = this.#index.finish();
    const out: IpcFrame[] = [];
    for (const entry of built.entries) {
      if (entry.kind !== "dictionary") continue;
      const bytes = Buffer.allocUnsafe(entry.headerLength + entry.bodyLength);
      await this.#file.read(bytes, 0, bytes.byteLength, entry.headerOffset);
      out.push({ header: bytes.subarray(0, entry.headerLength), body: bytes.subarray(entry.headerLength) });
    }
    return out;
  }

  async #append(frame: IpcFrame, info: IpcMessageInfo): Promise<void> {
    const stored = Math.ceil(frame.header.byteLength / 8) * 8;
    const padding = stored - frame.header.byteLength;
    const size = IPC_PREFIX_BYTES + stored + frame.body.byteLength;
    if (this.#index.offset + size + EOS.byteLength > this.#options.maxShardBytes) {
      throw new ShardTooLargeError(`shard exceeds the ${this.#options.maxShardBytes}-byte limit of one shard`);
    }
    const parts = [prefixFor(stored), frame.header, ZEROS.subarray(0, padding), frame.body];
    const position = this.#index.offset;
    this.#index.add(info.kind, stored, info.bodyLength, info.rows);
    await this.#writeParts(parts, position);
  }

  async #writeParts(parts: readonly Uint8Array[], position: number): Promise<void> {
    await writeAll(this.#file, parts, position);
    if (this.#hash !== undefined) for (const p of parts) this.#hash.update(p);
  }

  /**
   * Write the end-of-stream marker, fsync and close the file.
   * @throws InvalidShardStreamError when the stream had no Schema message.
   */
  async finish(): Promise<WrittenShard> {
    if (this.#closed) throw new InvalidShardStreamError("shard writer is closed");
    if (this.#schemaHeader === undefined) throw new InvalidShardStreamError("the stream carried no Schema message");
    await this.#writeParts([EOS], this.#index.offset);
    this.#closed = true;
    await this.#file.sync();
    await this.#file.close();
    const index = this.#index.finish();
    return {
      path: this.#options.path,
      index,
      schema: encapsulateHeader(this.#schemaHeader),
      rows: index.rows,
      bytes: index.fileBytes,
      digest: this.#hash === undefined ? undefined : `sha256:${this.#hash.digest("hex")}`,
    };
  }

  /** Close and delete the temporary file. Safe to call after a failed `write` or `finish`. */
  async abort(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      await this.#file.close().catch(() => undefined);
    }
    await rm(this.#options.path, { force: true });
  }
}
