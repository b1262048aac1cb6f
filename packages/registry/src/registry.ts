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

/**
 * The cluster's shared state: live workers, the dataset catalog, pending uploads,
 * worker shard announcements and tickets.
 *
 * Two backends implement it with identical behaviour (one contract test suite):
 * Redis (`createRedisRegistry`) for clusters, and memory (`createMemoryRegistry`)
 * for a single process. Obtain one with `createRegistry(url)`.
 *
 * Conventions for every method:
 * - Times are ms since the Unix epoch on the registry clock; durations are ms.
 * - Bad arguments throw `RegistryInvalidArgumentError` naming the argument; nothing is written.
 * - A store that cannot be reached throws `RegistryUnavailableError`; use after `close()`
 *   throws `RegistryClosedError`; an aborted `signal` rejects with `RegistryAbortedError`
 *   (a write already sent to the store may still take effect: every write is idempotent
 *   or fenced, so retrying is safe).
 * - Every multi-key update is atomic: readers see all of it or none of it.
 */
export interface Registry {
  /** Which backend this is. */
  readonly backend: "memory" | "redis";
  /** Key prefix isolating this cluster's keys (Redis); informational for memory. */
  readonly prefix: string;

  /** The registry clock (ms since epoch): Redis `TIME` or the injected clock. */
  now(signal?: AbortSignal): Promise<number>;

  // -------------------------------------------------------------------------
  // Workers

  /**
   * Register a worker (a new process, or the same process again after its
   * registration lapsed). Returns the registration with a new epoch, strictly greater
   * than any earlier epoch of the same id; earlier epochs become stale.
   * @throws RegistryInvalidArgumentError for a malformed registration.
   */
  registerWorker(registration: WorkerRegistration, signal?: AbortSignal): Promise<WorkerInfo>;

  /**
   * Refresh a registration's TTL and report the worker's current load.
   * @param load finite number >= 0 (see {@link WorkerInfo.load}).
   * @throws StaleEpochError when a newer epoch of `id` registered (stop serving as `id`).
   * @throws WorkerNotRegisteredError when the registration lapsed or is unknown (register again).
   */
  heartbeat(id: string, epoch: number, load: number, signal?: AbortSignal): Promise<HeartbeatResult>;

  /**
   * Remove a registration (graceful shutdown). A registration that already lapsed is
   * not an error. The worker is not reported by `listLostWorkers` afterwards.
   * @throws StaleEpochError when a newer epoch of `id` registered (the successor is left alone).
   */
  deregisterWorker(id: string, epoch: number, signal?: AbortSignal): Promise<void>;

  /** The live registration of `id`, or null. */
  getWorker(id: string, signal?: AbortSignal): Promise<WorkerInfo | null>;

  /** Every live registration (TTL not lapsed), ordered by id. */
  listWorkers(signal?: AbortSignal): Promise<WorkerInfo[]>;

  /**
   * Workers whose registration lapsed without `deregisterWorker`, ordered by id:
   * the input of replica repair. A worker stays listed until it registers again or
   * is forgotten with {@link Registry.forgetWorker}.
   */
  listLostWorkers(signal?: AbortSignal): Promise<LostWorker[]>;

  /**
   * Stop reporting a lost worker (repair has dealt with it) and delete its shard
   * announcement. Does nothing, and returns false, if the worker registered again
   * since (its `lastSeenAt` differs) or is not lost.
   */
  forgetWorker(id: string, lastSeenAt: number, signal?: AbortSignal): Promise<boolean>;

  // -------------------------------------------------------------------------
  // Uploads and the catalog

  /**
   * Start an upload of a new version of `dataset`. The version number is allocated
   * now (one more than any version ever allocated for the name). The upload lapses
   * after `ttlMs` unless renewed; lapsed uploads cannot commit and are returned by
   * {@link Registry.listExpiredUploads} until aborted.
   * @param ttlMs 100..604_800_000 ms.
   */
  beginUpload(dataset: string, ttlMs: number, signal?: AbortSignal): Promise<UploadInfo>;

  /**
   * Record a shard written for a pending upload (replaces a shard with the same id),
   * so that cleanup of an abandoned upload knows which files to delete.
   * @throws UploadNotFoundError, UploadExpiredError.
   */
  recordUploadShard(uploadId: string, shard: ShardSpec, signal?: AbortSignal): Promise<void>;

  /**
   * Extend a pending upload to `now + ttlMs`; returns the new expiry.
   * @throws UploadNotFoundError, UploadExpiredError (an expired upload cannot be revived).
   */
  renewUpload(uploadId: string, ttlMs: number, signal?: AbortSignal): Promise<number>;

  /** A pending upload (expired or not), or null. */
  getUpload(uploadId: string, signal?: AbortSignal): Promise<UploadInfo | null>;

  /**
   * Atomically make the upload's dataset version visible with all its shards, make it
   * the dataset's latest version, and delete the pending upload. Older committed
   * versions stay readable until dropped.
   * @throws RegistryInvalidArgumentError when shard indexes are not exactly 0..n-1, ids repeat, or a shard has no replica.
   * @throws UploadNotFoundError, UploadExpiredError.
   * @throws VersionSupersededError when a newer version of the dataset is already committed (abort the upload).
   * @throws ShardConflictError when a shard id belongs to another committed version.
   */
  commitUpload(uploadId: string, request: CommitRequest, signal?: AbortSignal): Promise<DatasetVersion>;

  /**
   * Delete a pending upload (expired or not) and return it, so the caller can delete
   * the shards it recorded; null if there is no such upload (idempotent).
   */
  abortUpload(uploadId: string, signal?: AbortSignal): Promise<UploadInfo | null>;

