/**
 * The contract again, on a three-node Redis Cluster (redis-cluster:// URL; the `{c}`
 * hash tag keeps every multi-key script in one slot) and behind Sentinel
 * (redis-sentinel:// URL; ioredis asks the Sentinel for the master).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisTopology, startRedisCluster, startRedisSentinel } from "../../../test/kit/redis-server.js";
import { createRegistry } from "./create-registry.js";
import { registryContract } from "./registry-contract.test-kit.js";

for (const [name, start] of [
  ["Redis Cluster", startRedisCluster],
  ["Redis Sentinel", startRedisSentinel],
] as const) {
  describe(name, () => {
    let topology: RedisTopology;
    beforeAll(async () => {
      topology = await start();
    });
    afterAll(async () => {
      await topology?.close();
    });

    it("is reached through its URL", async () => {
      const r = await createRegistry(topology.url);
      expect(r.backend).toBe("redis");
      expect(await r.now()).toBeGreaterThan(0);
      await r.close();
    });

    registryContract(() => ({
      shortTtlMs: 400,
      open: (prefix) => createRegistry(topology.url, { prefix: prefix ?? `t${randomBytes(6).toString("hex")}:` }),
      openAnother: (registry) => createRegistry(topology.url, { prefix: registry.prefix }),
      async elapse() {},
      async loseAllData(registry) {
        await topology.flushAll();
        return registry;
      },
    }));
  });
}
