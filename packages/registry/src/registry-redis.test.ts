import { randomBytes } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import { type RedisServer, startRedisServer } from "../../../test/kit/redis-server.js";
import { registryContract } from "./registry-contract.test-kit.js";
import { createRedisRegistry } from "./registry-redis.js";

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedisServer({ private: true });
});

afterAll(async () => {
  await redis?.close();
});

registryContract(() => ({
  shortTtlMs: 400,
  async open(prefix) {
    return createRedisRegistry({ url: redis.url, prefix: prefix ?? `t${randomBytes(6).toString("hex")}:` });
  },
  async openAnother(registry) {
    return createRedisRegistry({ url: redis.url, prefix: registry.prefix });
  },
  async elapse() {},
  async loseAllData(registry) {
    await redis.flushAll();
    return registry;
  },
}));
