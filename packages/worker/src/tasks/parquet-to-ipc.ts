/**
 * Parquet file bytes -> Arrow IPC stream bytes, with parquet-wasm (arrow-rs compiled
 * to WebAssembly). CPU-bound: run it in the CPU pool. The WebAssembly module is loaded
 * on first use, so processes that never read Parquet do not pay for it.
 */
import { WorkerInvalidArgumentError } from "../worker-errors.js";

/**
 * Decode a whole Parquet file into an Arrow IPC stream.
 * @param batchRows rows per record batch (default: the file's row groups decide).
 * @throws WorkerInvalidArgumentError when the bytes are not a Parquet file it can read.
 */
export async function parquetToIpcStream(bytes: Uint8Array, batchRows?: number): Promise<Uint8Array> {
  const parquet = await import("parquet-wasm");
  try {
    const table = parquet.readParquet(bytes, batchRows === undefined ? undefined : { batchSize: batchRows });
    return table.intoIPCStream();
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new WorkerInvalidArgumentError(`not a readable Parquet file: ${detail}`, { cause });
  }
}
