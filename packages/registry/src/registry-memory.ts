/**
 * The embedded in-memory registry: the same behaviour as the Redis backend (one
 * contract test suite) for a single process. Every method validates its arguments,
 * reads the clock once, and then runs synchronously, so every update is atomic by
 * construction. TTLs are checked lazily against the injectable clock.
 */
import { MemoryCatalog } from "./memory-catalog.js";
import { ExpiringMap } from "./memory-expiring-map.js";
import { MemoryWorkers } from "./memory-workers.js";
import { randomId } from "./random-id.js";
import { applyRebuild, planRebuild } from "./rebuild-plan.js";
import type { Registry } from "./registry.js";
import { LockLostError, RegistryClosedError, TicketNotFoundError } from "./registry-error.js";
import { DEFAULT_REGISTRY_PREFIX, type MemoryRegistryOptions } from "./registry-options.js";
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
  normalizeTicketPayloads,
  throwIfAborted,
} from "./registry-validate.js";

/**
 * Create an in-memory registry for a single process (and for tests: inject `now`).
 * State lives only as long as the returned object.
 * @throws RegistryInvalidArgumentError for a malformed prefix.
 */
export function createMemoryRegistry(options: MemoryRegistryOptions = {}): Registry {
  return new MemoryRegistry(options.now ?? Date.now, normalizePrefix(options.prefix ?? DEFAULT_REGISTRY_PREFIX));
}

class MemoryRegistry implements Registry {
  readonly backend = "memory" as const;
  #closed = false;
  readonly #workers = new MemoryWorkers();
  readonly #catalog = new MemoryCatalog();
  readonly #tickets = new ExpiringMap<TicketPayload>();
  readonly #locks = new ExpiringMap<string>();

  constructor(
    readonly clock: () => number,
    readonly prefix: string,
  ) {}

  /** Check closed/aborted and read the clock once for the whole operation. */
  #enter(signal: AbortSignal | undefined): number {
    if (this.#closed) throw new RegistryClosedError("registry is closed");
    throwIfAborted(signal);
    return this.clock();
  }

  async now(signal?: AbortSignal): Promise<number> {
    return this.#enter(signal);
  }

  // ---------------------------------------------------------------- workers

  async registerWorker(registration: WorkerRegistration, signal?: AbortSignal): Promise<WorkerInfo> {
    const now = this.#enter(signal);
    return this.#workers.register(normalizeRegistration(registration), now);
  }

  async heartbeat(id: string, epoch: number, load: number, signal?: AbortSignal): Promise<HeartbeatResult> {
    const now = this.#enter(signal);
    checkId(id, "worker id");
    checkEpoch(epoch);
    checkLoad(load);
    return this.#workers.heartbeat(id, epoch, load, now);
  }

  async deregisterWorker(id: string, epoch: number, signal?: AbortSignal): Promise<void> {
    this.#enter(signal);
    checkId(id, "worker id");
    checkEpoch(epoch);
    this.#workers.deregister(id, epoch);
  }

  async getWorker(id: string, signal?: AbortSignal): Promise<WorkerInfo | null> {
    const now = this.#enter(signal);
    return this.#workers.get(checkId(id, "worker id"), now);
  }

  async listWorkers(signal?: AbortSignal): Promise<WorkerInfo[]> {
    return this.#workers.list(this.#enter(signal));
  }

  async listLostWorkers(signal?: AbortSignal): Promise<LostWorker[]> {
    return this.#workers.lost(this.#enter(signal));
  }

  async forgetWorker(id: string, lastSeenAt: number, signal?: AbortSignal): Promise<boolean> {
    const now = this.#enter(signal);
    checkId(id, "worker id");
    checkInteger(lastSeenAt, "lastSeenAt", 0);
    return this.#workers.forget(id, lastSeenAt, now);
  }

  // ---------------------------------------------------------------- uploads and catalog

