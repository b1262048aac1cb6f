/**
 * @flight-cluster/registry: the cluster's shared state (workers, datasets, shards,
 * pending uploads, shard announcements, tickets) in Redis or embedded in memory.
 *
 * Public API. Sibling packages may also import "@flight-cluster/registry/internal".
 */

export * from "./create-registry.js";
export * from "./registry.js";
export * from "./registry-error.js";
export { createMemoryRegistry } from "./registry-memory.js";
export * from "./registry-options.js";
export { createRedisRegistry } from "./registry-redis.js";
export * from "./registry-types.js";