  /** Pending uploads past their expiry, oldest expiry first, at most `limit` (1..10_000, default 100). */
  listExpiredUploads(limit?: number, signal?: AbortSignal): Promise<UploadInfo[]>;

  /** The latest committed version of `name` (or the given `version`), or null. */
  getDataset(name: string, version?: number, signal?: AbortSignal): Promise<DatasetVersion | null>;

  /** The latest committed version of every dataset, ordered by name. */
  listDatasets(signal?: AbortSignal): Promise<DatasetSummary[]>;

  /** The committed versions of `name`, ascending (empty if none). */
  listDatasetVersions(name: string, signal?: AbortSignal): Promise<number[]>;

  /**
   * Drop every committed version of `name` (when `version` is absent) or one version.
   * Dropping the latest version makes the next-highest committed version the latest.
   * Returns the dropped versions (so their shard files can be deleted); empty if none.
   * A fully dropped dataset is never resurrected by {@link Registry.rebuildFromAnnouncements}
   * from versions at or below the highest dropped one.
   */
  dropDataset(name: string, version?: number, signal?: AbortSignal): Promise<DatasetVersion[]>;

  /** A committed shard by id, or null. */
  getShard(shardId: string, signal?: AbortSignal): Promise<ShardInfo | null>;

  /**
   * Add `workerId` to the shard's replicas (repair copied it there); returns the
   * replicas afterwards, sorted. Idempotent.
   * @throws ShardNotFoundError.
   */
  addReplica(shardId: string, workerId: string, signal?: AbortSignal): Promise<string[]>;

  /**
   * Remove `workerId` from the shard's replicas; returns the replicas afterwards,
   * sorted (possibly empty). Idempotent.
   * @throws ShardNotFoundError.
   */
  removeReplica(shardId: string, workerId: string, signal?: AbortSignal): Promise<string[]>;

  // -------------------------------------------------------------------------
  // Announcements

  /**
   * Replace the shard manifest announced by a worker (its whole on-disk manifest).
   * Workers announce after registering and whenever a heartbeat reports
   * `announced: false`.
   * @throws StaleEpochError, WorkerNotRegisteredError (fenced like heartbeat).
   */
  announceShards(
    workerId: string,
    epoch: number,
    shards: readonly AnnouncedShard[],
    signal?: AbortSignal,
  ): Promise<void>;

  /** Every stored announcement, ordered by worker id. */
  listAnnouncements(signal?: AbortSignal): Promise<WorkerAnnouncement[]>;

  /**
   * Re-create missing datasets from worker announcements: for every dataset with no
   * committed version, commit its highest announced version whose shards 0..n-1 are
   * all announced consistently, with the announcing workers as replicas. Datasets that
   * exist are left alone. Also raises each dataset's version counter above every
   * announced version so new uploads never reuse a version number.
   * @param liveOnly count only announcements of live workers (default true).
   */
  rebuildFromAnnouncements(liveOnly?: boolean, signal?: AbortSignal): Promise<RebuildReport>;

  // -------------------------------------------------------------------------
  // Tickets

  /**
   * Register a ticket granting `payload` for `ttlMs` (1..604_800_000 ms).
   * The id has 192 random bits.
   */
  createTicket(payload: TicketPayload, ttlMs: number, signal?: AbortSignal): Promise<TicketInfo>;

  /**
   * Register one ticket per payload, all with the same TTL, in as few round trips as the
   * backend allows (GetFlightInfo issues one ticket per endpoint this way). Redis: one
   * script call per 1,000 tickets; Redis Cluster, whose tickets spread over slots: one
   * pipelined call per ticket. Every payload is validated before anything is written.
   * @param payloads 0..100_000 payloads; the result is in the same order.
   * @param ttlMs 1..604_800_000 ms.
   */
  createTickets(payloads: readonly TicketPayload[], ttlMs: number, signal?: AbortSignal): Promise<TicketInfo[]>;

  /** The live ticket with this id, or null if unknown, malformed, expired or cancelled. */
  resolveTicket(id: string, signal?: AbortSignal): Promise<TicketInfo | null>;

  /** Delete a ticket; returns whether a live ticket was deleted. */
  cancelTicket(id: string, signal?: AbortSignal): Promise<boolean>;

  /**
   * Set a live ticket to expire `ttlMs` from now; returns the new expiry.
   * @throws TicketNotFoundError when the ticket is unknown, expired or cancelled.
   */
  renewTicket(id: string, ttlMs: number, signal?: AbortSignal): Promise<number>;

  // -------------------------------------------------------------------------
  // Locks (serializing cluster-wide jobs such as the planners' repair loop)

  /**
   * Take the named lock for `ttlMs` (100..86_400_000) if nobody holds it; null if held.
   * The lease's token is unguessable and the lock lapses on its own after the TTL,
   * so a crashed holder never blocks others for longer than that.
   * @param name 1..128 characters of `[A-Za-z0-9._:@-]`.
   */
  tryAcquireLock(name: string, ttlMs: number, signal?: AbortSignal): Promise<LockLease | null>;

  /**
   * Extend a held lock to `now + ttlMs`; returns the renewed lease.
   * @throws LockLostError when the lease lapsed or another holder took the lock (stop the guarded work).
   */
  renewLock(lease: LockLease, ttlMs: number, signal?: AbortSignal): Promise<LockLease>;

  /** Release a held lock; returns false (and changes nothing) if the lease is no longer the holder. */
  releaseLock(lease: LockLease, signal?: AbortSignal): Promise<boolean>;

  // -------------------------------------------------------------------------

  /** Release connections. Idempotent. Later calls throw `RegistryClosedError`. */
  close(): Promise<void>;
}
