/**
 * The records the registry stores: workers, datasets and their shards, pending
 * uploads, worker shard announcements and tickets.
 *
 * All times are milliseconds since the Unix epoch, on the registry's clock (Redis
 * server time for the Redis backend, the injected clock for the memory backend).
 * All durations are milliseconds. Records returned by the registry are fresh
 * copies: mutating them changes nothing stored.
 */

// ---------------------------------------------------------------------------
// Workers

/** What a worker tells the registry about itself when it registers. */
export interface WorkerRegistration {
  /**
   * Stable worker identity (survives restarts of the same data directory):
   * 1..128 characters of `[A-Za-z0-9._:@-]`.
   */
  readonly id: string;
  /** Flight locations serving this worker's shards (e.g. `grpc://10.0.0.5:8815`), most preferred first; 1..16. */
  readonly locations: readonly string[];
  /** Failure domain (availability zone, rack). 1..128 characters. */
  readonly zone: string;
  /** Bytes of shard storage the worker offers (a non-negative integer). */
  readonly capacity: number;
  /** Initial load (see {@link WorkerInfo.load}); defaults to 0. */
  readonly load?: number;
  /** Registration lifetime in ms (100..86_400_000). Heartbeat about every `ttlMs / 3`. */
  readonly ttlMs: number;
}

/** A live worker registration. */
export interface WorkerInfo {
  readonly id: string;
  /**
   * Fencing token of this registration: strictly greater than every earlier epoch of
   * the same id. It is `max(previous + 1, registry time in microseconds)`, so it stays
   * monotonic even after the store lost its data, as long as the store's clock moved on.
   */
  readonly epoch: number;
  readonly locations: readonly string[];
  readonly zone: string;
  /** Bytes of shard storage offered. */
  readonly capacity: number;
  /** Current load, a finite number >= 0 chosen by the worker (higher is busier; 0 is idle). */
  readonly load: number;
  /** Registration TTL in ms. */
  readonly ttlMs: number;
  /** When this epoch registered (ms since epoch). */
  readonly startedAt: number;
  /** Last register or heartbeat (ms since epoch). */
  readonly lastSeenAt: number;
  /** When the registration lapses without a heartbeat: `lastSeenAt + ttlMs`. */
  readonly expiresAt: number;
}

/** Result of a heartbeat. */
export interface HeartbeatResult {
  /** The refreshed registration. */
  readonly worker: WorkerInfo;
  /**
   * False when the registry holds no shard announcement from this worker (for
   * example after the store lost its data): the worker should call `announceShards`.
   */
  readonly announced: boolean;
}

/** A worker that registered before and whose registration has lapsed without being forgotten. */
export interface LostWorker {
  readonly id: string;
  /** The last register or heartbeat of the lapsed registration (ms since epoch). */
  readonly lastSeenAt: number;
}

// ---------------------------------------------------------------------------
// Datasets and shards

/** A shard as written by an ingest: the worker ids in `replicas` hold identical bytes. */
export interface ShardSpec {
  /** Globally unique shard id: 1..128 characters of `[A-Za-z0-9._:@-]`. */
  readonly id: string;
  /** Position of the shard in the dataset, 0-based; a dataset's shards cover 0..n-1 exactly once. */
  readonly index: number;
  /** Number of rows (non-negative integer). */
  readonly rows: number;
  /** Size of the stored shard in bytes (non-negative integer). */
  readonly bytes: number;
  /** Content digest, e.g. `sha256:<hex>` (1..256 characters; compared as an opaque string). */
  readonly digest: string;
  /** Ids of the workers holding the shard (at least one at commit; duplicates are ignored). */
  readonly replicas: readonly string[];
}

/** A committed shard with the dataset version it belongs to. */
export interface ShardInfo extends ShardSpec {
  readonly dataset: string;
  readonly version: number;
}

/** One committed version of a dataset: visible only as a whole. */
export interface DatasetVersion {
  /** Dataset name: 1..256 characters, no control characters (`sales`, `events/2026`). */
  readonly name: string;
  /** Version number, >= 1, increasing with every `beginUpload` of the dataset. */
  readonly version: number;
  /** The Arrow schema as an encapsulated IPC message (binary, stored byte-exact). */
  readonly schema: Uint8Array;
  /** Shards ordered by index. */
  readonly shards: readonly ShardInfo[];
  /** Sum of shard rows. */
  readonly totalRows: number;
  /** Sum of shard bytes. */
  readonly totalBytes: number;
  /** When the version was committed (ms since epoch). */
  readonly createdAt: number;
}

