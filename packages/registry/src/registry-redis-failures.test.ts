/** The Redis backend when Redis misbehaves: unreachable, stopped, paused, or holding corrupt records. */

import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedisServer } from "../../../test/kit/redis-server.js";
import { createRegistry } from "./create-registry.js";
import { redisKeys } from "./redis-keys.js";
import {
  RegistryAbortedError,
  RegistryCorruptError,
  RegistryInvalidArgumentError,
  RegistryUnavailableError,
} from "./registry-error.js";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("createRegistry", () => {
  it("chooses the backend by URL", async () => {
    for (const url of [undefined, "", "memory://", "memory:"]) {
      const r = await createRegistry(url);
      expect(r.backend).toBe("memory");
      expect(r.prefix).toBe("fc:");
      await r.close();
    }
    const prefixed = await createRegistry("memory://?prefix=east:");
    expect(prefixed.prefix).toBe("east:");
    await prefixed.close();
    await expect(createRegistry("mysql://h")).rejects.toThrow(RegistryInvalidArgumentError);
    await expect(createRegistry("memory://?prefix=bad{prefix}")).rejects.toThrow(/prefix/);
  });

  it("fails fast with RegistryUnavailableError when Redis is not there, without leaking the password", async () => {
    const port = await closedPort();
    const error = await createRegistry(`redis://user:hunter2@127.0.0.1:${port}`, { connectTimeoutMs: 3000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect(String(error)).toContain(`127.0.0.1:${port}`);
    expect(String(error)).not.toContain("hunter2");
  });
});

describe("Redis failures", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer({ private: true });
  });
  afterAll(async () => {
    await redis?.close();
  });

  it("reports corrupt records as RegistryCorruptError instead of half-valid objects", async () => {
    const r = await createRegistry(redis.url, { prefix: "corrupt:" });
    const raw = new Redis(redis.url);
    try {
      const keys = redisKeys("corrupt:");
      await raw.hset(keys.worker("w1"), { id: "w1", epoch: "not-a-number", locations: "[", zone: "z" });
      await expect(r.getWorker("w1")).rejects.toThrow(RegistryCorruptError);
      const ticket = await r.createTicket({ dataset: "d", version: 1, shardId: "s" }, 60_000);
      await raw.hset(keys.ticket(ticket.id), "p", "{not json");
      const error = await r.resolveTicket(ticket.id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryCorruptError);
      expect((error as RegistryCorruptError).grpcCode).toBe(13);
    } finally {
      raw.disconnect();
      await r.close();
    }
  });

  it("rejects a call stuck behind a paused Redis as soon as its signal aborts", async () => {
    const r = await createRegistry(redis.url, { prefix: "pause:", commandTimeoutMs: 60_000 });
    const admin = new Redis(redis.url);
    try {
      await r.registerWorker({ id: "w1", locations: ["grpc://h:1"], zone: "z", capacity: 1, ttlMs: 60_000 });
      await admin.call("CLIENT", "PAUSE", "30000", "WRITE");
      const controller = new AbortController();
      const pending = r.listWorkers(controller.signal);
      controller.abort();
      await expect(pending).rejects.toThrow(RegistryAbortedError);
    } finally {
      await admin.call("CLIENT", "UNPAUSE");
      admin.disconnect();
      await r.close();
    }
  });

  it("turns a Redis that went away into RegistryUnavailableError within the command timeout", async () => {
    const own = await startRedisServer({ private: true });
    const r = await createRegistry(own.url, { commandTimeoutMs: 1000 });
    try {
      expect(await r.listWorkers()).toEqual([]);
      await own.close();
      const error = await r.listWorkers().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryUnavailableError);
      expect((error as RegistryUnavailableError).grpcCode).toBe(14);
    } finally {
      await r.close();
      await own.close();
    }
  });

  it("leaves no timer behind after close(), so a process that closes its registry can exit", async () => {
    // A child process (built dist/) opens the registry, runs commands, closes it and reports the
    // handles still open. ioredis's own commandTimeout would leave one timer per command here.
    const entry = fileURLToPath(new URL("../dist/index.js", import.meta.url));
    const script = `
      const { createRegistry } = await import(${JSON.stringify(entry)});
      const r = await createRegistry(process.argv[1], { commandTimeoutMs: 30000 });
      await r.listWorkers(); await r.listDatasets(); await r.close();
      console.log(JSON.stringify(process.getActiveResourcesInfo()));`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script, redis.url]);
    const handles = JSON.parse(stdout.trim()) as string[];
    expect(handles.filter((h) => h === "Timeout")).toEqual([]);
  });
});
