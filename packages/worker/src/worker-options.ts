/**
 * Worker options in two types: {@link WorkerOptions} as passed, and
 * {@link ResolvedWorkerOptions}, validated and filled with defaults by
 * {@link resolveWorkerOptions}. Nothing after that checks for undefined again.
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  type FlightClientOptions,
  type FlightServerOptions,
  parseLocation,
} from "@flight-cluster/protocol";
import type { Registry } from "@flight-cluster/registry";
import type { CpuPool } from "./cpu-pool.js";
import { createWorkerJsonLogger, type WorkerLogger } from "./logger.js";
import { noopWorkerMetrics, type WorkerMetrics } from "./metrics.js";
import { WorkerOptionsError } from "./worker-errors.js";

/** Where the digest of a newly written shard is computed. */
export type DigestMode = "pool" | "inline";

/** Options of `startWorker`, as passed. `registry`, `dataDir` and `zone` are required. */
export interface WorkerOptions {
  /**
   * The registry: an instance (the caller's: the worker does not close it) or a URL
   * (`memory://`, `redis://…`, `redis-sentinel://…`, `redis-cluster://…`) the worker
   * opens and closes itself.
   */
  readonly registry: Registry | string;
  /** Directory holding `manifest.json` and `shards/` (created if missing). */
  readonly dataDir: string;
  /** Failure domain (availability zone): 1..128 characters. */
  readonly zone: string;
  /** Worker id; default: the one stored in the data directory, or a new random one stored there. */
  readonly id?: string;
  /** TCP port to listen on; 0 picks a free one. Default 8816. */
  readonly port?: number;
  /** Interface to listen on. Default `localhost`. */
  readonly host?: string;
  /** Location other processes use to reach this worker. Default `grpc+tcp://<host>:<bound port>`. */
  readonly advertise?: string;
  /** Bytes of shard storage offered to placement. Default: free space of the data directory's file system at start. */
  readonly capacityBytes?: number;
  /** Registration TTL in ms (heartbeat every third of it). Default 10,000. */
  readonly heartbeatTtlMs?: number;
  /** Largest FlightData message stored or sent, bytes. Default 2 MiB. */
  readonly maxMessageBytes?: number;
  /** Largest shard accepted, bytes. Default 4 GiB. */
  readonly maxShardBytes?: number;
  /** Largest DoAction body or put-shard command accepted, bytes. Default 64 KiB. */
  readonly maxRequestBytes?: number;
  /** CPU pool threads (0: inline). Default: available cores - 1, at least 1, at most 4. Ignored when `cpuPool` is given. */
  readonly cpuThreads?: number;
  /** A CPU pool to use (the caller's: the worker does not close it). */
  readonly cpuPool?: CpuPool;
  /** Where new shard digests are computed. Default `pool`. */
  readonly digest?: DigestMode;
  /** Messages read ahead of a DoGet consumer. Default 4. */
  readonly readAheadMessages?: number;
  /** How long a resolved ticket is reused without asking the registry, ms. Default 2,000. */
  readonly ticketCacheMs?: number;
  /** Pause between orphan-collection passes, ms. Default 5,000. */
  readonly gcIntervalMs?: number;
  /**
   * An uncommitted shard whose upload is gone (aborted, or lost with the registry's data)
   * is deleted once it is older than this, ms. Default 120,000.
   */
  readonly orphanGraceMs?: number;
  /** A committed shard missing from the catalog this long (dataset dropped while we were away) is deleted, ms. Default 3,600,000. */
  readonly droppedGraceMs?: number;
  /** Deadline of a `shard.copy_from` transfer, ms. Default 600,000. */
  readonly copyTimeoutMs?: number;
  /** Extra Flight server options (auth, TLS, middleware, receive limits). */
  readonly server?: FlightServerOptions;
  /** Options of the client used for `shard.copy_from` (TLS roots, middleware). */
  readonly client?: FlightClientOptions;
  /** Measurements. Default: none. */
  readonly metrics?: WorkerMetrics;
  /** Structured logs. Default: JSON lines on stderr, level info. */
  readonly logger?: WorkerLogger;
}

/** {@link WorkerOptions} validated and filled in. */
export interface ResolvedWorkerOptions {
  readonly registry: Registry | string;
  readonly dataDir: string;
  readonly zone: string;
  readonly id: string | undefined;
  readonly port: number;
  readonly host: string;
  readonly advertise: string | undefined;
  readonly capacityBytes: number | undefined;
  readonly heartbeatTtlMs: number;
  readonly maxMessageBytes: number;
  readonly maxShardBytes: number;
  readonly maxRequestBytes: number;
  readonly cpuThreads: number;
  readonly cpuPool: CpuPool | undefined;
  readonly digest: DigestMode;
  readonly readAheadMessages: number;
  readonly ticketCacheMs: number;
  readonly gcIntervalMs: number;
  readonly orphanGraceMs: number;
  readonly droppedGraceMs: number;
  readonly copyTimeoutMs: number;
  readonly server: FlightServerOptions;
  readonly client: FlightClientOptions;
  readonly metrics: WorkerMetrics;
  readonly logger: WorkerLogger;
}

