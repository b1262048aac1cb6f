/**
 * Options of the cluster client in two types each: as passed ({@link ClusterClientOptions},
 * {@link FetchOptions}, {@link PutOptions}) and validated with defaults filled in
 * (`Resolved…`). Nothing after the `resolve…` functions checks for undefined again.
 */
import type { ClientMiddlewareFactory, ClientTlsOptions, OutgoingHeaders } from "@flight-cluster/protocol";
import type { Schema } from "apache-arrow";
import { ClientError } from "./client-error.js";
import type { FetchEvent } from "./fetch-events.js";
import type { PutEvent } from "./put-events.js";

/** Options of `createClusterClient`, shared by every fetch and put of that client. */
export interface ClusterClientOptions {
  /**
   * The caller's zone. Sent as `x-flight-zone` with GetFlightInfo (the planner then lists
   * same-zone replicas first), and replicas known to be in this zone are preferred.
   */
  readonly zone?: string;
  /** Known zones of locations (location URI -> zone), added to what discovery finds. */
  readonly locationZones?: Readonly<Record<string, string>>;
  /**
   * Learn the zones of locations from the planner's `list_workers` action (once per
   * `zoneCacheMs`; servers without it are simply not asked again). Default: true when
   * `zone` is set.
   */
  readonly discoverZones?: boolean;
  /** How long discovered zones are reused, ms. Default 30,000. */
  readonly zoneCacheMs?: number;
  /** Headers sent with every call to every server (e.g. `authorization`). */
  readonly headers?: OutgoingHeaders;
  /** TLS settings for `grpc+tls://` locations. */
  readonly tls?: ClientTlsOptions;
  /** Client middleware for every call to every server. */
  readonly middleware?: readonly ClientMiddlewareFactory[];
  /** Bound on connecting to a location and answering the probe, ms. Default 5,000. */
  readonly connectTimeoutMs?: number;
  /** Measure each new location's round-trip time with a cheap call before using it. Default true. */
  readonly probe?: boolean;
  /** Weight of a new round-trip sample in the moving estimate, in (0, 1]. Default 0.3. */
  readonly rttAlpha?: number;
  /** How long a location that failed to connect or answer is avoided, ms. Default 30,000. */
  readonly deadLocationTtlMs?: number;
  /** HTTP/2 flow-control window of every channel, bytes, at first. Default 16 MiB. */
  readonly flowControlWindowBytes?: number;
  /**
   * Largest window a channel grows to when PING-timed round trips show the window holds the
   * sender back (long links). Default 64 MiB; equal to `flowControlWindowBytes`: fixed windows.
   */
  readonly maxFlowControlWindowBytes?: number;
  /**
   * Read DoGet streams in this many worker threads (their messages are decoded on the main
   * thread); 0 keeps everything on the main thread. Default 0. Measured on two cores: 2 threads
   * read 1.15-1.32 x faster (docs/client.md, "Threads or the main thread?").
   */
  readonly receiveThreads?: number;
  /** Largest accepted FlightData message, bytes. Default 64 MiB. */
  readonly maxReceiveMessageBytes?: number;
  /** Largest FlightData message the client sends when uploading, bytes. Default 2 MiB. */
  readonly maxMessageBytes?: number;
  /** Deadline of each cluster action (write plans, commit, renew, discovery), ms. Default 60,000. */
  readonly actionTimeoutMs?: number;
}

/** {@link ClusterClientOptions} validated and filled in. */
export interface ResolvedClusterClientOptions {
  readonly zone: string | undefined;
  readonly locationZones: ReadonlyMap<string, string>;
  readonly discoverZones: boolean;
  readonly zoneCacheMs: number;
  readonly headers: OutgoingHeaders;
  readonly tls: ClientTlsOptions | undefined;
  readonly middleware: readonly ClientMiddlewareFactory[];
  readonly connectTimeoutMs: number;
  readonly probe: boolean;
  readonly rttAlpha: number;
  readonly deadLocationTtlMs: number;
  readonly flowControlWindowBytes: number;
  readonly maxFlowControlWindowBytes: number;
  readonly receiveThreads: number;
  readonly maxReceiveMessageBytes: number;
  readonly maxMessageBytes: number;
  readonly actionTimeoutMs: number;
}

