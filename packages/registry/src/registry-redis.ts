/**
 * The Redis registry. Every update is one Lua script (atomic); TTLs are real Redis
 * expiries (PEXPIREAT) computed from Redis `TIME`, so all processes share one
 * clock. Key layout: redis-keys.ts and docs/redis-keys.md. Catalog scripts are in
 * redis-scripts-catalog.ts and the rest in redis-scripts-workers.ts.
 */

import { randomId } from "./random-id.js";
import { applyRebuild, planRebuild } from "./rebuild-plan.js";
import {
  decodeAnnouncement,
  decodeShard,
  decodeSummary,
  decodeTicketPayload,
  decodeUpload,
  decodeVersion,
  decodeWorker,
  encodeAnnounced,
  encodeShardFields,
  encodeShardSpec,
  encodeVersionMeta,
  replyArray,
  replyHash,
  replyInt,
  toBase64,
} from "./redis-codec.js";
import { type LuaScript, luaScript, RedisConnection } from "./redis-connection.js";
import { encodeDatasetName, type RedisKeys, redisKeys } from "./redis-keys.js";
import * as C from "./redis-scripts-catalog.js";
import * as W from "./redis-scripts-workers.js";
import { parseRedisUrl, redact } from "./redis-url.js";
import type { Registry } from "./registry.js";
import {
  LockLostError,
  RegistryCorruptError,
  ShardConflictError,
  ShardNotFoundError,
  StaleEpochError,
  TicketNotFoundError,
  UploadExpiredError,
  UploadNotFoundError,
  VersionSupersededError,
  WorkerNotRegisteredError,
} from "./registry-error.js";
import { DEFAULT_REGISTRY_PREFIX, type RedisRegistryOptions } from "./registry-options.js";
import type {
  AnnouncedShard,
  CommitRequest,
  DatasetSummary,
  DatasetVersion,
  HeartbeatResult,
  LockLease,
  LostWorker,
  RebuildReport,
  RebuildSkipReason,
  ShardInfo,
  ShardSpec,
  TicketInfo,
  TicketPayload,
  UploadInfo,
  WorkerAnnouncement,
  WorkerInfo,
  WorkerRegistration,
} from "./registry-types.js";
import {
  checkDatasetName,
  checkEpoch,
  checkId,
  checkInteger,
  checkLoad,
  checkLockLease,
  checkTtl,
  checkUploadId,
  checkVersion,
  isRandomId,
  MAX_TTL_MS,
  MAX_WORKER_TTL_MS,
  normalizeAnnounced,
  normalizeCommit,
  normalizePrefix,
  normalizeRegistration,
  normalizeShard,
  normalizeTicketPayload,
} from "./registry-validate.js";

const S = Object.fromEntries(
  Object.entries({ ...W, ...C })
    .filter(([name]) => name !== "LUA_PRELUDE")
    .map(([name, body]) => [name, luaScript(body)]),
) as Record<Exclude<keyof typeof W | keyof typeof C, "LUA_PRELUDE">, LuaScript>;

/**
 * Connect to Redis and return a registry on it (see `RedisRegistryOptions` for URL forms).
 * @throws RegistryInvalidArgumentError for a malformed URL, prefix or timeout.
 * @throws RegistryUnavailableError when Redis does not answer within `connectTimeoutMs`.
 */
export async function createRedisRegistry(urlOrOptions: string | RedisRegistryOptions): Promise<Registry> {
  const options = typeof urlOrOptions === "string" ? { url: urlOrOptions } : urlOrOptions;
  const parsed = parseRedisUrl(options.url);
  const prefix = normalizePrefix(options.prefix ?? parsed.prefix ?? DEFAULT_REGISTRY_PREFIX);
  const connection = await RedisConnection.open({
    parsed,
    label: redact(options.url),
    commandTimeoutMs: checkInteger(options.commandTimeoutMs ?? 5000, "commandTimeoutMs", 1, 3_600_000),
    connectTimeoutMs: checkInteger(options.connectTimeoutMs ?? 5000, "connectTimeoutMs", 1, 3_600_000),
    extra: options.redisOptions ?? {},
  });
  return new RedisRegistry(connection, prefix);
}

function staleOrGone(reply: unknown[], id: string, epoch: number): never {
  if (reply[0] === "STALE") {
    throw new StaleEpochError(`worker ${id} epoch ${epoch} is stale: epoch ${String(reply[1])} registered since`);
  }
  throw new WorkerNotRegisteredError(`worker ${id} epoch ${epoch} has no live registration; register again`);
}

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

class RedisRegistry implements Registry {
  readonly backend = "redis" as const;
  readonly #keys: RedisKeys;

  constructor(
    readonly connection: RedisConnection,
    readonly prefix: string,
  ) {
    this.#keys = redisKeys(prefix);
  }

