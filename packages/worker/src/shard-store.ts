/**
 * The worker's shard store: shard files under `<data-dir>/shards/` plus the manifest.
 *
 * Writing a shard: `<id>.arrows.tmp` is written and fsynced, its digest computed,
 * it is renamed to `<id>.arrows`, the directory fsynced, and only then is the shard
 * recorded in `manifest.json` (itself replaced atomically). A failed or cancelled
 * write removes the temporary file; a crash at any point leaves files that
 * {@link ShardStore.open} removes at the next start, so a shard is either fully
 * stored and listed or not there at all.
 */
import { randomBytes } from "node:crypto";
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { sha256File } from "./digest.js";
import { fsyncDirectory } from "./fs-durable.js";
import { checkDatasetName, checkInteger, checkShardId, checkUploadId } from "./identifiers.js";
import type { WorkerLogger } from "./logger.js";
import { Manifest, type ManifestEntry } from "./manifest.js";
import { readShardIndex, type ShardIndex } from "./shard-index.js";
import { type IpcFrame, type ShardRechunker, ShardWriter } from "./shard-writer.js";
import { DigestMismatchError, ShardExistsError, ShardFileCorruptError, ShardNotHeldError } from "./worker-errors.js";

/** Computes `sha256:<hex>` of a file. */
export type FileDigester = (path: string, signal?: AbortSignal) => Promise<string>;

/** Options of {@link ShardStore.open}. */
export interface ShardStoreOptions {
  /** The worker's data directory (created if missing). */
  readonly dataDir: string;
  /** An explicit worker id; otherwise the manifest's, or a new random one. */
  readonly workerId?: string | undefined;
  /** Largest FlightData message a stored message may encode to (bytes). */
  readonly maxMessageBytes: number;
  /** Largest shard file accepted (bytes). */
  readonly maxShardBytes: number;
  /** Hash while writing (main thread) instead of hashing the finished file with `digestFile`. */
  readonly hashInline: boolean;
  /** Digest of a finished file (e.g. in the CPU pool); default: streamed on the main thread. */
  readonly digestFile?: FileDigester | undefined;
  /** Splits record batches over the message limit; without one they are rejected. */
  readonly rechunker?: ShardRechunker | undefined;
  readonly logger: WorkerLogger;
  /** Clock (ms since epoch); default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** Shard indexes kept in memory; default 4096. */
  readonly indexCacheSize?: number | undefined;
}

/** Identity of a shard being stored. */
export interface ShardMeta {
  readonly shardId: string;
  readonly dataset: string;
  readonly version: number;
  readonly index: number;
  /** The upload writing it; null for a repair copy of a committed shard. */
  readonly uploadId: string | null;
}

/** Options of {@link ShardStore.put}. */
export interface PutShardOptions {
  readonly signal?: AbortSignal | undefined;
  /** Fail with DigestMismatchError (and store nothing) unless the file's digest equals this. */
  readonly expectedDigest?: string | undefined;
  /** Store the shard as already committed (repair copies of committed shards). */
  readonly committed?: { readonly shardCount: number; readonly committedAt: number } | undefined;
  /** The stream comes from another worker (see ShardWriterOptions.trimHeaderPadding). */
  readonly fromWorker?: boolean | undefined;
  /** Frames are received messages the caller never reuses (see ShardWriterOptions.framesOwned). */
  readonly framesOwned?: boolean | undefined;
}

/** A shard opened for reading. Call `close()` when done. */
export interface OpenShard {
  readonly entry: ManifestEntry;
  readonly index: ShardIndex;
  readonly file: FileHandle;
  /** Names the file in messages. */
  readonly where: string;
  close(): Promise<void>;
}

/** Shard files plus manifest of one data directory; see the file comment. */
export class ShardStore {
  readonly #options: ShardStoreOptions;
  readonly #manifest: Manifest;
  readonly #dir: string;
  readonly #now: () => number;
  readonly #digest: FileDigester;
  readonly #indexes = new Map<string, ShardIndex>();
  readonly #writing = new Set<string>();
  readonly #deletedWhileWriting = new Set<string>();

  private constructor(options: ShardStoreOptions, manifest: Manifest) {
    this.#options = options;
    this.#manifest = manifest;
    this.#dir = join(options.dataDir, "shards");
    this.#now = options.now ?? Date.now;
    this.#digest = options.digestFile ?? ((path, signal) => sha256File(path, signal));
  }

  /**
   * Open (or create) the store and recover from any crash: remove temporary files and
   * shard files the manifest does not list, and drop entries whose file is missing or
   * has the wrong size (logged as errors: that is data loss the catalog must repair).
   * @throws ManifestCorruptError when manifest.json exists but cannot be parsed.
   */
  static async open(options: ShardStoreOptions): Promise<ShardStore> {
    const dir = join(options.dataDir, "shards");
    await mkdir(dir, { recursive: true });
    const manifest = await Manifest.load(options.dataDir, options.workerId ?? `w-${randomBytes(8).toString("hex")}`);
    if (options.workerId !== undefined && options.workerId !== manifest.workerId) {
      options.logger.log("warn", "manifest_worker_id_changed", { from: manifest.workerId, to: options.workerId });
      manifest.setWorkerId(options.workerId);
    }
    const store = new ShardStore(options, manifest);
    await store.#recover();
    await manifest.save();
    return store;
  }