/** Options of one fetch. */
export interface FetchOptions {
  /** Aborting cancels every call of the fetch; iteration then rejects with a CANCELLED FlightError. */
  readonly signal?: AbortSignal;
  /**
   * Read only these columns. Only with a dataset name: the client sends the cluster's
   * projection command `{"dataset", "columns"}` instead of `PATH [dataset]`.
   */
  readonly columns?: readonly string[];
  /**
   * Yield batches in endpoint order (true) or as they arrive (false). Default: the
   * FlightInfo's `ordered` flag.
   */
  readonly ordered?: boolean;
  /** Endpoints read at once. Default 4. */
  readonly concurrency?: number;
  /**
   * Bytes of received batches held for the consumer (Arrow message bytes), across all
   * endpoints. Readers wait when it is used up. Default 64 MiB. See docs/client.md for
   * the total memory bound.
   */
  readonly byteBudget?: number;
  /** A DoGet that sends nothing for this long is abandoned for another location, ms; 0: never. Default 30,000. */
  readonly firstResponseTimeoutMs?: number;
  /** DoGet attempts per endpoint, over all its locations. Default 4. */
  readonly maxAttempts?: number;
  /**
   * How a retry after a mid-stream failure skips the batches already delivered:
   * `"acknowledged"` (default) sends `x-flight-cluster-skip-batches` and lets the server
   * skip when it acknowledges the header (else the client skips); `"client"` never sends
   * the header and always skips on the client (for servers that honour the header without
   * acknowledging it; costs re-sending the skipped batches).
   */
  readonly resume?: ResumeMode;
  /** Renew tickets near their `expiration_time` with RenewFlightEndpoint. Default true. */
  readonly renew?: boolean;
  /**
   * Renew this long before a ticket expires, ms. Default: a third of the lifetime the
   * ticket had when GetFlightInfo answered, at most 60,000.
   */
  readonly renewBeforeMs?: number;
  /**
   * Check each endpoint's row count against flight-cluster endpoint metadata
   * (`{"shard", "rows"}`), when present. Default true.
   */
  readonly verifyRows?: boolean;
  /** Deadline of GetFlightInfo, ms. Default: the client's `actionTimeoutMs`. */
  readonly infoTimeoutMs?: number;
  /** Headers added to this fetch's calls. */
  readonly headers?: OutgoingHeaders;
  /** Observes the fetch: locations chosen, failovers, batches, renewals. Must not throw. */
  readonly onEvent?: (event: FetchEvent) => void;
}

/** How a resumed DoGet skips the batches already delivered (see {@link FetchOptions.resume}). */
export type ResumeMode = "acknowledged" | "client";

/** {@link FetchOptions} validated and filled in (`ordered` stays undefined: decided by the FlightInfo). */
export interface ResolvedFetchOptions {
  readonly signal: AbortSignal | undefined;
  readonly columns: readonly string[] | undefined;
  readonly ordered: boolean | undefined;
  readonly concurrency: number;
  readonly byteBudget: number;
  readonly firstResponseTimeoutMs: number;
  readonly maxAttempts: number;
  readonly resume: ResumeMode;
  readonly renew: boolean;
  readonly renewBeforeMs: number | undefined;
  readonly verifyRows: boolean;
  readonly infoTimeoutMs: number;
  readonly headers: OutgoingHeaders;
  readonly onEvent: (event: FetchEvent) => void;
}