/** A dataset's latest version without its shard list (for listings). */
export interface DatasetSummary {
  readonly name: string;
  readonly version: number;
  readonly schema: Uint8Array;
  readonly shardCount: number;
  readonly totalRows: number;
  readonly totalBytes: number;
  readonly createdAt: number;
}

/** A pending (uncommitted) upload. */
export interface UploadInfo {
  /** Unguessable upload id (base64url). */
  readonly id: string;
  readonly dataset: string;
  /** The version this upload will commit as. */
  readonly version: number;
  readonly createdAt: number;
  /** After this instant the upload can no longer commit and is returned by `listExpiredUploads`. */
  readonly expiresAt: number;
  /**
   * Shards recorded with `recordUploadShard` so far, so that whoever cleans up an
   * abandoned upload knows which files to delete on which workers.
   */
  readonly shards: readonly ShardSpec[];
}

/** What `commitUpload` makes visible. */
export interface CommitRequest {
  /** Encapsulated IPC schema message (1 byte .. 16 MiB). */
  readonly schema: Uint8Array;
  /** Every shard of the version (1..100_000), indexes 0..n-1 each exactly once. */
  readonly shards: readonly ShardSpec[];
}

// ---------------------------------------------------------------------------
// Announcements (rebuilding the catalog after the store lost its data)

/** One shard in a worker's on-disk manifest, as the worker announces it. */
export interface AnnouncedShard {
  readonly dataset: string;
  readonly version: number;
  readonly shardId: string;
  readonly index: number;
  /** Number of shards in the dataset version, so completeness can be checked. */
  readonly shardCount: number;
  readonly rows: number;
  readonly bytes: number;
  readonly digest: string;
  /** Encapsulated IPC schema message of the dataset version. */
  readonly schema: Uint8Array;
  /** When the version was originally committed (ms since epoch), if the worker knows it. */
  readonly createdAt?: number;
}

/** The shard manifest a worker last announced. */
export interface WorkerAnnouncement {
  readonly workerId: string;
  /** Epoch of the registration that announced. */
  readonly epoch: number;
  readonly announcedAt: number;
  readonly shards: readonly AnnouncedShard[];
}

/** Why a dataset version found in announcements was not restored. */
export type RebuildSkipReason =
  /** Some shard indexes are not announced by any (live) worker. */
  | "incomplete"
  /** Announcements disagree on schema, shard count, or a shard's id/rows/bytes/digest. */
  | "inconsistent"
  /** The dataset already has a committed version (rebuild only restores missing datasets). */
  | "exists"
  /** The dataset was dropped at or after this version. */
  | "dropped"
  /** A shard id is already used by another committed dataset version. */
  | "shard-conflict";

/** Outcome of `rebuildFromAnnouncements`. */
export interface RebuildReport {
  /** Dataset versions committed by the rebuild. */
  readonly restored: ReadonlyArray<{ readonly name: string; readonly version: number }>;
  /** Highest announced version of each dataset not restored, with the reason. */
  readonly skipped: ReadonlyArray<{
    readonly name: string;
    readonly version: number;
    readonly reason: RebuildSkipReason;
  }>;
}

// ---------------------------------------------------------------------------
// Tickets

/** What a ticket grants: one shard of one dataset version, optionally projected. */
export interface TicketPayload {
  readonly dataset: string;
  readonly version: number;
  readonly shardId: string;
  /** Columns to return, in order (absent: all columns). */
  readonly columns?: readonly string[];
  /** Authenticated caller the ticket was issued to (absent: anonymous). */
  readonly principal?: string;
}

/** A live ticket. */
export interface TicketInfo {
  /** Unguessable id: 192 random bits, base64url (32 characters). */
  readonly id: string;
  readonly payload: TicketPayload;
  /** When the ticket lapses (ms since epoch); mirror it in `FlightEndpoint.expiration_time`. */
  readonly expiresAt: number;
}

// ---------------------------------------------------------------------------
// Locks

/** A held lock. */
export interface LockLease {
  readonly name: string;
  /** Unguessable holder token (192 random bits, base64url). */
  readonly token: string;
  /** When the lock lapses unless renewed (ms since epoch). */
  readonly expiresAt: number;
}
