/**
 * `createClusterClient`: the location-aware parallel client of flight-cluster. It talks to
 * one Flight service (a planner, or any Flight server) and keeps, across its fetches and
 * puts, one pooled channel per location and what it learnt about each (round-trip
 * estimate, calls in flight, dead or alive, zone).
 *
 * - `fetch(dataset | descriptor)`: GetFlightInfo, then DoGet on every endpoint at once
 *   from the best location, with failover and resume, merged into one stream of batches.
 * - `put(dataset, data)`: a parallel upload through a write plan.
 */
import { FlightDescriptor as Descriptor, type FlightClient, type FlightDescriptor } from "@flight-cluster/protocol";
import { ClientError } from "./client-error.js";
import {
  type ClusterClientOptions,
  type FetchOptions,
  type PutOptions,
  type ResolvedClusterClientOptions,
  resolveClusterClientOptions,
  resolveFetchOptions,
  resolvePutOptions,
} from "./client-options.js";
import { createFetch, type FlightFetch } from "./flight-fetch.js";
import { LocationPool } from "./location-pool.js";
import { type LocationState, LocationStats } from "./location-stats.js";
import { type PutSource, parallelPut } from "./parallel-put.js";
import type { PutSummary } from "./write-plan-client.js";
import { ZoneDirectory } from "./zone-directory.js";

/** A client of one Flight service (a flight-cluster planner or any Flight server). */
export interface ClusterClient {
  /** The service's location. */
  readonly uri: string;
  /** The options in effect. */
  readonly options: ResolvedClusterClientOptions;
  /** The connection to the service itself (for calls this client does not wrap). */
  readonly flight: FlightClient;
  /**
   * Reads a flight: a dataset name (`PATH [name]`, or the projection command when
   * `options.columns` is given) or any FlightDescriptor. Nothing runs until the result
   * is iterated, `readTable()`d, or its `info()` asked for.
   * @throws ClientError `CLIENT_INVALID_OPTIONS` for bad options (at once); reads reject
   *   with the FlightErrors described in docs/client.md.
   */
  fetch(target: string | FlightDescriptor, options?: FetchOptions): FlightFetch;
  /**
   * Uploads `data` as a new version of `dataset` straight to the workers, shards in
   * parallel, through a write plan (begin_upload, plan_shards, put-shard DoPuts,
   * commit_upload). The result is the same as a DoPut of the same data through the planner.
   * @returns the planner's commit summary.
   * @throws as {@link parallelPut}; ClientError `CLIENT_INVALID_OPTIONS` for bad options.
   */
  put(dataset: string, data: PutSource, options?: PutOptions): Promise<PutSummary>;
  /** What the client knows about each location it used (round trip, calls in flight, dead). */
  locations(): Map<string, LocationState>;
  /** Closes every channel; in-flight calls end with CANCELLED. Idempotent. */
  close(): void;
}

/**
 * Creates a client of the Flight service at `uri` (`grpc+tcp://host:port`, `grpc://`,
 * `grpc+tls://`, `grpc+unix://`). Connecting is lazy.
 * @throws ClientError `CLIENT_INVALID_OPTIONS`; FlightInvalidArgumentError for a bad URI.
 */
export function createClusterClient(uri: string, options: ClusterClientOptions = {}): ClusterClient {
  const resolved = resolveClusterClientOptions(options);
  const stats = new LocationStats({ alpha: resolved.rttAlpha, deadTtlMs: resolved.deadLocationTtlMs });
  const pool = new LocationPool(uri, resolved, stats);
  const zones = new ZoneDirectory({
    known: resolved.locationZones,
    discover: resolved.discoverZones,
    cacheMs: resolved.zoneCacheMs,
    origin: pool.origin.client,
    timeoutMs: resolved.actionTimeoutMs,
    headers: resolved.headers,
  });
  let closed = false;
  const checkOpen = () => {
    if (closed) throw new ClientError("CLIENT_CLOSED", "the cluster client is closed");
  };
  return {
    uri,
    options: resolved,
    flight: pool.origin.client,
    fetch(target, fetchOptions = {}) {
      checkOpen();
      const o = resolveFetchOptions(fetchOptions, resolved);
      let descriptor: FlightDescriptor;
      if (typeof target === "string") {
        if (target === "") throw new ClientError("CLIENT_INVALID_OPTIONS", "the dataset name is empty");
        descriptor =
          o.columns === undefined
            ? Descriptor.forPath(target)
            : Descriptor.forCommand(JSON.stringify({ dataset: target, columns: o.columns }));
      } else {
        if (o.columns !== undefined) {
          throw new ClientError("CLIENT_INVALID_OPTIONS", "option columns needs a dataset name, not a descriptor");
        }
        descriptor = target;
      }
      return createFetch(descriptor, o, { pool, stats, zones, client: resolved });
    },
    async put(dataset, data, putOptions = {}) {
      checkOpen();
      if (typeof dataset !== "string" || dataset === "") {
        throw new ClientError("CLIENT_INVALID_OPTIONS", "the dataset name must be a non-empty string");
      }
      const o = resolvePutOptions(putOptions);
      return parallelPut({ pool, client: resolved }, dataset, data, o);
    },
    locations: () => stats.snapshot(),
    close() {
      if (closed) return;
      closed = true;
      pool.close();
    },
  };
}
