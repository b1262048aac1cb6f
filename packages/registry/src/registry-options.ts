import type { RedisOptions } from "ioredis";

/** Default key prefix: every Redis key of a cluster starts with it. */
export const DEFAULT_REGISTRY_PREFIX = "fc:";

/** Options of the embedded in-memory registry. */
export interface MemoryRegistryOptions {
  /** Clock in ms since epoch (default `Date.now`); inject a fake one to test TTL logic. */
  readonly now?: () => number;
  /** Reported as `registry.prefix`; has no other effect in memory (default `fc:`). */
  readonly prefix?: string;
}

/**
 * Options of the Redis registry.
 *
 * `url` forms (all parsed into ioredis options; credentials may be given as `user:password@`):
 * - `redis://host:6379/2`, `rediss://host:6380` (TLS): a single server (database number optional).
 * - `redis-sentinel://s1:26379,s2:26379/mymaster`: Sentinel; the path is the master
 *   group name; `?db=2`, `?sentinelPassword=...`, `?tls=1` are optional query parameters;
 *   `user:password@` authenticates to the master.
 * - `redis-cluster://n1:6379,n2:6379`: Redis Cluster seed nodes.
 * Every form accepts `?prefix=<prefix>` (overridden by the `prefix` option).
 */
export interface RedisRegistryOptions {
  /** Where Redis is (see above). */
  readonly url: string;
  /** Key prefix, 1..64 characters of `[A-Za-z0-9._:-]` (default `fc:` or the URL's `?prefix=`). */
  readonly prefix?: string;
  /** Fail a command that gets no answer within this many ms (default 5000). */
  readonly commandTimeoutMs?: number;
  /** Give up connecting after this many ms (default 5000). */
  readonly connectTimeoutMs?: number;
  /** Extra ioredis options, applied last (for TLS certificates, NAT maps and the like). */
  readonly redisOptions?: RedisOptions;
}
