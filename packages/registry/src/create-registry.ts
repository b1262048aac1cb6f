import { redact } from "./redis-url.js";
import type { Registry } from "./registry.js";
import { RegistryInvalidArgumentError } from "./registry-error.js";
import { createMemoryRegistry } from "./registry-memory.js";
import type { RedisRegistryOptions } from "./registry-options.js";
import { createRedisRegistry } from "./registry-redis.js";

/** Options of {@link createRegistry} (Redis settings; ignored for memory except `prefix`). */
export type CreateRegistryOptions = Omit<RedisRegistryOptions, "url">;

/**
 * Open the registry a URL names:
 * - absent, empty or `memory://` (optionally `memory://?prefix=x:`): an embedded
 *   in-memory registry private to this process;
 * - `redis://`, `rediss://`, `redis-sentinel://`, `redis-cluster://`: Redis (see
 *   `RedisRegistryOptions` for the URL forms).
 * @throws RegistryInvalidArgumentError for an unknown scheme or malformed URL.
 * @throws RegistryUnavailableError when Redis cannot be reached.
 */
export async function createRegistry(url?: string, options: CreateRegistryOptions = {}): Promise<Registry> {
  if (url === undefined || url === "") return createMemoryRegistry({ prefix: options.prefix });
  const memory = /^memory:(?:\/\/)?(?:\?(.*))?$/i.exec(url);
  if (memory !== null) {
    const prefix = options.prefix ?? new URLSearchParams(memory[1] ?? "").get("prefix") ?? undefined;
    return createMemoryRegistry({ prefix });
  }
  if (/^(redis|rediss|redis-sentinel|redis-cluster):\/\//i.test(url)) return createRedisRegistry({ ...options, url });
  throw new RegistryInvalidArgumentError(
    `registry URL ${redact(url)} has an unknown scheme (use memory://, redis://, rediss://, redis-sentinel:// or redis-cluster://)`,
  );
}
