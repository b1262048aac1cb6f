/**
 * The Redis key layout (documented in docs/redis-keys.md).
 *
 * Catalog and worker keys share the hash tag `{c}` so that every multi-key Lua
 * script touches one slot and runs atomically on Redis Cluster too; the Lua scripts
 * derive further keys of the same slot from `base`. Tickets are independent
 * single-key records spread over all slots.
 */

/** Key builders for one prefix. */
export interface RedisKeys {
  /** `<prefix>{c}:`: the start of every catalog and worker key (passed to Lua scripts). */
  readonly base: string;
  /** Hash of a live worker registration (PEXPIREAT its expiry). */
  worker(id: string): string;
  /** Sorted set: worker id -> last-seen time (ms) of registrations not deregistered. */
  readonly workers: string;
  /** Hash of a worker's last shard announcement. */
  announcement(workerId: string): string;
  /** Set of worker ids that have an announcement. */
  readonly announcements: string;
  /** Prefix of a dataset's keys (`:versions`, `:seq`, `:dropped`, `:v:<n>`). */
  dataset(name: string): string;
  /** Set of encoded names of datasets with at least one committed version. */
  readonly datasets: string;
  /** String: the version-hash key a committed shard belongs to. */
  shard(id: string): string;
  /** Hash of a pending upload (its recorded shards are in `<key>:shards`). */
  upload(id: string): string;
  /** Sorted set: pending upload id -> expiry (ms). */
  readonly uploads: string;
  /** Hash of a held lock (PEXPIREAT its expiry). */
  lock(name: string): string;
  /** Hash of a live ticket (PEXPIREAT its expiry); not in the `{c}` slot. */
  ticket(id: string): string;
}

/**
 * Dataset names may hold any well-formed text; inside keys they are
 * percent-encoded so that braces, colons and spaces cannot break the layout.
 */
export function encodeDatasetName(name: string): string {
  return encodeURIComponent(name);
}

/** Key builders for `prefix` (already validated: `[A-Za-z0-9._:-]{1,64}`). */
export function redisKeys(prefix: string): RedisKeys {
  const base = `${prefix}{c}:`;
  return {
    base,
    worker: (id) => `${base}worker:${id}`,
    workers: `${base}workers`,
    announcement: (workerId) => `${base}ann:${workerId}`,
    announcements: `${base}anns`,
    dataset: (name) => `${base}ds:${encodeDatasetName(name)}`,
    datasets: `${base}datasets`,
    shard: (id) => `${base}shard:${id}`,
    upload: (id) => `${base}up:${id}`,
    uploads: `${base}uploads`,
    lock: (name) => `${base}lock:${name}`,
    ticket: (id) => `${prefix}t:${id}`,
  };
}
