/**
 * The worker's on-disk manifest: `<data-dir>/manifest.json`.
 *
 * It names the worker (a stable id that survives restarts of the same data directory)
 * and lists every shard file the worker holds with what a catalog rebuild needs.
 * A shard exists for the worker exactly when the manifest lists it: files are renamed
 * into place *before* their entry is written and deleted *after* their entry is
 * removed, so a crash leaves at most an unlisted file, which start-up deletes.
 * The file is replaced atomically (temp file, fsync, rename, fsync directory);
 * concurrent changes are group-committed into one write.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./fs-durable.js";
import { ManifestCorruptError } from "./worker-errors.js";

/** Version of the manifest file format. */
export const MANIFEST_FORMAT = 1;

/** One shard held by the worker. */
export interface ManifestEntry {
  readonly shardId: string;
  readonly dataset: string;
  readonly version: number;
  /** Position of the shard in its dataset version, 0-based. */
  readonly index: number;
  readonly rows: number;
  /** Size of the shard file in bytes. */
  readonly bytes: number;
  /** `sha256:<hex>` of the shard file's bytes. */
  readonly digest: string;
  /** The dataset's schema as an encapsulated IPC message, base64. */
  readonly schema: string;
  /** Upload that wrote the shard; null for a repair copy of a committed shard. */
  readonly uploadId: string | null;
  /** True once the worker has seen the shard's dataset version committed in the catalog. */
  readonly committed: boolean;
  /** When the version was committed (ms since epoch), when known. */
  readonly committedAt: number | null;
  /** Number of shards of the dataset version, once committed. */
  readonly shardCount: number | null;
  /** When the file was stored (ms since epoch). */
  readonly storedAt: number;
}

interface ManifestFile {
  readonly format: number;
  readonly workerId: string;
  readonly shards: readonly ManifestEntry[];
}

const isString = (v: unknown): v is string => typeof v === "string";
/** Shard ids name files: the same rule as identifiers.ts `checkShardId`. */
const SHARD_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isCountOrNull = (v: unknown): boolean => v === null || isCount(v);

function checkEntry(value: unknown, where: string): ManifestEntry {
  const e = value as Record<string, unknown>;
  const ok =
    typeof value === "object" &&
    value !== null &&
    isString(e["shardId"]) &&
    SHARD_ID.test(e["shardId"]) &&
    e["shardId"] !== "." &&
    e["shardId"] !== ".." &&
    isString(e["dataset"]) &&
    isCount(e["version"]) &&
    isCount(e["index"]) &&
    isCount(e["rows"]) &&
    isCount(e["bytes"]) &&
    isString(e["digest"]) &&
    isString(e["schema"]) &&
    (e["uploadId"] === null || isString(e["uploadId"])) &&
    typeof e["committed"] === "boolean" &&
    isCountOrNull(e["committedAt"]) &&
    isCountOrNull(e["shardCount"]) &&
    isCount(e["storedAt"]);
  if (!ok) throw new ManifestCorruptError(`${where}: malformed shard entry ${JSON.stringify(value).slice(0, 200)}`);
  return value as ManifestEntry;
}

/** The manifest of one data directory; see the file comment. */
export class Manifest {
  readonly #path: string;
  readonly #entries = new Map<string, ManifestEntry>();
  #workerId: string;
  #generation = 0;
  #persisted = 0;
  #writing: Promise<void> | undefined;

  private constructor(path: string, workerId: string, entries: readonly ManifestEntry[]) {
    this.#path = path;
    this.#workerId = workerId;
    for (const e of entries) this.#entries.set(e.shardId, e);
  }

  /**
   * Load `<dataDir>/manifest.json`; a missing file gives an empty manifest named
   * `defaultWorkerId` (not written until the first change or {@link save}).
   * @throws ManifestCorruptError when the file exists but cannot be parsed: the worker
   * must not start and forget the shards it holds.
   */
  static async load(dataDir: string, defaultWorkerId: string): Promise<Manifest> {
    const path = join(dataDir, "manifest.json");
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        const fresh = new Manifest(path, defaultWorkerId, []);
        fresh.#generation = 1;
        return fresh;
      }
      throw new ManifestCorruptError(`${path}: cannot be read`, { cause: error });
    }
    let parsed: ManifestFile;
    try {
      parsed = JSON.parse(text) as ManifestFile;
    } catch (cause) {
      throw new ManifestCorruptError(`${path}: not valid JSON`, { cause });
    }
    if (typeof parsed !== "object" || parsed === null || parsed.format !== MANIFEST_FORMAT) {
      throw new ManifestCorruptError(`${path}: unknown manifest format ${JSON.stringify(parsed?.format)}`);
    }
    if (!isString(parsed.workerId) || parsed.workerId.length === 0 || !Array.isArray(parsed.shards)) {
      throw new ManifestCorruptError(`${path}: missing workerId or shards`);
    }
    return new Manifest(
      path,
      parsed.workerId,
      parsed.shards.map((s) => checkEntry(s, path)),
    );
  }

  /** Path of manifest.json. */
  get path(): string {
    return this.#path;
  }

  /** The worker id stored in the manifest. */
  get workerId(): string {
    return this.#workerId;
  }

  /** Change the stored worker id (an explicit `--id` wins over the stored one); call {@link save} after. */
  setWorkerId(id: string): void {
    if (id === this.#workerId) return;
    this.#workerId = id;
    this.#generation++;
  }

  /** The entry of `shardId`, if listed. */
  get(shardId: string): ManifestEntry | undefined {
    return this.#entries.get(shardId);
  }

  /** Every entry, in no particular order. */
  list(): ManifestEntry[] {
    return [...this.#entries.values()];
  }

  /** Number of entries. */
  get size(): number {
    return this.#entries.size;
  }

  /** Add or replace an entry and persist. Resolves once a manifest containing the change is durable. */
  async put(entry: ManifestEntry): Promise<void> {
    this.#entries.set(entry.shardId, entry);
    this.#generation++;
    await this.save();
  }

  /** Remove entries and persist. Resolves once durable; false when none was listed. */
  async remove(...shardIds: string[]): Promise<boolean> {
    let removed = false;
    for (const id of shardIds) removed = this.#entries.delete(id) || removed;
    if (!removed) return false;
    this.#generation++;
    await this.save();
    return true;
  }

  /** Forget an entry in memory only (rollback of a failed `put`); the next save persists it. */
  forget(shardId: string): void {
    if (this.#entries.delete(shardId)) this.#generation++;
  }

  /**
   * Persist the current state if it changed since the last durable write. Concurrent
   * callers share writes: each resolves once a write that started after its change is done.
   * @throws the file system error of the write that should have included the change.
   */
  async save(): Promise<void> {
    const target = this.#generation;
    for (;;) {
      if (this.#persisted >= target) return;
      if (this.#writing === undefined) {
        const generation = this.#generation;
        const file: ManifestFile = { format: MANIFEST_FORMAT, workerId: this.#workerId, shards: this.list() };
        const text = `${JSON.stringify(file, null, 1)}\n`;
        this.#writing = writeFileAtomic(this.#path, text)
          .then(() => {
            this.#persisted = Math.max(this.#persisted, generation);
          })
          .finally(() => {
            this.#writing = undefined;
          });
      }
      await this.#writing;
    }
  }
}