  #run(script: LuaScript, key: string, args: ReadonlyArray<string | number>): Promise<unknown[]> {
    return this.connection.script(script, key, args);
  }

  async now(signal?: AbortSignal): Promise<number> {
    return this.connection.call(signal, async () => {
      const [s, us] = await this.connection.client.time();
      return Number(s) * 1000 + Math.floor(Number(us) / 1000);
    });
  }

  // ---------------------------------------------------------------- workers

  async registerWorker(registration: WorkerRegistration, signal?: AbortSignal): Promise<WorkerInfo> {
    const r = normalizeRegistration(registration);
    return this.connection.call(signal, async () => {
      const args = [
        this.#keys.base,
        r.id,
        JSON.stringify(r.locations),
        r.zone,
        String(r.capacity),
        String(r.load),
        String(r.ttlMs),
      ];
      const reply = await this.#run(S.REGISTER_WORKER, this.#keys.worker(r.id), args);
      return decodeWorker(replyHash(reply[1], "worker registration"));
    });
  }

  async heartbeat(id: string, epoch: number, load: number, signal?: AbortSignal): Promise<HeartbeatResult> {
    checkId(id, "worker id");
    checkEpoch(epoch);
    checkLoad(load);
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.HEARTBEAT, this.#keys.worker(id), [
        this.#keys.base,
        id,
        String(epoch),
        String(load),
      ]);
      if (reply[0] !== "OK") staleOrGone(reply, id, epoch);
      return { worker: decodeWorker(replyHash(reply[2], "worker registration")), announced: reply[1] === 1 };
    });
  }

  async deregisterWorker(id: string, epoch: number, signal?: AbortSignal): Promise<void> {
    checkId(id, "worker id");
    checkEpoch(epoch);
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.DEREGISTER_WORKER, this.#keys.worker(id), [this.#keys.base, id, String(epoch)]);
      if (reply[0] !== "OK") staleOrGone(reply, id, epoch);
    });
  }

  async getWorker(id: string, signal?: AbortSignal): Promise<WorkerInfo | null> {
    checkId(id, "worker id");
    return this.connection.call(signal, async () => {
      const h = await this.connection.client.hgetall(this.#keys.worker(id));
      return Object.keys(h).length === 0 ? null : decodeWorker(new Map(Object.entries(h)));
    });
  }

  async listWorkers(signal?: AbortSignal): Promise<WorkerInfo[]> {
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.LIST_WORKERS, this.#keys.workers, [this.#keys.base]);
      const list = replyArray(reply[1], "worker list").map((h) => decodeWorker(replyHash(h, "worker registration")));
      return list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    });
  }

  async listLostWorkers(signal?: AbortSignal): Promise<LostWorker[]> {
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.LIST_LOST_WORKERS, this.#keys.workers, [this.#keys.base]);
      const flat = replyArray(reply[1], "lost workers");
      const out: LostWorker[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        out.push({ id: String(flat[i]), lastSeenAt: replyInt(flat[i + 1], "last-seen time") });
      }
      return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    });
  }

  async forgetWorker(id: string, lastSeenAt: number, signal?: AbortSignal): Promise<boolean> {
    checkId(id, "worker id");
    checkInteger(lastSeenAt, "lastSeenAt", 0);
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.FORGET_WORKER, this.#keys.workers, [this.#keys.base, id, String(lastSeenAt)]);
      return reply[1] === 1;
    });
  }

  // ---------------------------------------------------------------- uploads

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
      const totalRows = shards.reduce((sum, s) => sum + s.rows, 0);
      const totalBytes = shards.reduce((sum, s) => sum + s.bytes, 0);
      const meta = {
        name: up.dataset,
        version: up.version,
        schema: toBase64(schema),
        shardCount: shards.length,
        totalRows,
        totalBytes,
      };
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
      const createdAt = replyInt(reply[1], "commit time");
      const name = up.dataset;
      const version = up.version;
      const out = shards.map((s) => ({ ...s, dataset: name, version }));
      return { name, version, schema, shards: out, totalRows, totalBytes, createdAt };
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

  // ---------------------------------------------------------------- catalog

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

  // ---------------------------------------------------------------- announcements

  async announceShards(
    workerId: string,
    epoch: number,
    shards: readonly AnnouncedShard[],
    signal?: AbortSignal,
  ): Promise<void> {
    checkId(workerId, "worker id");
    checkEpoch(epoch);
    const list = normalizeAnnounced(shards);
    return this.connection.call(signal, async () => {
      const args = [this.#keys.base, workerId, String(epoch), encodeAnnounced(list)];
      const reply = await this.#run(S.ANNOUNCE_SHARDS, this.#keys.worker(workerId), args);
      if (reply[0] !== "OK") staleOrGone(reply, workerId, epoch);
    });
  }

  async listAnnouncements(signal?: AbortSignal): Promise<WorkerAnnouncement[]> {
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.LIST_ANNOUNCEMENTS, this.#keys.announcements, [this.#keys.base]);
      const flat = replyArray(reply[1], "announcements");
      const out: WorkerAnnouncement[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        out.push(decodeAnnouncement(String(flat[i]), replyHash(flat[i + 1], "announcement")));
      }
      return out.sort((a, b) => (a.workerId < b.workerId ? -1 : a.workerId > b.workerId ? 1 : 0));
    });
  }

  async rebuildFromAnnouncements(liveOnly = true, signal?: AbortSignal): Promise<RebuildReport> {
    const announcements = await this.listAnnouncements(signal);
    const live = liveOnly ? new Set((await this.listWorkers(signal)).map((w) => w.id)) : null;
    return applyRebuild(planRebuild(announcements, live), (plan) =>
      this.connection.call(signal, async (): Promise<RebuildSkipReason | undefined> => {
        const r = plan.restorable;
        const args = [this.#keys.base, encodeDatasetName(plan.name), String(plan.maxVersion)];
        if (r === undefined) args.push("");
        else {
          const totalRows = r.shards.reduce((sum, s) => sum + s.rows, 0);
          const totalBytes = r.shards.reduce((sum, s) => sum + s.bytes, 0);
          const meta = {
            name: r.name,
            version: r.version,
            schema: toBase64(r.schema),
            shardCount: r.shards.length,
            totalRows,
            totalBytes,
          };
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
      }),
    );
  }

  // ---------------------------------------------------------------- tickets

  async createTicket(payload: TicketPayload, ttlMs: number, signal?: AbortSignal): Promise<TicketInfo> {
    const p = normalizeTicketPayload(payload);
    checkTtl(ttlMs, "ticket ttlMs", 1, MAX_TTL_MS);
    return this.connection.call(signal, async () => {
      const id = randomId();
      const reply = await this.#run(S.PUT_EXPIRING, this.#keys.ticket(id), [
        "p",
        JSON.stringify(p),
        String(ttlMs),
        "0",
      ]);
      return { id, payload: p, expiresAt: replyInt(reply[1], "ticket expiry") };
    });
  }

  async resolveTicket(id: string, signal?: AbortSignal): Promise<TicketInfo | null> {
    return this.connection.call(signal, async () => {
      if (!isRandomId(id)) return null;
      const [p, e] = await this.connection.client.hmget(this.#keys.ticket(id), "p", "e");
      if (p === null || p === undefined || e === null || e === undefined) return null;
      return { id, payload: decodeTicketPayload(p), expiresAt: replyInt(e, "ticket expiry") };
    });
  }

  async cancelTicket(id: string, signal?: AbortSignal): Promise<boolean> {
    return this.connection.call(
      signal,
      async () => isRandomId(id) && (await this.connection.client.del(this.#keys.ticket(id))) === 1,
    );
  }

  async renewTicket(id: string, ttlMs: number, signal?: AbortSignal): Promise<number> {
    checkTtl(ttlMs, "ticket ttlMs", 1, MAX_TTL_MS);
    return this.connection.call(signal, async () => {
      const reply = isRandomId(id)
        ? await this.#run(S.RENEW_EXPIRING, this.#keys.ticket(id), [String(ttlMs), "", ""])
        : [];
      if (reply[0] !== "OK") throw new TicketNotFoundError("ticket is unknown, expired or cancelled");
      return replyInt(reply[1], "ticket expiry");
    });
  }

  // ---------------------------------------------------------------- locks

  async tryAcquireLock(name: string, ttlMs: number, signal?: AbortSignal): Promise<LockLease | null> {
    checkId(name, "lock name");
    checkTtl(ttlMs, "lock ttlMs", 100, MAX_WORKER_TTL_MS);
    return this.connection.call(signal, async () => {
      const token = randomId();
      const reply = await this.#run(S.PUT_EXPIRING, this.#keys.lock(name), ["t", token, String(ttlMs), "1"]);
      return reply[0] === "OK" ? { name, token, expiresAt: replyInt(reply[1], "lock expiry") } : null;
    });
  }

  async renewLock(lease: LockLease, ttlMs: number, signal?: AbortSignal): Promise<LockLease> {
    checkLockLease(lease);
    checkTtl(ttlMs, "lock ttlMs", 100, MAX_WORKER_TTL_MS);
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.RENEW_EXPIRING, this.#keys.lock(lease.name), [String(ttlMs), "t", lease.token]);
      if (reply[0] !== "OK") throw new LockLostError(`lock ${lease.name} lapsed or was taken by another holder`);
      return { name: lease.name, token: lease.token, expiresAt: replyInt(reply[1], "lock expiry") };
    });
  }

  async releaseLock(lease: LockLease, signal?: AbortSignal): Promise<boolean> {
    checkLockLease(lease);
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.RELEASE_LOCK, this.#keys.lock(lease.name), [lease.token]);
      return reply[1] === 1;
    });
  }

  async close(): Promise<void> {
    return this.connection.close();
  }
}
