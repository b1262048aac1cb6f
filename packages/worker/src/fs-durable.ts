/**
 * Durable file system steps: write fully, fsync a directory, replace a file atomically.
 *
 * A file is durable after its data is fsynced and the directory entry naming it is
 * fsynced too; `rename` over an existing name is atomic on POSIX file systems.
 */
import { randomBytes } from "node:crypto";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Write every byte of `buffers` at `position` (bytes) of `file`, looping over short
 * writes. Resolves to the position after the last byte.
 */
export async function writeAll(file: FileHandle, buffers: readonly Uint8Array[], position: number): Promise<number> {
  let pending = buffers.filter((b) => b.byteLength > 0);
  let at = position;
  while (pending.length > 0) {
    const { bytesWritten } = await file.writev(pending as Uint8Array[], at);
    at += bytesWritten;
    let skip = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const b of pending) {
      if (skip >= b.byteLength) {
        skip -= b.byteLength;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    pending = rest;
  }
  return at;
}

/** fsync a directory so that entries created, renamed or removed in it are durable. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replace `path` with `data` atomically and durably: write a temporary sibling,
 * fsync it, rename it over `path`, fsync the directory. Readers see the old or the
 * new content, never a mix; a crash leaves at most a `.tmp` sibling behind.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx");
  try {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    await writeAll(handle, [bytes], 0);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await fsyncDirectory(dir);
}