  async beginUpload(dataset: string, ttlMs: number, signal?: AbortSignal): Promise<UploadInfo> {
    const now = this.#enter(signal);
    checkDatasetName(dataset);
    checkTtl(ttlMs, "upload ttlMs", 100, MAX_TTL_MS);
    return this.#catalog.begin(dataset, ttlMs, now);
  }

  async recordUploadShard(uploadId: string, shard: ShardSpec, signal?: AbortSignal): Promise<void> {
    const now = this.#enter(signal);
    checkUploadId(uploadId);
    this.#catalog.record(uploadId, normalizeShard(shard), now);
  }

  async renewUpload(uploadId: string, ttlMs: number, signal?: AbortSignal): Promise<number> {
    const now = this.#enter(signal);
    checkUploadId(uploadId);
    checkTtl(ttlMs, "upload ttlMs", 100, MAX_TTL_MS);
    return this.#catalog.renew(uploadId, ttlMs, now);
  }

  async getUpload(uploadId: string, signal?: AbortSignal): Promise<UploadInfo | null> {
    this.#enter(signal);
    return this.#catalog.upload(checkUploadId(uploadId));
  }

  async commitUpload(uploadId: string, request: CommitRequest, signal?: AbortSignal): Promise<DatasetVersion> {
    const now = this.#enter(signal);
    checkUploadId(uploadId);
    const { schema, shards } = normalizeCommit(request);
    return this.#catalog.commit(uploadId, schema, shards, now);
  }

  async abortUpload(uploadId: string, signal?: AbortSignal): Promise<UploadInfo | null> {
    this.#enter(signal);
    return this.#catalog.abort(checkUploadId(uploadId));
  }

  async listExpiredUploads(limit = 100, signal?: AbortSignal): Promise<UploadInfo[]> {
    const now = this.#enter(signal);
    return this.#catalog.expired(checkInteger(limit, "limit", 1, 10_000), now);
  }

  async getDataset(name: string, version?: number, signal?: AbortSignal): Promise<DatasetVersion | null> {
    this.#enter(signal);
    checkDatasetName(name);
    return this.#catalog.get(name, version === undefined ? undefined : checkVersion(version));
  }

  async listDatasets(signal?: AbortSignal): Promise<DatasetSummary[]> {
    this.#enter(signal);
    return this.#catalog.list();
  }

  async listDatasetVersions(name: string, signal?: AbortSignal): Promise<number[]> {
    this.#enter(signal);
    return this.#catalog.versions(checkDatasetName(name));
  }

  async dropDataset(name: string, version?: number, signal?: AbortSignal): Promise<DatasetVersion[]> {
    this.#enter(signal);
    checkDatasetName(name);
    return this.#catalog.drop(name, version === undefined ? undefined : checkVersion(version));
  }

  async getShard(shardId: string, signal?: AbortSignal): Promise<ShardInfo | null> {
    this.#enter(signal);
    return this.#catalog.shard(checkId(shardId, "shard id"));
  }

  async addReplica(shardId: string, workerId: string, signal?: AbortSignal): Promise<string[]> {
    this.#enter(signal);
    return this.#catalog.updateReplica(checkId(shardId, "shard id"), checkId(workerId, "worker id"), true);
  }

  async removeReplica(shardId: string, workerId: string, signal?: AbortSignal): Promise<string[]> {
    this.#enter(signal);
    return this.#catalog.updateReplica(checkId(shardId, "shard id"), checkId(workerId, "worker id"), false);
  }

  // ---------------------------------------------------------------- announcements

  async announceShards(
    workerId: string,
    epoch: number,
    shards: readonly AnnouncedShard[],
    signal?: AbortSignal,
  ): Promise<void> {
    const now = this.#enter(signal);
    checkId(workerId, "worker id");
    checkEpoch(epoch);
    this.#workers.announce(workerId, epoch, normalizeAnnounced(shards), now);
  }

  async listAnnouncements(signal?: AbortSignal): Promise<WorkerAnnouncement[]> {
    this.#enter(signal);
    return this.#workers.announcements();
  }