/** Options of one parallel upload. */
export interface PutOptions {
  /** Aborting cancels every upload stream and aborts the upload (nothing becomes visible). */
  readonly signal?: AbortSignal;
  /** The schema; required only for an empty stream of batches. */
  readonly schema?: Schema;
  /** Shards uploaded at once (each to all its replicas). Default 4. */
  readonly concurrency?: number;
  /** Bytes of encoded messages waiting for shard uploads, across shards. Default 64 MiB. */
  readonly byteBudget?: number;
  /**
   * Target shard size in Arrow body bytes. Default: the planner's (from `begin_upload`), so
   * the data is cut exactly as a DoPut through the planner would cut it.
   */
  readonly shardTargetBytes?: number;
  /** Headers added to this upload's calls. */
  readonly headers?: OutgoingHeaders;
  /** Observes the upload: shards opened and stored. Must not throw. */
  readonly onEvent?: (event: PutEvent) => void;
}

/** {@link PutOptions} validated and filled in. */
export interface ResolvedPutOptions {
  readonly signal: AbortSignal | undefined;
  readonly schema: Schema | undefined;
  readonly concurrency: number;
  readonly byteBudget: number;
  readonly shardTargetBytes: number | undefined;
  readonly headers: OutgoingHeaders;
  readonly onEvent: (event: PutEvent) => void;
}

const MiB = 1024 * 1024;

function integer(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new ClientError("CLIENT_INVALID_OPTIONS", `option ${name} must be an integer in ${min}..${max}, got ${v}`);
  }
  return v;
}

function optionalInteger(name: string, value: number | undefined, min: number, max: number): number | undefined {
  return value === undefined ? undefined : integer(name, value, 0, min, max);
}

function bool(name: string, value: boolean | undefined, fallback: boolean): boolean {
  const v = value ?? fallback;
  if (typeof v !== "boolean") throw new ClientError("CLIENT_INVALID_OPTIONS", `option ${name} must be a boolean`);
  return v;
}

function callback<T>(name: string, value: ((event: T) => void) | undefined): (event: T) => void {
  if (value === undefined) return () => {};
  if (typeof value !== "function") throw new ClientError("CLIENT_INVALID_OPTIONS", `option ${name} must be a function`);
  return (event) => {
    try {
      value(event);
    } catch {
      // An observer's failure must not break the data path.
    }
  };
}

function signalOption(value: AbortSignal | undefined): AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw new ClientError("CLIENT_INVALID_OPTIONS", "option signal must be an AbortSignal");
  }
  return value;
}

/**
 * Validate client options and fill in defaults.
 * @throws ClientError `CLIENT_INVALID_OPTIONS` naming the first bad option.
 */
export function resolveClusterClientOptions(options: ClusterClientOptions = {}): ResolvedClusterClientOptions {
  const zone = options.zone;
  if (zone !== undefined && (typeof zone !== "string" || zone.length === 0 || zone.length > 128)) {
    throw new ClientError("CLIENT_INVALID_OPTIONS", "option zone must be 1..128 characters");
  }
  const zones = new Map<string, string>();
  for (const [uri, z] of Object.entries(options.locationZones ?? {})) {
    if (typeof z !== "string")
      throw new ClientError("CLIENT_INVALID_OPTIONS", `option locationZones[${uri}] must be a string`);
    zones.set(uri, z);
  }
  const alpha = options.rttAlpha ?? 0.3;
  if (typeof alpha !== "number" || !(alpha > 0 && alpha <= 1)) {
    throw new ClientError("CLIENT_INVALID_OPTIONS", `option rttAlpha must be a number in (0, 1], got ${alpha}`);
  }
  return {
    zone,
    locationZones: zones,
    discoverZones: bool("discoverZones", options.discoverZones, zone !== undefined),
    zoneCacheMs: integer("zoneCacheMs", options.zoneCacheMs, 30_000, 0, 86_400_000),
    headers: options.headers ?? {},
    tls: options.tls,
    middleware: options.middleware ?? [],
    connectTimeoutMs: integer("connectTimeoutMs", options.connectTimeoutMs, 5_000, 1, 600_000),
    probe: bool("probe", options.probe, true),
    rttAlpha: alpha,
    deadLocationTtlMs: integer("deadLocationTtlMs", options.deadLocationTtlMs, 30_000, 0, 86_400_000),
    flowControlWindowBytes: integer(
      "flowControlWindowBytes",
      options.flowControlWindowBytes,
      16 * MiB,
      65_535,
      2 ** 31 - 1,
    ),
    maxFlowControlWindowBytes: integer(
      "maxFlowControlWindowBytes",
      options.maxFlowControlWindowBytes,
      Math.max(64 * MiB, options.flowControlWindowBytes ?? 0),
      65_535,
      2 ** 31 - 1,
    ),
    receiveThreads: integer("receiveThreads", options.receiveThreads, 0, 0, 64),
    maxReceiveMessageBytes: integer(
      "maxReceiveMessageBytes",
      options.maxReceiveMessageBytes,
      64 * MiB,
      1024,
      2 ** 31 - 1,
    ),
    maxMessageBytes: integer("maxMessageBytes", options.maxMessageBytes, 2 * MiB, 4096, 64 * MiB),
    actionTimeoutMs: integer("actionTimeoutMs", options.actionTimeoutMs, 60_000, 1, 86_400_000),
  };
}

