/**
 * Pending uploads and the dataset catalog on Redis: the catalog half of the Redis
 * registry (see registry-redis.ts). Every update is one Lua script.
 */

import { randomId } from "./random-id.js";
import type { DatasetRebuildPlan } from "./rebuild-plan.js";
import {
  decodeShard,
  decodeSummary,
  decodeUpload,
  decodeVersion,
  encodeShardFields,
  encodeShardSpec,
  encodeVersionMeta,
  replyArray,
  replyHash,
  replyInt,
  toBase64,
  type VersionMeta,
} from "./redis-codec.js";
import type { LuaScript, RedisConnection } from "./redis-connection.js";
import { encodeDatasetName, type RedisKeys } from "./redis-keys.js";
import { S } from "./redis-scripts.js";
import {
  RegistryCorruptError,
  ShardConflictError,
  ShardNotFoundError,
  UploadExpiredError,
  UploadNotFoundError,
  VersionSupersededError,
} from "./registry-error.js";
import type {
  CommitRequest,
  DatasetSummary,
  DatasetVersion,
  RebuildSkipReason,
  ShardInfo,
  ShardSpec,
  UploadInfo,
} from "./registry-types.js";
import {
  checkDatasetName,
  checkId,
  checkInteger,
  checkTtl,
  checkUploadId,
  checkVersion,
  MAX_TTL_MS,
  normalizeCommit,
  normalizeShard,
} from "./registry-validate.js";

function pendingError(reply: unknown[], uploadId: string): never {
  if (reply[0] === "EXPIRED") {
    throw new UploadExpiredError(`upload ${uploadId} of ${String(reply[1])} expired; abort it and start again`);
  }
  if (reply[0] === "NOUPLOAD") {
    throw new UploadNotFoundError(`upload ${uploadId} does not exist (committed, aborted or never begun)`);
  }
  throw new RegistryCorruptError(`unexpected reply ${String(reply[0])} for upload ${uploadId}`);
}

/** "<base>ds:<enc>:v:<n>" -> "<name> version <n>" for conflict messages. */
function describeVersionKey(keys: RedisKeys, key: unknown): string {
  const text = String(key);
  const m = /^ds:(.*):v:(\d+)$/.exec(text.startsWith(keys.base) ? text.slice(keys.base.length) : text);
  return m === null ? text : `${decodeURIComponent(m[1] as string)} version ${m[2]}`;
}

function shardArgs(shards: readonly ShardSpec[]): string[] {
  return shards.flatMap((s) => [s.id, encodeShardFields(s), [...s.replicas].sort().join(" ")]);
}

function versionMeta(name: string, version: number, schema: Uint8Array, shards: readonly ShardSpec[]): VersionMeta {
  const totalRows = shards.reduce((sum, s) => sum + s.rows, 0);
  const totalBytes = shards.reduce((sum, s) => sum + s.bytes, 0);
  return { name, version, schema: toBase64(schema), shardCount: shards.length, totalRows, totalBytes };
}

/** The upload and catalog methods of the Redis registry. */
export class RedisCatalog {
  readonly #keys: RedisKeys;

  constructor(
    readonly connection: RedisConnection,
    keys: RedisKeys,
  ) {
    this.#keys = keys;
  }

