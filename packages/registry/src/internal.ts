/**
 * @flight-cluster/registry internals for sibling packages (planner, worker, cli, tests).
 * Not a stable API for users.
 */

export * from "./index.js";
export { type DatasetRebuildPlan, planRebuild, type RestorableVersion } from "./rebuild-plan.js";
export { type RedisKeys, redisKeys } from "./redis-keys.js";
export { type ParsedRedisUrl, parseRedisUrl, redact } from "./redis-url.js";
