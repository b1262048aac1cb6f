/**
 * The planner on a real Redis with real workers (in process): a planner restart loses
 * nothing (it is stateless), and after FLUSHALL the workers re-announce their manifests
 * and the planner's repair pass rebuilds the catalog without losing a dataset.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type FlightClient, FlightDescriptor, StatusCode } from "@flight-cluster/protocol";
import { createRegistry, type Registry } from "@flight-cluster/registry";
import { type RunningWorker, silentWorkerLogger, startWorker } from "@flight-cluster/worker";
import { Table, Utf8, vectorFromArray } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedisServer } from "../../../test/kit/redis-server.js";
import { type RunningPlanner, startPlanner } from "./planner.js";
import { silentPlannerLogger } from "./planner-logger.js";

let redis: RedisServer;
let root: string;
let registry: Registry;
let workers: RunningWorker[] = [];
let planner: RunningPlanner;

const table = new Table({
  id: vectorFromArray(Int32Array.from({ length: 30_000 }, (_, i) => i)),
  name: vectorFromArray(
    Array.from({ length: 30_000 }, (_, i) => `n${i}`),
    new Utf8(),
  ),
});

async function plannerOn(): Promise<RunningPlanner> {
  return startPlanner({
    registry,
    port: 0,
    host: "127.0.0.1",
    repair: false,
    shardTargetBytes: 64 * 1024,
    logger: silentPlannerLogger,
  });
}

async function readAll(c: FlightClient, name: string): Promise<number[]> {
  const info = await c.getFlightInfo(FlightDescriptor.forPath(name));
  const ids: number[] = [];
  for (const endpoint of info.endpoints) {
    const worker = connect(endpoint.locations[0]!.uri);
    try {
      const part = await worker.doGet(endpoint.ticket.ticket).readAll();
      ids.push(...(part.getChild("id")!.toArray() as Int32Array));
    } finally {
      worker.close();
    }
  }
  return ids;
}

async function eventually(probe: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  redis = await startRedisServer({ private: true });
  root = await mkdtemp(join(tmpdir(), "planner-redis-"));
  registry = await createRegistry(redis.url, { prefix: "planner-test:" });
  workers = await Promise.all(
    ["a", "b"].map((zone) =>
      startWorker({
        registry,
        dataDir: join(root, zone),
        zone,
        port: 0,
        host: "127.0.0.1",
        heartbeatTtlMs: 1500,
        cpuThreads: 0,
        logger: silentWorkerLogger,
      }),
    ),
  );
  planner = await plannerOn();
  const c = connect(planner.uri);
  try {
    const { writer } = c.doPut(FlightDescriptor.forPath("events/2026"), table.schema);
    await writer.writeTable(table);
    await writer.close();
  } finally {
    c.close();
  }
});

afterAll(async () => {
  await planner?.close();
  await Promise.all(workers.map((w) => w.close()));
  await registry?.close();
  await redis?.close();
  await rm(root, { recursive: true, force: true });
});

describe("planner on Redis", () => {
  it("restarting the planner loses nothing", async () => {
    await planner.close();
    planner = await plannerOn();
    const c = connect(planner.uri);
    try {
      expect(await readAll(c, "events/2026")).toEqual(Array.from({ length: 30_000 }, (_, i) => i));
    } finally {
      c.close();
    }
  });

  it("rebuilds the catalog from worker announcements after FLUSHALL", async () => {
    const before = (await registry.getDataset("events/2026"))!;
    expect(before.shards.length).toBeGreaterThan(1);
    // Workers learn that their shards were committed on their next collection pass (a timer,
    // default 5 s); only committed shards are announced. Run that pass now.
    await Promise.all(workers.map((w) => w.collectOrphans()));
    expect(workers.flatMap((w) => w.shards()).every((entry) => entry.committed)).toBe(true);
    await redis.flushAll();
    expect(await registry.getDataset("events/2026")).toBeNull();
    const c = connect(planner.uri);
    try {
      const lost = await c.getFlightInfo(FlightDescriptor.forPath("events/2026")).catch((e: { code: number }) => e);
      expect(lost).toMatchObject({ code: StatusCode.NOT_FOUND });
      // Workers notice their registration is gone, register again and re-announce.
      await eventually(async () => (await registry.listAnnouncements()).length === 2, "both workers to re-announce");
      const report = await planner.repair.runOnce();
      expect(report.rebuilt).toEqual([{ name: "events/2026", version: before.version }]);
      const after = (await registry.getDataset("events/2026"))!;
      expect(after.shards.map((s) => [s.id, s.rows, s.digest])).toEqual(
        before.shards.map((s) => [s.id, s.rows, s.digest]),
      );
      expect(await readAll(c, "events/2026")).toEqual(Array.from({ length: 30_000 }, (_, i) => i));
      // A new upload gets a version above the rebuilt one.
      const begun = await registry.beginUpload("events/2026", 60_000);
      expect(begun.version).toBeGreaterThan(before.version);
    } finally {
      c.close();
    }
  });
});
