/** Contract tests: shard announcements and rebuilding the catalog after data loss. */
import { expect, it } from "vitest";
import type { Registry } from "./registry.js";
import { binarySchema, type ContractContext, registration, shard } from "./registry-contract-support.test-kit.js";
import { WorkerNotRegisteredError } from "./registry-error.js";
import type { AnnouncedShard, DatasetVersion, ShardSpec } from "./registry-types.js";

/** The manifest entries a worker would announce for the shards of `d` it holds. */
function manifestOf(d: DatasetVersion, workerId: string): AnnouncedShard[] {
  return d.shards
    .filter((s) => s.replicas.includes(workerId))
    .map((s) => ({
      dataset: d.name,
      version: d.version,
      shardId: s.id,
      index: s.index,
      shardCount: d.shards.length,
      rows: s.rows,
      bytes: s.bytes,
      digest: s.digest,
      schema: d.schema,
      createdAt: d.createdAt,
    }));
}

async function commit(r: Registry, name: string, shards: ShardSpec[], seed = 0): Promise<DatasetVersion> {
  const up = await r.beginUpload(name, 60_000);
  return r.commitUpload(up.id, { schema: binarySchema(seed), shards });
}

/** Register the announcement and rebuild contract tests. */
export function rebuildContract(ctx: ContractContext): void {
  const { open } = ctx;

  it("rebuilds the catalog from re-announced manifests after the store lost all data", async () => {
    let r = await open();
    const w1 = await r.registerWorker(registration("w1"));
    const w2 = await r.registerWorker(registration("w2"));
    const v1 = await commit(r, "sales", [shard("a0", 0, ["w1", "w2"])], 1);
    const v2 = await commit(
      r,
      "sales",
      [shard("b0", 0, ["w1", "w2"]), shard("b1", 1, ["w1"]), shard("b2", 2, ["w2"])],
      2,
    );
    await r.announceShards("w1", w1.epoch, [...manifestOf(v1, "w1"), ...manifestOf(v2, "w1")]);
    await r.announceShards("w2", w2.epoch, [...manifestOf(v1, "w2"), ...manifestOf(v2, "w2")]);
    expect((await r.heartbeat("w1", w1.epoch, 0)).announced).toBe(true);
    expect((await r.listAnnouncements()).map((a) => [a.workerId, a.shards.length])).toEqual([
      ["w1", 3],
      ["w2", 3],
    ]);

    r = await ctx.harness().loseAllData(r);
    expect(await r.getDataset("sales")).toBeNull();
    expect(await r.listWorkers()).toEqual([]);
    await expect(r.heartbeat("w1", w1.epoch, 0)).rejects.toThrow(WorkerNotRegisteredError);
    await ctx.harness().elapse(1);
    const again = await Promise.all([r.registerWorker(registration("w1")), r.registerWorker(registration("w2"))]);
    expect(again[0].epoch).toBeGreaterThan(w1.epoch);
    for (const w of again) {
      expect((await r.heartbeat(w.id, w.epoch, 0)).announced).toBe(false);
      await r.announceShards(w.id, w.epoch, [...manifestOf(v1, w.id), ...manifestOf(v2, w.id)]);
      expect((await r.heartbeat(w.id, w.epoch, 0)).announced).toBe(true);
    }
    const report = await r.rebuildFromAnnouncements();
    expect(report).toEqual({ restored: [{ name: "sales", version: 2 }], skipped: [] });
    expect(await r.getDataset("sales")).toEqual(v2);
    expect(await r.getShard("b1")).toEqual(v2.shards[1]);
    expect((await r.beginUpload("sales", 60_000)).version).toBe(3);
    expect(await r.rebuildFromAnnouncements()).toEqual({
      restored: [],
      skipped: [{ name: "sales", version: 2, reason: "exists" }],
    });
  });

  it("restores only complete, consistent, undropped versions from live workers", async () => {
    const r = await open();
    const w1 = await r.registerWorker(registration("w1"));
    const w2 = await r.registerWorker(registration("w2"));
    const w3 = await r.registerWorker(registration("w3"));
    const gone = await commit(r, "gone", [shard("g0", 0, ["w1"])]);
    await r.dropDataset("gone");
    const base = { schema: binarySchema(5), rows: 1, bytes: 1, createdAt: 5 };
    const a = (dataset: string, version: number, shardId: string, index: number, shardCount: number, digest = "d") => ({
      ...base,
      dataset,
      version,
      shardId,
      index,
      shardCount,
      digest,
    });
    await r.announceShards("w1", w1.epoch, [
      ...manifestOf(gone, "w1"),
      a("partial", 1, "p0", 0, 2),
      a("mixed", 1, "m0", 0, 1, "digest-one"),
      a("multi", 1, "u0", 0, 1),
      a("multi", 2, "v0", 0, 2),
    ]);
    await r.announceShards("w2", w2.epoch, [a("lonely", 4, "l0", 0, 1)]);
    await r.announceShards("w3", w3.epoch, [a("multi", 1, "u0", 0, 1), a("mixed", 1, "m0", 0, 1, "digest-two")]);
    await r.deregisterWorker("w2", w2.epoch);
    const report = await r.rebuildFromAnnouncements();
    expect(report.restored).toEqual([{ name: "multi", version: 1 }]);
    expect([...report.skipped].sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { name: "gone", version: 1, reason: "dropped" },
      { name: "mixed", version: 1, reason: "inconsistent" },
      { name: "multi", version: 2, reason: "incomplete" },
      { name: "partial", version: 1, reason: "incomplete" },
    ]);
    const multi = await r.getDataset("multi");
    expect(multi).toMatchObject({ version: 1, createdAt: 5, totalRows: 1 });
    expect(multi?.shards.map((s) => [s.id, s.replicas])).toEqual([["u0", ["w1", "w3"]]]);
    expect(await r.getDataset("gone")).toBeNull();
    expect((await r.beginUpload("multi", 60_000)).version).toBe(3);

    const all = await r.rebuildFromAnnouncements(false);
    expect(all.restored).toEqual([{ name: "lonely", version: 4 }]);
    expect(all.skipped).toContainEqual({ name: "mixed", version: 1, reason: "inconsistent" });
    expect((await r.getDataset("lonely"))?.shards[0]?.replicas).toEqual(["w2"]);
  });

  it("rejects malformed announcements and drops a forgotten worker's announcement", async () => {
    const r = await open();
    const short = ctx.harness().shortTtlMs;
    const w = await r.registerWorker(registration("w1", { ttlMs: short }));
    const good = manifestOf(await commit(r, "d", [shard("s0", 0, ["w1"])]), "w1");
    await expect(r.announceShards("w1", w.epoch, [{ ...good[0], index: 1 } as AnnouncedShard])).rejects.toThrow(
      /index/,
    );
    await expect(r.announceShards("w9", w.epoch, good)).rejects.toThrow(WorkerNotRegisteredError);
    await r.announceShards("w1", w.epoch, good);
    await ctx.harness().elapse(short);
    const lost = await ctx.eventually(async () => {
      const list = await r.listLostWorkers();
      expect(list).toHaveLength(1);
      return list;
    });
    expect(await r.forgetWorker("w1", lost[0]?.lastSeenAt ?? 0)).toBe(true);
    expect(await r.listAnnouncements()).toEqual([]);
  });
}