  async #recover(): Promise<void> {
    const log = this.#options.logger;
    const seen = new Set<string>();
    let removed = 0;
    for (const name of await readdir(this.#dir)) {
      const path = join(this.#dir, name);
      if (name.endsWith(".tmp")) {
        await rm(path, { force: true });
        removed++;
        log.log("info", "shard_temp_removed", { file: path });
        continue;
      }
      if (!name.endsWith(".arrows")) continue;
      const id = name.slice(0, -".arrows".length);
      const entry = this.#manifest.get(id);
      if (entry === undefined) {
        await rm(path, { force: true });
        removed++;
        log.log("warn", "shard_unlisted_removed", { file: path });
        continue;
      }
      const { size } = await stat(path);
      if (size !== entry.bytes) {
        log.log("error", "shard_size_mismatch", { shardId: id, expected: entry.bytes, actual: size });
        this.#manifest.forget(id);
        await rm(path, { force: true });
        removed++;
        continue;
      }
      seen.add(id);
    }
    for (const entry of this.#manifest.list()) {
      if (!seen.has(entry.shardId)) {
        log.log("error", "shard_file_missing", {
          shardId: entry.shardId,
          dataset: entry.dataset,
          version: entry.version,
        });
        this.#manifest.forget(entry.shardId);
      }
    }
    if (removed > 0) await fsyncDirectory(this.#dir);
  }

  /** The worker's stable id (from the manifest). */
  get workerId(): string {
    return this.#manifest.workerId;
  }

  /** The data directory. */
  get dataDir(): string {
    return this.#options.dataDir;
  }

  /** The entry of a held shard. */
  get(shardId: string): ManifestEntry | undefined {
    return this.#manifest.get(shardId);
  }

  /** Every held shard. */
  list(): ManifestEntry[] {
    return this.#manifest.list();
  }

  /** Number of shards held. */
  get size(): number {
    return this.#manifest.size;
  }

  /** Sum of held shard file sizes (bytes). */
  get bytesHeld(): number {
    let total = 0;
    for (const e of this.#manifest.list()) total += e.bytes;
    return total;
  }

  /** Shard ids being written right now. */
  get writing(): ReadonlySet<string> {
    return this.#writing;
  }

  #path(shardId: string): string {
    return join(this.#dir, `${shardId}.arrows`);
  }

  #checkMeta(meta: ShardMeta): void {
    checkShardId(meta.shardId);
    checkDatasetName(meta.dataset);
    checkInteger(meta.version, "version", 1);
    checkInteger(meta.index, "shard index", 0);
    if (meta.uploadId !== null) checkUploadId(meta.uploadId);
  }

  /**
   * Store a shard from its IPC messages (Schema first). Resolves with the manifest
   * entry once file and manifest are durable.
   * @throws WorkerInvalidArgumentError for bad identifiers; ShardExistsError when the id
   * is held (committed, or by another upload) or being written; InvalidShardStreamError /
   * ShardTooLargeError for a bad stream; DigestMismatchError; the signal's reason when
   * aborted. Nothing is left behind on any failure.
   */
  async put(meta: ShardMeta, frames: AsyncIterable<IpcFrame>, options: PutShardOptions = {}): Promise<ManifestEntry> {
    this.#checkMeta(meta);
    const id = meta.shardId;
    if (this.#writing.has(id)) throw new ShardExistsError(`shard ${id} is already being written on this worker`);
    const existing = this.#manifest.get(id);
    if (existing !== undefined && (existing.committed || existing.uploadId !== meta.uploadId)) {
      throw new ShardExistsError(`shard ${id} is already stored on this worker`);
    }
    this.#writing.add(id);
    this.#deletedWhileWriting.delete(id);
    try {
      return await this.#put(meta, frames, options);
    } finally {
      this.#writing.delete(id);
      this.#deletedWhileWriting.delete(id);
    }
  }

  async #put(meta: ShardMeta, frames: AsyncIterable<IpcFrame>, options: PutShardOptions): Promise<ManifestEntry> {
    const { signal } = options;
    const tmp = `${this.#path(meta.shardId)}.tmp`;
    await rm(tmp, { force: true });
    const writer = await ShardWriter.create({
      path: tmp,
      maxMessageBytes: this.#options.maxMessageBytes,
      maxShardBytes: this.#options.maxShardBytes,
      hashInline: this.#options.hashInline,
      rechunker: this.#options.rechunker,
      trimHeaderPadding: options.fromWorker === true,
      framesOwned: options.framesOwned === true,
    });
    let written: Awaited<ReturnType<ShardWriter["finish"]>>;
    let digest: string;
    try {
      for await (const frame of frames) await writer.write(frame, signal);
      signal?.throwIfAborted();
      written = await writer.finish();
      digest = written.digest ?? (await this.#digest(tmp, signal));
      if (options.expectedDigest !== undefined && digest !== options.expectedDigest) {
        throw new DigestMismatchError(
          `shard ${meta.shardId}: copied file has digest ${digest}, the catalog records ${options.expectedDigest}`,
        );
      }
      if (this.#deletedWhileWriting.has(meta.shardId)) {
        throw new ShardNotHeldError(`shard ${meta.shardId} was deleted while it was being written`);
      }
      signal?.throwIfAborted();
    } catch (error) {
      await writer.abort();
      throw error;
    }
    const path = this.#path(meta.shardId);
    const entry: ManifestEntry = {
      shardId: meta.shardId,
      dataset: meta.dataset,
      version: meta.version,
      index: meta.index,
      rows: written.rows,
      bytes: written.bytes,
      digest,
      schema: Buffer.from(written.schema).toString("base64"),
      uploadId: meta.uploadId,
      committed: options.committed !== undefined,
      committedAt: options.committed?.committedAt ?? null,
      shardCount: options.committed?.shardCount ?? null,
      storedAt: this.#now(),
    };
    try {
      await rename(tmp, path);
      await fsyncDirectory(this.#dir);
      await this.#manifest.put(entry);
    } catch (error) {
      this.#manifest.forget(meta.shardId);
      await rm(tmp, { force: true });
      await rm(path, { force: true });
      throw error;
    }
    this.#cacheIndex(meta.shardId, written.index);
    this.#options.logger.log("info", "shard_stored", {
      shardId: meta.shardId,
      dataset: meta.dataset,
      version: meta.version,
      index: meta.index,
      rows: entry.rows,
      bytes: entry.bytes,
      digest,
    });
    return entry;
  }

  #cacheIndex(shardId: string, index: ShardIndex): void {
    this.#indexes.delete(shardId);
    this.#indexes.set(shardId, index);
    const limit = this.#options.indexCacheSize ?? 4096;
    while (this.#indexes.size > limit) {
      const oldest = this.#indexes.keys().next().value;
      if (oldest === undefined) break;
      this.#indexes.delete(oldest);
    }
  }

  /**
   * Record that the shard's dataset version is committed (learnt from the catalog).
   * No-op when already recorded. @throws ShardNotHeldError when the shard is not held.
   */
  async markCommitted(
    shardId: string,
    info: { readonly shardCount: number; readonly committedAt: number },
  ): Promise<void> {
    const entry = this.#manifest.get(shardId);
    if (entry === undefined) throw new ShardNotHeldError(`shard ${shardId} is not held by worker ${this.workerId}`);
    if (entry.committed && entry.shardCount === info.shardCount) return;
    await this.#manifest.put({ ...entry, committed: true, committedAt: info.committedAt, shardCount: info.shardCount });
  }

  /**
   * Delete a shard: its manifest entry first (durably), then the file. A shard being
   * written is marked so that its write fails instead of being recorded.
   * Resolves to false when nothing was held or being written.
   */
  async delete(shardId: string): Promise<boolean> {
    checkShardId(shardId);
    const writing = this.#writing.has(shardId);
    if (writing) this.#deletedWhileWriting.add(shardId);
    const removed = await this.#manifest.remove(shardId);
    this.#indexes.delete(shardId);
    if (removed) {
      await rm(this.#path(shardId), { force: true });
      await fsyncDirectory(this.#dir);
      this.#options.logger.log("info", "shard_deleted", { shardId });
    }
    return removed || writing;
  }

  /**
   * Open a held shard for reading; its message index comes from memory or is rebuilt
   * from the file. The open handle keeps the data readable even if the shard is deleted
   * meanwhile. @throws ShardNotHeldError; ShardFileCorruptError when the file is damaged.
   */
  async openShard(shardId: string): Promise<OpenShard> {
    const entry = this.#manifest.get(shardId);
    if (entry === undefined) {
      throw new ShardNotHeldError(`shard ${shardId} is not held by worker ${this.workerId}`);
    }
    const path = this.#path(shardId);
    let file: FileHandle;
    try {
      file = await open(path, "r");
    } catch (cause) {
      throw new ShardFileCorruptError(`shard file ${path} cannot be opened`, { cause });
    }
    try {
      let index = this.#indexes.get(shardId);
      if (index === undefined) {
        index = await readShardIndex(file, path);
        if (index.fileBytes !== entry.bytes) {
          throw new ShardFileCorruptError(
            `shard file ${path} has ${index.fileBytes} bytes, manifest says ${entry.bytes}`,
          );
        }
        this.#cacheIndex(shardId, index);
      }
      return { entry, index, file, where: path, close: () => file.close() };
    } catch (error) {
      await file.close();
      throw error;
    }
  }
}
