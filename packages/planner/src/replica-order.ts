/**
 * Ordering of a shard's replicas for one caller: the locations of an endpoint,
 * nearest first, so that even a client taking `locations[0]` reads a good replica.
 *
 * Order: replicas in the caller's zone (the `x-flight-zone` header) first, then by
 * the load the workers last reported (lower first), then by the shard's rendezvous
 * ranking, which spreads equally loaded replicas over callers shard by shard while
 * staying deterministic (two planners answer identically).
 */
import { rendezvousScore } from "./placement.js";

/** What ordering needs to know about a live replica's worker. */
export interface ReplicaCandidate {
  readonly id: string;
  readonly zone: string;
  /** Load as the worker reports it (lower is better); non-finite values sort last. */
  readonly load: number;
  /** URIs the worker serves on, preferred first. */
  readonly locations: readonly string[];
}

/** Header naming the caller's zone. */
export const ZONE_HEADER = "x-flight-zone";

function loadKey(load: number): number {
  return Number.isFinite(load) ? load : Number.POSITIVE_INFINITY;
}

/**
 * The replicas of `shardId`, ordered for a caller in `callerZone` (absent or empty:
 * no zone preference). Returns a new array; the input is not modified.
 */
export function orderReplicas<T extends ReplicaCandidate>(
  shardId: string,
  replicas: readonly T[],
  callerZone?: string,
): T[] {
  const zone = callerZone === undefined || callerZone === "" ? undefined : callerZone;
  const keyed = replicas.map((replica) => ({
    replica,
    near: zone !== undefined && replica.zone === zone ? 0 : 1,
    load: loadKey(replica.load),
    score: rendezvousScore(shardId, replica.id),
  }));
  keyed.sort(
    (x, y) => x.near - y.near || x.load - y.load || y.score - x.score || compareIds(x.replica.id, y.replica.id),
  );
  return keyed.map((entry) => entry.replica);
}

function compareIds(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The endpoint's location URIs for `replicas` in the order given: each worker's
 * URIs in its own order, duplicates dropped.
 */
export function replicaLocations(replicas: readonly ReplicaCandidate[]): string[] {
  const seen = new Set<string>();
  const uris: string[] = [];
  for (const replica of replicas) {
    for (const uri of replica.locations) {
      if (seen.has(uri)) continue;
      seen.add(uri);
      uris.push(uri);
    }
  }
  return uris;
}

/**
 * The caller's zone from the raw `x-flight-zone` header value, trimmed; undefined when
 * absent, empty or longer than 128 characters (a bad zone only loses the preference).
 */
export function normalizeCallerZone(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const zone = value.trim();
  return zone === "" || zone.length > 128 ? undefined : zone;
}
