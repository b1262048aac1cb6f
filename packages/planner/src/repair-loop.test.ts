import { encodeSchema, FlightError, StatusCode } from "@flight-cluster/protocol";
import { createMemoryRegistry, type Registry, type ShardInfo } from "@flight-cluster/registry";
import { describe, expect, it } from "vitest";
import { commitDataset, FakeTransport, registerWorkers, salesSchema } from "./planner.test-kit.js";
import { createRepairLoop, REPAIR_LOCK } from "./repair-loop.js";
import type { CopyFromRequest } from "./worker-protocol.js";

/** A registry on a fake clock with workers in zones a, a, b, b, c; TTL 1 s. */
async function cluster() {
  let now = 1_000_000;
  const registry = createMemoryRegistry({ now: () => now });
  const ids = [
    { id: "w-a1", zone: "a" },
    { id: "w-a2", zone: "a" },
    { id: "w-b1", zone: "b" },
    { id: "w-b2", zone: "b" },
    { id: "w-c1", zone: "c" },
  ];
  const workers = await registerWorkers(registry, ids);
  // Re-register with a short TTL so a worker can be "killed" by letting time pass.
  const epochs = new Map<string, number>();
  for (const w of workers) {
    const info = await registry.registerWorker({
      id: w.id,
      zone: w.zone,
      locations: [...w.locations],
      capacity: 1,
      ttlMs: 1000,
    });
    epochs.set(w.id, info.epoch);
  }
  /** Let `ms` pass; every worker except `dead` heartbeats. */
  const elapse = async (ms: number, dead: readonly string[] = []) => {
    for (let left = ms; left > 0; left -= 250) {
      now += Math.min(250, left);
      for (const [id, epoch] of epochs) if (!dead.includes(id)) await registry.heartbeat(id, epoch, 0);
    }
  };
  return { registry, elapse };
}

/** A transport whose workers copy shards by answering what the catalog says (or `lie`). */
function copyingTransport(registry: Registry, lie?: (request: CopyFromRequest) => boolean) {
  const transport = new FakeTransport();
  const tickets: Array<{ to: string; request: CopyFromRequest; resolved: unknown }> = [];
  transport.actionHandler = async (worker, type, body) => {
    if (type !== "shard.copy_from") throw new FlightError(StatusCode.UNIMPLEMENTED, type);
    const request = body as CopyFromRequest;
    const ticket = await registry.resolveTicket(request.ticket);
    tickets.push({ to: worker.id, request, resolved: ticket?.payload });
    const shard = (await registry.getShard(request.shardId)) as ShardInfo;
    // Remember the copy so shard.delete of it succeeds in the fake.
    transport.replicas.push({
      workerId: worker.id,
      command: {
        op: "put-shard",
        uploadId: "copy",
        shardId: request.shardId,
        index: request.index,
        dataset: request.dataset,
        version: request.version,
      },
      messages: [],
      batches: [],
      rows: shard.rows,
      done: true,
      cancelled: false,
    });
    return { rows: shard.rows, bytes: shard.bytes, digest: lie?.(request) ? "sha256:other" : shard.digest };
  };
  return { transport, tickets };
}

