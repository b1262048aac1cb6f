/**
 * The Redis registry. Every update is one Lua script (atomic); TTLs are real Redis
 * expiries (PEXPIREAT) computed from Redis `TIME`, so all processes share one
 * clock. Key layout: redis-keys.ts and docs/redis-keys.md. The methods live in
 * redis-workers.ts, redis-catalog.ts and redis-leases.ts; this class composes them.
 */
import { applyRebuild, planRebuild } from "./rebuild-plan.js";
import { RedisCatalog } from "./redis-catalog.js";
import { RedisConnection } from "./redis-connection.js";
import { redisKeys } from "./redis-keys.js";
import { RedisLeases } from "./redis-leases.js";
import { parseRedisUrl, redact } from "./redis-url.js";
import { RedisWorkers } from "./redis-workers.js";
import type { Registry } from "./registry.js";
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
  ShardInfo,
  ShardSpec,
  TicketInfo,
  TicketPayload,
  UploadInfo,
  WorkerAnnouncement,
  WorkerInfo,
  WorkerRegistration,
} from "./registry-types.js";
import { checkInteger, normalizePrefix } from "./registry-validate.js";

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

class RedisRegistry implements Registry {
  readonly backend = "redis" as const;
  readonly #workers: RedisWorkers;
  readonly #catalog: RedisCatalog;
  readonly #leases: RedisLeases;

  constructor(
    readonly connection: RedisConnection,
    readonly prefix: string,
  ) {
    const keys = redisKeys(prefix);
    this.#workers = new RedisWorkers(connection, keys);
    this.#catalog = new RedisCatalog(connection, keys);
    this.#leases = new RedisLeases(connection, keys);
  }

  now(signal?: AbortSignal): Promise<number> {
    return this.connection.call(signal, async () => {
      const [s, us] = await this.connection.client.time();
      return Number(s) * 1000 + Math.floor(Number(us) / 1000);
    });
  }

  registerWorker(registration: WorkerRegistration, signal?: AbortSignal): Promise<WorkerInfo> {
    return this.#workers.registerWorker(registration, signal);
  }
  heartbeat(id: string, epoch: number, load: number, signal?: AbortSignal): Promise<HeartbeatResult> {
    return this.#workers.heartbeat(id, epoch, load, signal);
  }
  deregisterWorker(id: string, epoch: number, signal?: AbortSignal): Promise<void> {
    return this.#workers.deregisterWorker(id, epoch, signal);
  }
  getWorker(id: string, signal?: AbortSignal): Promise<WorkerInfo | null> {
    return this.#workers.getWorker(id, signal);
  }
  listWorkers(signal?: AbortSignal): Promise<WorkerInfo[]> {
    return this.#workers.listWorkers(signal);
  }
  listLostWorkers(signal?: AbortSignal): Promise<LostWorker[]> {
    return this.#workers.listLostWorkers(signal);
  }
  forgetWorker(id: string, lastSeenAt: number, signal?: AbortSignal): Promise<boolean> {
    return this.#workers.forgetWorker(id, lastSeenAt, signal);
  }
  announceShards(
    workerId: string,
    epoch: number,
    shards: readonly AnnouncedShard[],
    signal?: AbortSignal,
  ): Promise<void> {
    return this.#workers.announceShards(workerId, epoch, shards, signal);
  }
  listAnnouncements(signal?: AbortSignal): Promise<WorkerAnnouncement[]> {
    return this.#workers.listAnnouncements(signal);
  }

  beginUpload(dataset: string, ttlMs: number, signal?: AbortSignal): Promise<UploadInfo> {
    return this.#catalog.beginUpload(dataset, ttlMs, signal);
  }
  recordUploadShard(uploadId: string, shard: ShardSpec, signal?: AbortSignal): Promise<void> {
    return this.#catalog.recordUploadShard(uploadId, shard, signal);
  }
  renewUpload(uploadId: string, ttlMs: number, signal?: AbortSignal): Promise<number> {
    return this.#catalog.renewUpload(uploadId, ttlMs, signal);
  }
  getUpload(uploadId: string, signal?: AbortSignal): Promise<UploadInfo | null> {
    return this.#catalog.getUpload(uploadId, signal);
  }
  commitUpload(uploadId: string, request: CommitRequest, signal?: AbortSignal): Promise<DatasetVersion> {
    return this.#catalog.commitUpload(uploadId, request, signal);
  }
  abortUpload(uploadId: string, signal?: AbortSignal): Promise<UploadInfo | null> {
    return this.#catalog.abortUpload(uploadId, signal);
  }
  listExpiredUploads(limit?: number, signal?: AbortSignal): Promise<UploadInfo[]> {
    return this.#catalog.listExpiredUploads(limit, signal);
  }
  getDataset(name: string, version?: number, signal?: AbortSignal): Promise<DatasetVersion | null> {
    return this.#catalog.getDataset(name, version, signal);
  }
  listDatasets(signal?: AbortSignal): Promise<DatasetSummary[]> {
    return this.#catalog.listDatasets(signal);
  }
  listDatasetVersions(name: string, signal?: AbortSignal): Promise<number[]> {
    return this.#catalog.listDatasetVersions(name, signal);
  }
  dropDataset(name: string, version?: number, signal?: AbortSignal): Promise<DatasetVersion[]> {
    return this.#catalog.dropDataset(name, version, signal);
  }
  getShard(shardId: string, signal?: AbortSignal): Promise<ShardInfo | null> {
    return this.#catalog.getShard(shardId, signal);
  }
  addReplica(shardId: string, workerId: string, signal?: AbortSignal): Promise<string[]> {
    return this.#catalog.addReplica(shardId, workerId, signal);
  }
  removeReplica(shardId: string, workerId: string, signal?: AbortSignal): Promise<string[]> {
    return this.#catalog.removeReplica(shardId, workerId, signal);
  }

  async rebuildFromAnnouncements(liveOnly = true, signal?: AbortSignal): Promise<RebuildReport> {
    const announcements = await this.#workers.listAnnouncements(signal);
    const live = liveOnly ? new Set((await this.#workers.listWorkers(signal)).map((w) => w.id)) : null;
    return applyRebuild(planRebuild(announcements, live), (plan) => this.#catalog.restore(plan, signal));
  }

  createTicket(payload: TicketPayload, ttlMs: number, signal?: AbortSignal): Promise<TicketInfo> {
    return this.#leases.createTicket(payload, ttlMs, signal);
  }
  createTickets(payloads: readonly TicketPayload[], ttlMs: number, signal?: AbortSignal): Promise<TicketInfo[]> {
    return this.#leases.createTickets(payloads, ttlMs, signal);
  }
  resolveTicket(id: string, signal?: AbortSignal): Promise<TicketInfo | null> {
    return this.#leases.resolveTicket(id, signal);
  }
  cancelTicket(id: string, signal?: AbortSignal): Promise<boolean> {
    return this.#leases.cancelTicket(id, signal);
  }
  renewTicket(id: string, ttlMs: number, signal?: AbortSignal): Promise<number> {
    return this.#leases.renewTicket(id, ttlMs, signal);
  }
  tryAcquireLock(name: string, ttlMs: number, signal?: AbortSignal): Promise<LockLease | null> {
    return this.#leases.tryAcquireLock(name, ttlMs, signal);
  }
  renewLock(lease: LockLease, ttlMs: number, signal?: AbortSignal): Promise<LockLease> {
    return this.#leases.renewLock(lease, ttlMs, signal);
  }
  releaseLock(lease: LockLease, signal?: AbortSignal): Promise<boolean> {
    return this.#leases.releaseLock(lease, signal);
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
