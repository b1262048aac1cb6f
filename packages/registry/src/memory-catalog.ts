/**
 * Datasets, versions, shards, replicas and pending uploads of the memory backend.
 * Methods take the operation's clock reading (`now`, ms) and validated arguments;
 * the registry class does the checks. Each method completes synchronously, so
 * every update is atomic.
 */

import { randomId } from "./random-id.js";
import type { RestorableVersion } from "./rebuild-plan.js";
import {
  ShardConflictError,
  ShardNotFoundError,
  UploadExpiredError,
  UploadNotFoundError,
  VersionSupersededError,
} from "./registry-error.js";
import type {
  DatasetSummary,
  DatasetVersion,
  RebuildSkipReason,
  ShardInfo,
  ShardSpec,
  UploadInfo,
} from "./registry-types.js";

interface StoredVersion {
  readonly name: string;
  readonly version: number;
  readonly schema: Uint8Array;
  readonly shards: ReadonlyArray<Omit<ShardSpec, "replicas">>;
  readonly replicas: Map<string, Set<string>>;
  readonly totalRows: number;
  readonly totalBytes: number;
  readonly createdAt: number;
}

interface StoredUpload {
  readonly id: string;
  readonly dataset: string;
  readonly version: number;
  readonly createdAt: number;
  expiresAt: number;
  readonly shards: Map<string, ShardSpec>;
}

/** The memory backend's catalog state. */
export class MemoryCatalog {
  readonly #datasets = new Map<string, Map<number, StoredVersion>>();
  /** Dataset name -> highest version ever allocated. */
  readonly #seq = new Map<string, number>();
  /** Dataset name -> highest version dropped by a full drop (tombstone for rebuild). */
  readonly #dropped = new Map<string, number>();
  readonly #shards = new Map<string, StoredVersion>();
  readonly #uploads = new Map<string, StoredUpload>();

  // ---------------------------------------------------------------- uploads