describe("RepairLoop.runOnce", () => {
  it("re-replicates shards of a lost worker from survivors, then forgets the worker", async () => {
    const { registry, elapse } = await cluster();
    const dataset = await commitDataset(registry, "sales", [
      ["w-a1", "w-b1"],
      ["w-b1", "w-c1"],
      ["w-a2", "w-c1"],
    ]);
    const { transport, tickets } = copyingTransport(registry);
    const loop = createRepairLoop({ registry, transport, replicas: 2, intervalMs: 1000, ticketTtlMs: 60_000 });
    expect(await loop.runOnce()).toMatchObject({ ran: true, underReplicated: 0, copied: 0 });

    await elapse(1500, ["w-b1"]);
    expect((await registry.listWorkers()).map((w) => w.id)).not.toContain("w-b1");
    const report = await loop.runOnce();
    expect(report).toMatchObject({ ran: true, underReplicated: 2, copied: 2, failed: 0, unrepairable: 0 });
    const zones = new Map((await registry.listWorkers()).map((w) => [w.id, w.zone]));
    for (const shard of (await registry.getDataset("sales"))!.shards) {
      const live = shard.replicas.filter((id) => zones.has(id));
      expect(live).toHaveLength(2);
      expect(new Set(live.map((id) => zones.get(id))).size).toBe(2);
    }
    // Each copy came from the surviving replica's location, with a ticket for exactly that shard.
    expect(tickets).toHaveLength(2);
    for (const { request, resolved } of tickets) {
      const original = dataset.shards.find((s) => s.id === request.shardId)!;
      const survivor = original.replicas.find((id) => id !== "w-b1")!;
      expect(request.location).toBe(`grpc+tcp://${survivor}:9000`);
      expect(resolved).toMatchObject({ dataset: "sales", version: 1, shardId: request.shardId });
      expect(await registry.resolveTicket(request.ticket)).toBeNull();
    }
    // The lost worker was removed from the shards and forgotten in the same pass.
    expect(report.forgotten).toBe(1);
    expect(await registry.listLostWorkers()).toEqual([]);
    expect((await registry.getDataset("sales"))!.shards.every((s) => !s.replicas.includes("w-b1"))).toBe(true);
    expect(await loop.runOnce()).toMatchObject({ underReplicated: 0, copied: 0 });
  });

  it("does not record a copy whose digest differs, and deletes it", async () => {
    const { registry, elapse } = await cluster();
    await commitDataset(registry, "sales", [["w-a1", "w-b1"]]);
    const { transport } = copyingTransport(registry, () => true);
    const loop = createRepairLoop({ registry, transport, replicas: 2, intervalMs: 1000, ticketTtlMs: 60_000 });
    await elapse(1500, ["w-b1"]);
    expect(await loop.runOnce()).toMatchObject({ copied: 0, failed: 1, forgotten: 0 });
    expect((await registry.getDataset("sales"))!.shards[0]!.replicas).toEqual(["w-a1", "w-b1"]);
    expect(transport.deleted).toHaveLength(1);
    expect(await registry.listLostWorkers()).toEqual([expect.objectContaining({ id: "w-b1" })]);
  });

  it("reports shards with no live replica as unrepairable", async () => {
    const { registry, elapse } = await cluster();
    await commitDataset(registry, "sales", [["w-b1", "w-b2"]]);
    const { transport } = copyingTransport(registry);
    const loop = createRepairLoop({ registry, transport, replicas: 2, intervalMs: 1000, ticketTtlMs: 60_000 });
    await elapse(1500, ["w-b1", "w-b2"]);
    expect(await loop.runOnce()).toMatchObject({ underReplicated: 1, unrepairable: 1, copied: 0, forgotten: 0 });
  });

  it("does nothing while another planner holds the repair lock", async () => {
    const { registry } = await cluster();
    const lease = await registry.tryAcquireLock(REPAIR_LOCK, 10_000);
    const loop = createRepairLoop({
      registry,
      transport: new FakeTransport(),
      replicas: 2,
      intervalMs: 1000,
      ticketTtlMs: 1000,
    });
    expect((await loop.runOnce()).ran).toBe(false);
    await registry.releaseLock(lease!);
    expect((await loop.runOnce()).ran).toBe(true);
  });

  it("discards expired uploads and their stored replicas", async () => {
    const { registry, elapse } = await cluster();
    const upload = await registry.beginUpload("half", 500);
    await registry.recordUploadShard(upload.id, {
      id: `${upload.id}.0`,
      index: 0,
      rows: 1,
      bytes: 1,
      digest: "sha256:x",
      replicas: ["w-a1"],
    });
    const transport = new FakeTransport();
    transport.replicas.push({
      workerId: "w-a1",
      command: {
        op: "put-shard",
        uploadId: upload.id,
        shardId: `${upload.id}.0`,
        index: 0,
        dataset: "half",
        version: 1,
      },
      messages: [],
      batches: [],
      rows: 1,
      done: true,
      cancelled: false,
    });
    const loop = createRepairLoop({ registry, transport, replicas: 2, intervalMs: 1000, ticketTtlMs: 1000 });
    await elapse(600);
    expect(await loop.runOnce()).toMatchObject({ expiredUploads: 1 });
    expect(transport.deleted).toEqual([{ workerId: "w-a1", shardId: `${upload.id}.0` }]);
    expect(await registry.getUpload(upload.id)).toBeNull();
  });

  it("rebuilds a catalog lost by the registry from worker announcements", async () => {
    const registry = createMemoryRegistry();
    const workers = await registerWorkers(registry, [
      { id: "w-a1", zone: "a" },
      { id: "w-b1", zone: "b" },
    ]);
    const schema = encodeSchema(salesSchema);
    for (const worker of workers) {
      await registry.announceShards(worker.id, worker.epoch, [
        {
          dataset: "sales",
          version: 3,
          shardId: "u.0",
          index: 0,
          shardCount: 2,
          rows: 5,
          bytes: 50,
          digest: "sha256:0",
          schema,
        },
        {
          dataset: "sales",
          version: 3,
          shardId: "u.1",
          index: 1,
          shardCount: 2,
          rows: 6,
          bytes: 60,
          digest: "sha256:1",
          schema,
        },
      ]);
    }
    const loop = createRepairLoop({
      registry,
      transport: new FakeTransport(),
      replicas: 2,
      intervalMs: 1000,
      ticketTtlMs: 1000,
    });
    const report = await loop.runOnce();
    expect(report.rebuilt).toEqual([{ name: "sales", version: 3 }]);
    const dataset = await registry.getDataset("sales");
    expect(dataset).toMatchObject({ version: 3, totalRows: 11 });
    expect(dataset!.shards.map((s) => s.replicas)).toEqual([
      ["w-a1", "w-b1"],
      ["w-a1", "w-b1"],
    ]);
  });

  it("start/stop runs passes on a timer and waits for the running pass", async () => {
    const { registry } = await cluster();
    const loop = createRepairLoop({
      registry,
      transport: new FakeTransport(),
      replicas: 2,
      intervalMs: 50,
      ticketTtlMs: 1000,
    });
    const seen = new Promise<void>((resolve) => {
      const original = registry.tryAcquireLock.bind(registry);
      let calls = 0;
      registry.tryAcquireLock = async (...args) => {
        if (++calls === 2) resolve();
        return original(...args);
      };
    });
    loop.start();
    await seen;
    await loop.stop();
    // After stop the lock is free again (the last pass released it).
    expect(await registry.tryAcquireLock(REPAIR_LOCK, 1000)).not.toBeNull();
  });
});