const WORKER_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

function integer(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new WorkerOptionsError(`worker option ${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
  return v;
}

/**
 * Validate `options` and fill in defaults.
 * @throws WorkerOptionsError naming the first bad option.
 */
export function resolveWorkerOptions(options: WorkerOptions): ResolvedWorkerOptions {
  if (typeof options.registry !== "string" && (typeof options.registry !== "object" || options.registry === null)) {
    throw new WorkerOptionsError("worker option registry must be a Registry or a registry URL");
  }
  if (typeof options.dataDir !== "string" || options.dataDir.length === 0) {
    throw new WorkerOptionsError("worker option dataDir is required");
  }
  if (typeof options.zone !== "string" || options.zone.length < 1 || options.zone.length > 128) {
    throw new WorkerOptionsError("worker option zone must be 1..128 characters");
  }
  if ([...options.zone].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    throw new WorkerOptionsError("worker option zone has control characters");
  }
  if (options.id !== undefined && !WORKER_ID.test(options.id)) {
    throw new WorkerOptionsError(
      `worker option id must be 1..128 characters of [A-Za-z0-9._:@-], got ${JSON.stringify(options.id)}`,
    );
  }
  if (options.advertise !== undefined) {
    try {
      const parsed = parseLocation(options.advertise);
      if (parsed.kind === "reuse") throw new Error("not a network location");
    } catch (cause) {
      throw new WorkerOptionsError(`worker option advertise is not a usable location: ${options.advertise}`, { cause });
    }
  }
  const host = options.host ?? "localhost";
  if (host.length === 0) throw new WorkerOptionsError("worker option host must not be empty");
  if (
    options.capacityBytes !== undefined &&
    (!Number.isSafeInteger(options.capacityBytes) || options.capacityBytes < 0)
  ) {
    throw new WorkerOptionsError(
      `worker option capacityBytes must be a non-negative integer, got ${options.capacityBytes}`,
    );
  }
  const digest = options.digest ?? "pool";
  if (digest !== "pool" && digest !== "inline")
    throw new WorkerOptionsError(`worker option digest must be pool or inline`);
  const maxMessageBytes = integer(
    "maxMessageBytes",
    options.maxMessageBytes,
    DEFAULT_MAX_MESSAGE_BYTES,
    4096,
    64 << 20,
  );
  const defaultThreads = Math.max(1, Math.min(4, availableParallelism() - 1));
  return {
    registry: options.registry,
    dataDir: resolve(options.dataDir),
    zone: options.zone,
    id: options.id,
    port: integer("port", options.port, 8816, 0, 65535),
    host,
    advertise: options.advertise,
    capacityBytes: options.capacityBytes,
    heartbeatTtlMs: integer("heartbeatTtlMs", options.heartbeatTtlMs, 10_000, 300, 86_400_000),
    maxMessageBytes,
    maxShardBytes: integer("maxShardBytes", options.maxShardBytes, 4 * 1024 ** 3, maxMessageBytes, 2 ** 50),
    maxRequestBytes: integer("maxRequestBytes", options.maxRequestBytes, 64 * 1024, 1024, 16 << 20),
    cpuThreads: integer("cpuThreads", options.cpuThreads, defaultThreads, 0, 64),
    cpuPool: options.cpuPool,
    digest,
    readAheadMessages: integer("readAheadMessages", options.readAheadMessages, 4, 1, 64),
    ticketCacheMs: integer("ticketCacheMs", options.ticketCacheMs, 2_000, 0, 60_000),
    gcIntervalMs: integer("gcIntervalMs", options.gcIntervalMs, 5_000, 50, 86_400_000),
    orphanGraceMs: integer("orphanGraceMs", options.orphanGraceMs, 120_000, 0, 30 * 86_400_000),
    droppedGraceMs: integer("droppedGraceMs", options.droppedGraceMs, 3_600_000, 0, 30 * 86_400_000),
    copyTimeoutMs: integer("copyTimeoutMs", options.copyTimeoutMs, 600_000, 100, 86_400_000),
    server: options.server ?? {},
    client: options.client ?? {},
    metrics: options.metrics ?? noopWorkerMetrics,
    logger: options.logger ?? createWorkerJsonLogger(),
  };
}