  #run(script: LuaScript, key: string, args: ReadonlyArray<string | number>): Promise<unknown[]> {
    return this.connection.script(script, key, args);
  }

  async beginUpload(dataset: string, ttlMs: number, signal?: AbortSignal): Promise<UploadInfo> {
    checkDatasetName(dataset);
    checkTtl(ttlMs, "upload ttlMs", 100, MAX_TTL_MS);
    return this.connection.call(signal, async () => {
      const id = randomId();
      const args = [this.#keys.base, encodeDatasetName(dataset), dataset, String(ttlMs), id];
      const reply = await this.#run(S.BEGIN_UPLOAD, `${this.#keys.dataset(dataset)}:seq`, args);
      return {
        id,
        dataset,
        version: replyInt(reply[1], "upload version"),
        createdAt: replyInt(reply[2], "upload time"),
        expiresAt: replyInt(reply[3], "upload expiry"),
        shards: [],
      };
    });
  }

  async recordUploadShard(uploadId: string, shard: ShardSpec, signal?: AbortSignal): Promise<void> {
    checkUploadId(uploadId);
    const spec = normalizeShard(shard);
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.RECORD_UPLOAD_SHARD, this.#keys.upload(uploadId), [
        spec.id,
        encodeShardSpec(spec),
      ]);
      if (reply[0] !== "OK") pendingError(reply, uploadId);
    });
  }

  async renewUpload(uploadId: string, ttlMs: number, signal?: AbortSignal): Promise<number> {
    checkUploadId(uploadId);
    checkTtl(ttlMs, "upload ttlMs", 100, MAX_TTL_MS);
    return this.connection.call(signal, async () => {
      const args = [this.#keys.base, uploadId, String(ttlMs)];
      const reply = await this.#run(S.RENEW_UPLOAD, this.#keys.upload(uploadId), args);
      if (reply[0] !== "OK") pendingError(reply, uploadId);
      return replyInt(reply[1], "upload expiry");
    });
  }

  async #readUpload(uploadId: string, remove: boolean, signal: AbortSignal | undefined): Promise<UploadInfo | null> {
    checkUploadId(uploadId);
    return this.connection.call(signal, async () => {
      const args = [this.#keys.base, uploadId, remove ? "1" : "0"];
      const reply = await this.#run(S.GET_UPLOAD, this.#keys.upload(uploadId), args);
      const h = replyHash(reply[1], "upload");
      return h.size === 0 ? null : decodeUpload(uploadId, h, replyHash(reply[2], "upload shards"));
    });
  }

  async getUpload(uploadId: string, signal?: AbortSignal): Promise<UploadInfo | null> {
    return this.#readUpload(uploadId, false, signal);
  }

  async abortUpload(uploadId: string, signal?: AbortSignal): Promise<UploadInfo | null> {
    return this.#readUpload(uploadId, true, signal);
  }

  async commitUpload(uploadId: string, request: CommitRequest, signal?: AbortSignal): Promise<DatasetVersion> {
    checkUploadId(uploadId);
    const { schema, shards } = normalizeCommit(request);
    return this.connection.call(signal, async () => {
      const up = await this.#readUpload(uploadId, false, undefined);
      if (up === null)
        throw new UploadNotFoundError(`upload ${uploadId} does not exist (committed, aborted or never begun)`);
      const meta = versionMeta(up.dataset, up.version, schema, shards);
      const args = [
        this.#keys.base,
        uploadId,
        String(up.version),
        encodeVersionMeta(meta),
        String(shards.length),
        ...shardArgs(shards),
      ];
      const reply = await this.#run(S.COMMIT_UPLOAD, this.#keys.upload(uploadId), args);
      if (reply[0] === "SUPERSEDED") {
        throw new VersionSupersededError(
          `version ${String(reply[1])} of ${up.dataset} was committed before version ${up.version}`,
        );
      }
      if (reply[0] === "CONFLICT") {
        const owner = describeVersionKey(this.#keys, reply[2]);
        throw new ShardConflictError(`shard ${String(reply[1])} already belongs to ${owner}`);
      }
      if (reply[0] !== "OK") pendingError(reply, uploadId);
      const { name, version, totalRows, totalBytes } = meta;
      const out = shards.map((s) => ({ ...s, dataset: name, version }));
      return {
        name,
        version,
        schema,
        shards: out,
        totalRows,
        totalBytes,
        createdAt: replyInt(reply[1], "commit time"),
      };
    });
  }

  async listExpiredUploads(limit = 100, signal?: AbortSignal): Promise<UploadInfo[]> {
    checkInteger(limit, "limit", 1, 10_000);
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.LIST_EXPIRED_UPLOADS, this.#keys.uploads, [this.#keys.base, String(limit)]);
      const flat = replyArray(reply[1], "expired uploads");
      const out: UploadInfo[] = [];
      for (let i = 0; i + 2 < flat.length; i += 3) {
        const h = replyHash(flat[i + 1], "upload");
        if (h.size > 0) out.push(decodeUpload(String(flat[i]), h, replyHash(flat[i + 2], "upload shards")));
      }
      return out;
    });
  }

  async getDataset(name: string, version?: number, signal?: AbortSignal): Promise<DatasetVersion | null> {
    checkDatasetName(name);
    if (version !== undefined) checkVersion(version);
    return this.connection.call(signal, async () => {
      const dk = this.#keys.dataset(name);
      const reply = await this.#run(S.GET_DATASET, `${dk}:versions`, [
        dk,
        version === undefined ? "" : String(version),
      ]);
      const h = replyHash(reply[1], "dataset version");
      return h.size === 0 ? null : decodeVersion(h);
    });
  }

  async listDatasets(signal?: AbortSignal): Promise<DatasetSummary[]> {
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.LIST_DATASETS, this.#keys.datasets, [this.#keys.base]);
      const flat = replyArray(reply[1], "dataset list");
      const out: DatasetSummary[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) out.push(decodeSummary(flat[i], flat[i + 1]));
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  async listDatasetVersions(name: string, signal?: AbortSignal): Promise<number[]> {
    checkDatasetName(name);
    return this.connection.call(signal, async () => {
      const list = await this.connection.client.zrange(`${this.#keys.dataset(name)}:versions`, 0, -1);
      return list.map((v) => replyInt(v, "version")).sort((a, b) => a - b);
    });
  }

  async dropDataset(name: string, version?: number, signal?: AbortSignal): Promise<DatasetVersion[]> {
    checkDatasetName(name);
    if (version !== undefined) checkVersion(version);
    return this.connection.call(signal, async () => {
      const args = [this.#keys.base, encodeDatasetName(name), version === undefined ? "" : String(version)];
      const reply = await this.#run(S.DROP_DATASET, `${this.#keys.dataset(name)}:versions`, args);
      return replyArray(reply[1], "dropped versions").map((h) => decodeVersion(replyHash(h, "dataset version")));
    });
  }

  async getShard(shardId: string, signal?: AbortSignal): Promise<ShardInfo | null> {
    checkId(shardId, "shard id");
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.GET_SHARD, this.#keys.shard(shardId), [shardId]);
      return reply[0] === "OK" ? decodeShard(replyArray(reply[1], "shard")) : null;
    });
  }

  async #updateReplica(shardId: string, workerId: string, add: boolean, signal?: AbortSignal): Promise<string[]> {
    checkId(shardId, "shard id");
    checkId(workerId, "worker id");
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.UPDATE_REPLICA, this.#keys.shard(shardId), [shardId, workerId, add ? "1" : "0"]);
      if (reply[0] !== "OK")
        throw new ShardNotFoundError(`shard ${shardId} is not part of any committed dataset version`);
      return String(reply[1])
        .split(" ")
        .filter((r) => r.length > 0);
    });
  }

  async addReplica(shardId: string, workerId: string, signal?: AbortSignal): Promise<string[]> {
    return this.#updateReplica(shardId, workerId, true, signal);
  }

  async removeReplica(shardId: string, workerId: string, signal?: AbortSignal): Promise<string[]> {
    return this.#updateReplica(shardId, workerId, false, signal);
  }

  /** Raise the dataset's version counter and restore its restorable version if the dataset is missing. */
  async restore(plan: DatasetRebuildPlan, signal?: AbortSignal): Promise<RebuildSkipReason | undefined> {
    return this.connection.call(signal, async () => {
      const r = plan.restorable;
      const args = [this.#keys.base, encodeDatasetName(plan.name), String(plan.maxVersion)];
      if (r === undefined) args.push("");
      else {
        const meta = versionMeta(r.name, r.version, r.schema, r.shards);
        args.push(
          String(r.version),
          encodeVersionMeta(meta),
          String(r.createdAt ?? -1),
          String(r.shards.length),
          ...shardArgs(r.shards),
        );
      }
      const reply = await this.#run(S.RESTORE_DATASET, `${this.#keys.dataset(plan.name)}:seq`, args);
      const reasons: Record<string, RebuildSkipReason> = {
        EXISTS: "exists",
        DROPPED: "dropped",
        CONFLICT: "shard-conflict",
      };
      return reasons[String(reply[0])];
    });
  }
}