  #pending(uploadId: string, now: number): StoredUpload {
    const up = this.#uploads.get(uploadId);
    if (up === undefined)
      throw new UploadNotFoundError(`upload ${uploadId} does not exist (committed, aborted or never begun)`);
    if (up.expiresAt <= now)
      throw new UploadExpiredError(`upload ${uploadId} of ${up.dataset} expired; abort it and start again`);
    return up;
  }

  begin(dataset: string, ttlMs: number, now: number): UploadInfo {
    const version = (this.#seq.get(dataset) ?? 0) + 1;
    this.#seq.set(dataset, version);
    const up: StoredUpload = {
      id: randomId(),
      dataset,
      version,
      createdAt: now,
      expiresAt: now + ttlMs,
      shards: new Map(),
    };
    this.#uploads.set(up.id, up);
    return copyUpload(up);
  }

  record(uploadId: string, shard: ShardSpec, now: number): void {
    this.#pending(uploadId, now).shards.set(shard.id, shard);
  }

  renew(uploadId: string, ttlMs: number, now: number): number {
    const up = this.#pending(uploadId, now);
    up.expiresAt = now + ttlMs;
    return up.expiresAt;
  }

  upload(uploadId: string): UploadInfo | null {
    const up = this.#uploads.get(uploadId);
    return up === undefined ? null : copyUpload(up);
  }

  commit(uploadId: string, schema: Uint8Array, shards: readonly ShardSpec[], now: number): DatasetVersion {
    const up = this.#pending(uploadId, now);
    const top = maxKey(this.#datasets.get(up.dataset));
    if (top !== undefined && top >= up.version) {
      throw new VersionSupersededError(`version ${top} of ${up.dataset} was committed before version ${up.version}`);
    }
    const conflict = this.#conflict(shards);
    if (conflict !== undefined) throw new ShardConflictError(conflict);
    const stored = this.#insert(up.dataset, up.version, schema, shards, now);
    this.#uploads.delete(uploadId);
    return output(stored);
  }

  #conflict(shards: readonly ShardSpec[]): string | undefined {
    for (const shard of shards) {
      const owner = this.#shards.get(shard.id);
      if (owner !== undefined) return `shard ${shard.id} already belongs to ${owner.name} version ${owner.version}`;
    }
    return undefined;
  }

  #insert(name: string, version: number, schema: Uint8Array, shards: readonly ShardSpec[], createdAt: number) {
    const stored: StoredVersion = {
      name,
      version,
      schema,
      shards: shards.map(({ id, index, rows, bytes, digest }) => ({ id, index, rows, bytes, digest })),
      replicas: new Map(shards.map((s) => [s.id, new Set(s.replicas)])),
      totalRows: shards.reduce((sum, s) => sum + s.rows, 0),
      totalBytes: shards.reduce((sum, s) => sum + s.bytes, 0),
      createdAt,
    };
    const versions = this.#datasets.get(name) ?? new Map<number, StoredVersion>();
    this.#datasets.set(name, versions);
    versions.set(version, stored);
    for (const s of shards) this.#shards.set(s.id, stored);
    return stored;
  }

  abort(uploadId: string): UploadInfo | null {
    const up = this.#uploads.get(uploadId);
    if (up === undefined) return null;
    this.#uploads.delete(uploadId);
    return copyUpload(up);
  }

  expired(limit: number, now: number): UploadInfo[] {
    return [...this.#uploads.values()]
      .filter((up) => up.expiresAt <= now)
      .sort((a, b) => a.expiresAt - b.expiresAt || (a.id < b.id ? -1 : 1))
      .slice(0, limit)
      .map(copyUpload);
  }

  // ---------------------------------------------------------------- datasets

  get(name: string, version: number | undefined): DatasetVersion | null {
    const versions = this.#datasets.get(name);
    const stored = versions?.get(version ?? maxKey(versions) ?? 0);
    return stored === undefined ? null : output(stored);
  }

  list(): DatasetSummary[] {
    const out: DatasetSummary[] = [];
    for (const name of [...this.#datasets.keys()].sort()) {
      const versions = this.#datasets.get(name);
      const s = versions?.get(maxKey(versions) ?? 0);
      if (s === undefined) continue;
      const { version, totalRows, totalBytes, createdAt } = s;
      out.push({
        name,
        version,
        schema: s.schema.slice(),
        shardCount: s.shards.length,
        totalRows,
        totalBytes,
        createdAt,
      });
    }
    return out;
  }

  versions(name: string): number[] {
    return [...(this.#datasets.get(name)?.keys() ?? [])].sort((a, b) => a - b);
  }

  drop(name: string, version: number | undefined): DatasetVersion[] {
    const versions = this.#datasets.get(name);
    if (versions === undefined) return [];
    const doomed = [...versions.keys()].filter((v) => version === undefined || v === version).sort((a, b) => a - b);
    const out: DatasetVersion[] = [];
    for (const v of doomed) {
      const stored = versions.get(v) as StoredVersion;
      out.push(output(stored));
      versions.delete(v);
      for (const s of stored.shards) this.#shards.delete(s.id);
    }
    const last = doomed[doomed.length - 1];
    if (versions.size === 0 && last !== undefined) {
      this.#datasets.delete(name);
      this.#dropped.set(name, Math.max(this.#dropped.get(name) ?? 0, last));
    }
    return out;
  }

  shard(shardId: string): ShardInfo | null {
    const stored = this.#shards.get(shardId);
    const spec = stored?.shards.find((s) => s.id === shardId);
    return stored === undefined || spec === undefined ? null : shardInfo(stored, spec);
  }

  /** Add (`add = true`) or remove a replica; returns the replicas afterwards, sorted. */
  updateReplica(shardId: string, workerId: string, add: boolean): string[] {
    const set = this.#shards.get(shardId)?.replicas.get(shardId);
    if (set === undefined)
      throw new ShardNotFoundError(`shard ${shardId} is not part of any committed dataset version`);
    if (add) set.add(workerId);
    else set.delete(workerId);
    return [...set].sort();
  }

  // ---------------------------------------------------------------- rebuild

  /** Raise the version counter of `name` to at least `version`. */
  raiseVersionCounter(name: string, version: number): void {
    this.#seq.set(name, Math.max(this.#seq.get(name) ?? 0, version));
  }

  /** Commit a version found in announcements if the dataset is missing; else say why not. */
  restore(r: RestorableVersion, now: number): RebuildSkipReason | undefined {
    if (this.#datasets.has(r.name)) return "exists";
    if ((this.#dropped.get(r.name) ?? 0) >= r.version) return "dropped";
    if (this.#conflict(r.shards) !== undefined) return "shard-conflict";
    this.#insert(r.name, r.version, r.schema, r.shards, r.createdAt ?? now);
    return undefined;
  }
}

function maxKey(map: ReadonlyMap<number, unknown> | undefined): number | undefined {
  let max: number | undefined;
  for (const k of map?.keys() ?? []) if (max === undefined || k > max) max = k;
  return max;
}

function shardInfo(s: StoredVersion, spec: Omit<ShardSpec, "replicas">): ShardInfo {
  // Explicit fields, not a spread: this runs once per shard on every read.
  const { id, index, rows, bytes, digest } = spec;
  const replicas = Array.from(s.replicas.get(id) ?? []).sort();
  return { id, index, rows, bytes, digest, replicas, dataset: s.name, version: s.version };
}

function output(s: StoredVersion): DatasetVersion {
  const { name, version, totalRows, totalBytes, createdAt } = s;
  const shards = s.shards.map((spec) => shardInfo(s, spec));
  return { name, version, schema: s.schema.slice(), shards, totalRows, totalBytes, createdAt };
}

function copyUpload(up: StoredUpload): UploadInfo {
  const { id, dataset, version, createdAt, expiresAt } = up;
  const shards = [...up.shards.values()].map((s) => ({ ...s, replicas: [...s.replicas] }));
  return { id, dataset, version, createdAt, expiresAt, shards };
}
