/**
 * The messages that cross the worker-thread boundary of the CPU pool.
 *
 * The boundary is treated like the network: tasks and results are discriminated
 * unions of plain data; byte payloads travel packed in one ArrayBuffer each that is
 * *transferred* (moved, not copied); errors cross as {@link SerializedError}.
 */

/** Compression codecs of the `compress` / `decompress` tasks. */
export type CompressionCodec = "gzip" | "brotli";

/** Several byte strings packed into one ArrayBuffer: `parts[i]` = [offset, length]. */
export interface PackedBytes {
  readonly buffer: ArrayBuffer;
  readonly parts: ReadonlyArray<readonly [number, number]>;
}

/** A task for the CPU pool. */
export type CpuTask =
  /** SHA-256 of a file's bytes. */
  | { readonly kind: "digest-file"; readonly path: string }
  /** SHA-256 of bytes (packed as one part). */
  | { readonly kind: "digest-bytes"; readonly bytes: PackedBytes }
  /**
   * Split one record batch message under `maxMessageBytes`. `context` packs the Schema
   * header, then header and body of every dictionary message so far; `batch` packs the
   * batch's header and body (often the received gRPC message's own buffer, moved).
   */
  | {
      readonly kind: "rechunk-batch";
      readonly context: PackedBytes;
      readonly batch: PackedBytes;
      readonly maxMessageBytes: number;
    }
  /** Parquet file bytes (one part) to an Arrow IPC stream. */
  | { readonly kind: "parquet-to-ipc"; readonly parquet: PackedBytes; readonly batchRows: number | undefined }
  /** Compress bytes (one part). */
  | {
      readonly kind: "compress";
      readonly codec: CompressionCodec;
      readonly level: number | undefined;
      readonly bytes: PackedBytes;
    }
  /** Decompress bytes (one part), failing past `maxOutputBytes`. */
  | {
      readonly kind: "decompress";
      readonly codec: CompressionCodec;
      readonly maxOutputBytes: number;
      readonly bytes: PackedBytes;
    };

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  /** A WorkerError/RegistryError string code, a FlightError numeric gRPC code, or undefined. */
  readonly code: string | number | undefined;
  readonly stack: string | undefined;
}

/** The result of a task. */
export type CpuTaskResult =
  | { readonly kind: "digest"; readonly digest: string; readonly bytes: number }
  /** Record batch messages: parts alternate header, body. */
  | { readonly kind: "frames"; readonly messages: PackedBytes }
  /** Bytes (one part): an IPC stream, compressed or decompressed bytes. */
  | { readonly kind: "bytes"; readonly bytes: PackedBytes }
  | { readonly kind: "error"; readonly error: SerializedError };

/** Pack byte strings into one fresh ArrayBuffer (one copy), 8-aligning each part. */
export function packBytes(parts: readonly Uint8Array[]): PackedBytes {
  let size = 0;
  const layout: Array<readonly [number, number]> = [];
  for (const p of parts) {
    size = Math.ceil(size / 8) * 8;
    layout.push([size, p.byteLength]);
    size += p.byteLength;
  }
  const buffer = new ArrayBuffer(size);
  const view = new Uint8Array(buffer);
  parts.forEach((p, i) => {
    view.set(p, (layout[i] as readonly [number, number])[0]);
  });
  return { buffer, parts: layout };
}

/** Wrap an ArrayBuffer the caller owns entirely (no copy) as one packed part. */
export function ownedBytes(bytes: Uint8Array): PackedBytes {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return { buffer: bytes.buffer, parts: [[0, bytes.byteLength]] };
  }
  return packBytes([bytes]);
}

/** Views of the packed parts. */
export function unpackBytes(packed: PackedBytes): Uint8Array[] {
  return packed.parts.map(([offset, length]) => new Uint8Array(packed.buffer, offset, length));
}