  async rebuildFromAnnouncements(liveOnly = true, signal?: AbortSignal): Promise<RebuildReport> {
    const now = this.#enter(signal);
    const plans = planRebuild(this.#workers.announcements(), liveOnly ? this.#workers.liveIds(now) : null);
    return applyRebuild(plans, async (plan) => {
      this.#catalog.raiseVersionCounter(plan.name, plan.maxVersion);
      return plan.restorable === undefined ? undefined : this.#catalog.restore(plan.restorable, now);
    });
  }

  // ---------------------------------------------------------------- tickets

  async createTicket(payload: TicketPayload, ttlMs: number, signal?: AbortSignal): Promise<TicketInfo> {
    const now = this.#enter(signal);
    const p = normalizeTicketPayload(payload);
    checkTtl(ttlMs, "ticket ttlMs", 1, MAX_TTL_MS);
    const id = randomId();
    this.#tickets.set(id, p, now + ttlMs, now);
    return { id, payload: copyPayload(p), expiresAt: now + ttlMs };
  }

  async createTickets(payloads: readonly TicketPayload[], ttlMs: number, signal?: AbortSignal): Promise<TicketInfo[]> {
    const now = this.#enter(signal);
    const normalized = normalizeTicketPayloads(payloads);
    checkTtl(ttlMs, "ticket ttlMs", 1, MAX_TTL_MS);
    return normalized.map((p) => {
      const id = randomId();
      this.#tickets.set(id, p, now + ttlMs, now);
      return { id, payload: copyPayload(p), expiresAt: now + ttlMs };
    });
  }

  async resolveTicket(id: string, signal?: AbortSignal): Promise<TicketInfo | null> {
    const now = this.#enter(signal);
    const t = isRandomId(id) ? this.#tickets.get(id, now) : undefined;
    return t === undefined ? null : { id, payload: copyPayload(t.value), expiresAt: t.expiresAt };
  }

  async cancelTicket(id: string, signal?: AbortSignal): Promise<boolean> {
    const now = this.#enter(signal);
    return isRandomId(id) && this.#tickets.delete(id, now);
  }

  async renewTicket(id: string, ttlMs: number, signal?: AbortSignal): Promise<number> {
    const now = this.#enter(signal);
    checkTtl(ttlMs, "ticket ttlMs", 1, MAX_TTL_MS);
    const t = isRandomId(id) ? this.#tickets.get(id, now) : undefined;
    if (t === undefined) throw new TicketNotFoundError("ticket is unknown, expired or cancelled");
    t.expiresAt = now + ttlMs;
    return t.expiresAt;
  }

  // ---------------------------------------------------------------- locks

  async tryAcquireLock(name: string, ttlMs: number, signal?: AbortSignal): Promise<LockLease | null> {
    const now = this.#enter(signal);
    checkId(name, "lock name");
    checkTtl(ttlMs, "lock ttlMs", 100, MAX_WORKER_TTL_MS);
    if (this.#locks.get(name, now) !== undefined) return null;
    const token = randomId();
    this.#locks.set(name, token, now + ttlMs, now);
    return { name, token, expiresAt: now + ttlMs };
  }

  async renewLock(lease: LockLease, ttlMs: number, signal?: AbortSignal): Promise<LockLease> {
    const now = this.#enter(signal);
    checkLockLease(lease);
    checkTtl(ttlMs, "lock ttlMs", 100, MAX_WORKER_TTL_MS);
    const held = this.#locks.get(lease.name, now);
    if (held?.value !== lease.token)
      throw new LockLostError(`lock ${lease.name} lapsed or was taken by another holder`);
    held.expiresAt = now + ttlMs;
    return { name: lease.name, token: lease.token, expiresAt: held.expiresAt };
  }

  async releaseLock(lease: LockLease, signal?: AbortSignal): Promise<boolean> {
    const now = this.#enter(signal);
    checkLockLease(lease);
    if (this.#locks.get(lease.name, now)?.value !== lease.token) return false;
    return this.#locks.delete(lease.name, now);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

function copyPayload(p: TicketPayload): TicketPayload {
  return p.columns === undefined ? { ...p } : { ...p, columns: [...p.columns] };
}