/**
 * Validate fetch options and fill in defaults (`infoTimeoutMs` from the client's `actionTimeoutMs`).
 * @throws ClientError `CLIENT_INVALID_OPTIONS` naming the first bad option.
 */
export function resolveFetchOptions(options: FetchOptions, client: ResolvedClusterClientOptions): ResolvedFetchOptions {
  const columns = options.columns;
  if (columns !== undefined) {
    if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== "string" || c === "")) {
      throw new ClientError("CLIENT_INVALID_OPTIONS", "option columns must be a non-empty array of column names");
    }
  }
  const resume = options.resume ?? "acknowledged";
  if (resume !== "acknowledged" && resume !== "client") {
    throw new ClientError("CLIENT_INVALID_OPTIONS", 'option resume must be "acknowledged" or "client"');
  }
  if (options.ordered !== undefined && typeof options.ordered !== "boolean") {
    throw new ClientError("CLIENT_INVALID_OPTIONS", "option ordered must be a boolean");
  }
  return {
    signal: signalOption(options.signal),
    columns,
    ordered: options.ordered,
    concurrency: integer("concurrency", options.concurrency, 4, 1, 1024),
    byteBudget: integer("byteBudget", options.byteBudget, 64 * MiB, 1, 2 ** 46),
    firstResponseTimeoutMs: integer("firstResponseTimeoutMs", options.firstResponseTimeoutMs, 30_000, 0, 86_400_000),
    maxAttempts: integer("maxAttempts", options.maxAttempts, 4, 1, 1000),
    resume,
    renew: bool("renew", options.renew, true),
    renewBeforeMs: optionalInteger("renewBeforeMs", options.renewBeforeMs, 1, 86_400_000),
    verifyRows: bool("verifyRows", options.verifyRows, true),
    infoTimeoutMs: integer("infoTimeoutMs", options.infoTimeoutMs, client.actionTimeoutMs, 1, 86_400_000),
    headers: options.headers ?? {},
    onEvent: callback("onEvent", options.onEvent),
  };
}

/**
 * Validate put options and fill in defaults.
 * @throws ClientError `CLIENT_INVALID_OPTIONS` naming the first bad option.
 */
export function resolvePutOptions(options: PutOptions): ResolvedPutOptions {
  return {
    signal: signalOption(options.signal),
    schema: options.schema,
    concurrency: integer("concurrency", options.concurrency, 4, 1, 1024),
    byteBudget: integer("byteBudget", options.byteBudget, 64 * MiB, 1, 2 ** 46),
    shardTargetBytes: optionalInteger("shardTargetBytes", options.shardTargetBytes, 1024, 2 ** 40),
    headers: options.headers ?? {},
    onEvent: callback("onEvent", options.onEvent),
  };
}
