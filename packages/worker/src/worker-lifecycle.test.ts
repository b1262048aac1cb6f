import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type FlightError, FlightUnimplementedError, StatusCode } from "@flight-cluster/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeTable } from "./shard-fixtures.test-kit.js";
import { commitUpload, createTestBed, putShard, readTicket, type TestBed, type TestWorker } from "./worker.test-kit.js";

let bed: TestBed;
beforeEach(async () => {
  bed = await createTestBed();
});
afterEach(async () => {
  await bed.close();
});

const utf8 = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const parse = (b: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>;

async function action(w: TestWorker, type: string, body?: unknown): Promise<Record<string, unknown>> {
  const results = [];
  for await (const r of w.client.doAction({ type, body: body === undefined ? new Uint8Array(0) : utf8(body) })) {
    results.push(r.body);
  }
  return parse(results[0]);
}

/** Upload one shard to `workers`, commit it and let the workers learn the commit. */
async function committedShard(workers: TestWorker[], dataset: string, shardId: string, rows = 2000) {
  const table = makeTable(rows, 500);
  const upload = await bed.registry.beginUpload(dataset, 60_000);
  for (const w of workers) await putShard(w.client, upload, shardId, 0, table);
  await commitUpload(bed.registry, upload.id, table, [shardId]);
  for (const w of workers) await w.worker.collectOrphans();
  return { table, upload };
}

describe("worker lifecycle", () => {
  it("reloads its manifest after a restart, keeps its id and re-announces its shards", async () => {
    const first = await bed.start("w1", { id: "worker-1" });
    const { table, upload } = await committedShard([first], "sales", "s-1");
    expect(first.worker.shards()).toEqual([
      expect.objectContaining({ shardId: "s-1", committed: true, shardCount: 1 }),
    ]);
    await first.stop();
    expect(await bed.registry.getWorker("worker-1")).toBeNull();

    const again = await bed.start("w1");
    expect(again.worker.id).toBe("worker-1");
    expect(again.worker.shards().map((s) => s.shardId)).toEqual(["s-1"]);
    const announced = await bed.registry.listAnnouncements();
    expect(announced.find((a) => a.workerId === "worker-1")?.shards).toEqual([
      expect.objectContaining({ shardId: "s-1", dataset: "sales", version: upload.version, shardCount: 1, rows: 2000 }),
    ]);
    const ticket = await bed.registry.createTicket(
      { dataset: "sales", version: upload.version, shardId: "s-1" },
      60_000,
    );
    expect((await readTicket(again.client, ticket.id)).numRows).toBe(table.numRows);
  });

  it("collects orphans: aborted and expired uploads go, pending ones stay, committed ones are recorded", async () => {
    const w = await bed.start("w1", { orphanGraceMs: 0 });
    const table = makeTable(500);
    const aborted = await bed.registry.beginUpload("d", 60_000);
    const expiring = await bed.registry.beginUpload("e", 1_000);
    const pending = await bed.registry.beginUpload("f", 600_000);
    await putShard(w.client, aborted, "gone", 0, table);
    await putShard(w.client, expiring, "late", 0, table);
    await putShard(w.client, pending, "wip", 0, table);
    await bed.registry.abortUpload(aborted.id);
    bed.advance(1_001);
    const report = await w.worker.collectOrphans();
    expect(report).toEqual({ committed: 0, deleted: 2, kept: 1 });
    expect(w.worker.shards().map((s) => s.shardId)).toEqual(["wip"]);
    expect(await readdir(join(w.dataDir, "shards"))).toEqual(["wip.arrows"]);

    await commitUpload(bed.registry, pending.id, table, ["wip"]);
    expect(await w.worker.collectOrphans()).toEqual({ committed: 1, deleted: 0, kept: 0 });
    expect(w.worker.shards()[0]).toMatchObject({ shardId: "wip", committed: true, shardCount: 1 });
  });

  it("is fenced when a newer process registers its id: refuses writes, keeps serving reads", async () => {
    const w = await bed.start("w1", { id: "twin" });
    const { upload } = await committedShard([w], "d", "s-f");
    await bed.registry.registerWorker({
      id: "twin",
      locations: ["grpc+tcp://10.0.0.9:1"],
      zone: "a",
      capacity: 1,
      ttlMs: 60_000,
    });
    await w.worker.heartbeat();
    expect(w.worker.fenced).toBe(true);
    const refused = await action(w, "shard.delete", { shardId: "s-f" }).catch((e: unknown) => e);
    expect((refused as FlightError).code).toBe(StatusCode.FAILED_PRECONDITION);
    expect((refused as FlightError).message).toMatch(/fenced/);
    const other = await bed.registry.beginUpload("d2", 60_000);
    await expect(putShard(w.client, other, "s-g", 0, makeTable(10))).rejects.toThrow(/fenced/);
    const ticket = await bed.registry.createTicket({ dataset: "d", version: upload.version, shardId: "s-f" }, 60_000);
    expect((await readTicket(w.client, ticket.id)).numRows).toBe(2000);
  });

  it("registers again with a new epoch and re-announces when the registry lost its registration", async () => {
    const w = await bed.start("w1", { id: "phoenix" });
    await committedShard([w], "d", "s-p");
    const before = w.worker.epoch as number;
    await bed.registry.deregisterWorker("phoenix", before);
    await bed.registry.announceShards("phoenix", before, []).catch(() => undefined);
    await w.worker.heartbeat();
    expect(w.worker.epoch).toBeGreaterThan(before);
    expect((await bed.registry.getWorker("phoenix"))?.epoch).toBe(w.worker.epoch);
    const announced = await bed.registry.listAnnouncements();
    expect(announced.find((a) => a.workerId === "phoenix")?.shards.map((s) => s.shardId)).toEqual(["s-p"]);
  });

  it("copies a committed shard from another worker byte for byte (shard.copy_from)", async () => {
    const [a, b] = await Promise.all([bed.start("wa"), bed.start("wb", { zone: "b" })]);
    const { upload } = await committedShard([a], "sales", "s-c", 5000);
    const ticket = await bed.registry.createTicket(
      { dataset: "sales", version: upload.version, shardId: "s-c" },
      60_000,
    );
    const request = {
      shardId: "s-c",
      dataset: "sales",
      version: upload.version,
      index: 0,
      location: a.worker.uri,
      ticket: ticket.id,
    };
    const result = await action(b, "shard.copy_from", request);
    const catalog = await bed.registry.getShard("s-c");
    expect(result).toEqual({ shardId: "s-c", rows: 5000, bytes: catalog?.bytes, digest: catalog?.digest });
    expect(b.worker.shards()[0]).toMatchObject({ shardId: "s-c", committed: true, uploadId: null });
    const fileA = await readFile(join(a.dataDir, "shards", "s-c.arrows"));
    const fileB = await readFile(join(b.dataDir, "shards", "s-c.arrows"));
    expect(fileB.equals(fileA)).toBe(true);

    const missing = await action(b, "shard.copy_from", { ...request, shardId: "nope" }).catch((e: unknown) => e);
    expect((missing as FlightError).code).toBe(StatusCode.NOT_FOUND);
    const badLocation = await action(b, "shard.copy_from", { ...request, location: "ftp://x" }).catch(
      (e: unknown) => e,
    );
    expect((badLocation as FlightError).code).toBe(StatusCode.INVALID_ARGUMENT);
  });

  it("lists and deletes shards, lists its actions, rejects unknown actions and bad bodies", async () => {
    const w = await bed.start("w1");
    await committedShard([w], "d", "s-l");
    const listed = [];
    for await (const r of w.client.doAction("shard.list"))
      listed.push(...(JSON.parse(new TextDecoder().decode(r.body)) as unknown[]));
    expect(listed).toEqual([expect.objectContaining({ shardId: "s-l", dataset: "d", rows: 2000, committed: true })]);
    expect((await w.client.listActions()).map((a) => a.type)).toEqual([
      "shard.list",
      "shard.delete",
      "shard.copy_from",
      "shard.commit",
    ]);
    await expect(action(w, "shard.explode")).rejects.toBeInstanceOf(FlightUnimplementedError);
    await expect(action(w, "shard.delete", "not an object")).rejects.toThrow(/JSON object/);
    await expect(action(w, "shard.delete", { shardId: "../x" })).rejects.toThrow(/invalid shard id/);
    expect(await action(w, "shard.delete", { shardId: "s-l" })).toEqual({ shardId: "s-l", deleted: true });
    expect(await action(w, "shard.delete", { shardId: "s-l" })).toEqual({ shardId: "s-l", deleted: false });
    expect(await readdir(join(w.dataDir, "shards"))).toEqual([]);
  });

  it("heartbeats on its own every third of its TTL, reporting its load", async () => {
    const w = await bed.start("w1", { id: "ticking", heartbeatTtlMs: 300 });
    const first = (await bed.registry.getWorker("ticking"))?.lastSeenAt as number;
    bed.advance(50); // the registry's clock moves only when told to
    await expect.poll(async () => (await bed.registry.getWorker("ticking"))?.lastSeenAt).toBeGreaterThan(first);
    expect((await bed.registry.getWorker("ticking"))?.load).toBeGreaterThanOrEqual(0);
    expect(w.worker.state).toBe("serving");
  });

  it("drains: deregisters first, then stops", async () => {
    const w = await bed.start("w1", { id: "leaving" });
    expect(await bed.registry.getWorker("leaving")).not.toBeNull();
    await w.worker.drain(1_000);
    expect(w.worker.state).toBe("stopped");
    expect(await bed.registry.getWorker("leaving")).toBeNull();
    expect(await bed.registry.listLostWorkers()).toEqual([]);
  });
});
