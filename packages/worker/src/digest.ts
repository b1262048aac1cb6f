/**
 * SHA-256 digests of shard files, as `sha256:<hex>`.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

/** Bytes read per step when hashing a file: 1 MiB. */
export const DIGEST_CHUNK_BYTES = 1024 * 1024;

/**
 * Hash a file's bytes with SHA-256, reading it in 1 MiB steps.
 * Resolves to `sha256:<lowercase hex>`. @throws the file system error, or the signal's reason.
 */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  const file = await open(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(DIGEST_CHUNK_BYTES);
    let position = 0;
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await file.read(buffer, 0, buffer.byteLength, position);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
  } finally {
    await file.close();
  }
  return `sha256:${hash.digest("hex")}`;
}

/** Hash bytes in memory as `sha256:<hex>`. */
export function sha256Bytes(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
