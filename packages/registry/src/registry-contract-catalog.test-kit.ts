/** Contract tests: uploads, atomic commits, versions, replicas, drops and binary schemas. */
import { expect, it } from "vitest";
import { binarySchema, type ContractContext, shard } from "./registry-contract-support.test-kit.js";
import {
  RegistryInvalidArgumentError,
  ShardConflictError,
  ShardNotFoundError,
  UploadExpiredError,
  UploadNotFoundError,
  VersionSupersededError,
} from "./registry-error.js";
import type { DatasetVersion } from "./registry-types.js";

/** Register the catalog contract tests. */
export function catalogContract(ctx: ContractContext): void {
  const { open, eventually } = ctx;

  it("commits an upload atomically: invisible before, complete after", async () => {
    const r = await open();
    const up = await r.beginUpload("events/2026", 60_000);
    expect(up).toMatchObject({ dataset: "events/2026", version: 1, shards: [] });
    expect(up.id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    await r.recordUploadShard(up.id, shard("s0", 0, ["w1", "w2"]));
    expect((await r.getUpload(up.id))?.shards.map((s) => s.id)).toEqual(["s0"]);
    expect(await r.getDataset("events/2026")).toBeNull();
    expect(await r.listDatasets()).toEqual([]);
    const schema = binarySchema();
    const committed = await r.commitUpload(up.id, {
      schema,
      shards: [shard("s1", 1, ["w2", "w1", "w2"]), shard("s0", 0, ["w1"])],
    });
    expect(committed).toMatchObject({ name: "events/2026", version: 1, totalRows: 201, totalBytes: 2001 });
    expect(committed.shards.map((s) => [s.id, s.index, s.replicas])).toEqual([
      ["s0", 0, ["w1"]],
      ["s1", 1, ["w1", "w2"]],
    ]);
    expect(Buffer.from(committed.schema).equals(Buffer.from(schema))).toBe(true);
    expect(await r.getDataset("events/2026")).toEqual(committed);
    expect(await r.getShard("s1")).toEqual(committed.shards[1]);
    expect(await r.getUpload(up.id)).toBeNull();
    await expect(r.commitUpload(up.id, { schema, shards: [shard("s9", 0)] })).rejects.toThrow(UploadNotFoundError);
    const listed = await r.listDatasets();
    expect(listed).toEqual([
      {
        name: "events/2026",
        version: 1,
        schema: committed.schema,
        shardCount: 2,
        totalRows: 201,
        totalBytes: 2001,
        createdAt: committed.createdAt,
      },
    ]);
  });

  it("keeps older versions readable and makes the newest the latest", async () => {
    const r = await open();
    const v1 = await r.beginUpload("sales", 60_000);
    await r.commitUpload(v1.id, { schema: binarySchema(1), shards: [shard("a0", 0)] });
    const v2 = await r.beginUpload("sales", 60_000);
    expect(v2.version).toBe(2);
    await r.commitUpload(v2.id, { schema: binarySchema(2), shards: [shard("b0", 0), shard("b1", 1)] });
    expect((await r.getDataset("sales"))?.version).toBe(2);
    expect((await r.getDataset("sales", 1))?.shards.map((s) => s.id)).toEqual(["a0"]);
    expect(await r.getDataset("sales", 3)).toBeNull();
    expect(await r.listDatasetVersions("sales")).toEqual([1, 2]);
    expect(await r.listDatasetVersions("nope")).toEqual([]);
  });

  it("rejects malformed commits and leaves the upload pending and nothing visible", async () => {
    const r = await open();
    const up = await r.beginUpload("d", 60_000);
    const schema = binarySchema();
    const bad = [
      { shards: [shard("x0", 0), shard("x2", 2)], match: /index 2/ },
      { shards: [shard("x0", 0), shard("x0", 1)], match: /appears twice/ },
      { shards: [shard("x0", 0), shard("x1", 0)], match: /index 0 appears twice/ },
      { shards: [shard("x0", 0, [])], match: /no replica/ },
      { shards: [], match: /shards must be/ },
      { shards: [{ ...shard("x0", 0), rows: -1 }], match: /rows/ },
    ];
    for (const { shards, match } of bad) {
      const error = await r.commitUpload(up.id, { schema, shards }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryInvalidArgumentError);
      expect(String(error)).toMatch(match);
    }
    await expect(r.commitUpload(up.id, { schema: new Uint8Array(0), shards: [shard("x0", 0)] })).rejects.toThrow(
      /schema/,
    );
    await expect(r.beginUpload("", 60_000)).rejects.toThrow(/dataset name/);
    await expect(r.beginUpload("a\nb", 60_000)).rejects.toThrow(/control/);
    await expect(r.getUpload("short")).rejects.toThrow(/upload id/);
    expect(await r.getDataset("d")).toBeNull();
    expect(await r.getShard("x0")).toBeNull();
    expect(await r.getUpload(up.id)).not.toBeNull();
  });

  it("refuses to commit a version older than the latest, and shard ids already in use", async () => {
    const r = await open();
    const older = await r.beginUpload("d", 60_000);
    const newer = await r.beginUpload("d", 60_000);
    await r.commitUpload(newer.id, { schema: binarySchema(), shards: [shard("n0", 0)] });
    await expect(r.commitUpload(older.id, { schema: binarySchema(), shards: [shard("o0", 0)] })).rejects.toThrow(
      VersionSupersededError,
    );
    expect((await r.getDataset("d"))?.version).toBe(2);
    expect(await r.getShard("o0")).toBeNull();
    const other = await r.beginUpload("other", 60_000);
    await expect(
      r.commitUpload(other.id, { schema: binarySchema(), shards: [shard("z0", 0), shard("n0", 1)] }),
    ).rejects.toThrow(ShardConflictError);
    expect(await r.getDataset("other")).toBeNull();
    expect(await r.getShard("z0")).toBeNull();
    expect((await r.getShard("n0"))?.dataset).toBe("d");
  });

  it("aborts uploads, returning the recorded shards for cleanup", async () => {
    const r = await open();
    const up = await r.beginUpload("d", 60_000);
    await r.recordUploadShard(up.id, shard("s0", 0, ["w1", "w2"]));
    await r.recordUploadShard(up.id, shard("s1", 1, ["w3"]));
    await r.recordUploadShard(up.id, shard("s1", 1, ["w4"]));
    const aborted = await r.abortUpload(up.id);
    expect(aborted?.shards.map((s) => [s.id, s.replicas]).sort()).toEqual([
      ["s0", ["w1", "w2"]],
      ["s1", ["w4"]],
    ]);
    expect(await r.abortUpload(up.id)).toBeNull();
    await expect(r.commitUpload(up.id, { schema: binarySchema(), shards: [shard("s0", 0)] })).rejects.toThrow(
      UploadNotFoundError,
    );
    await expect(r.recordUploadShard(up.id, shard("s2", 2))).rejects.toMatchObject({
      code: "REGISTRY_UPLOAD_NOT_FOUND",
    });
    expect(await r.getDataset("d")).toBeNull();
    const next = await r.beginUpload("d", 60_000);
    expect(next.version).toBe(2);
  });

  it("lets abandoned uploads expire: they cannot commit and are listed for cleanup", async () => {
    const r = await open();
    const short = ctx.harness().shortTtlMs;
    const stale = await r.beginUpload("d", short);
    const renewed = await r.beginUpload("d", short);
    await r.recordUploadShard(stale.id, shard("s0", 0, ["w1"]));
    const expiry = await r.renewUpload(renewed.id, 60_000);
    expect(expiry).toBeGreaterThan(renewed.expiresAt);
    expect(await r.listExpiredUploads()).toEqual([]);
    await ctx.harness().elapse(short);
    const expired = await eventually(async () => {
      const list = await r.listExpiredUploads();
      expect(list).toHaveLength(1);
      return list;
    });
    expect(expired[0]).toMatchObject({ id: stale.id, dataset: "d", version: 1, expiresAt: stale.expiresAt });
    expect(expired[0]?.shards.map((s) => s.id)).toEqual(["s0"]);
    await expect(r.commitUpload(stale.id, { schema: binarySchema(), shards: [shard("s0", 0)] })).rejects.toThrow(
      UploadExpiredError,
    );
    await expect(r.renewUpload(stale.id, 60_000)).rejects.toThrow(UploadExpiredError);
    await expect(r.recordUploadShard(stale.id, shard("s1", 1))).rejects.toThrow(UploadExpiredError);
    expect((await r.abortUpload(stale.id))?.id).toBe(stale.id);
    expect(await r.listExpiredUploads()).toEqual([]);
    const done = await r.commitUpload(renewed.id, { schema: binarySchema(), shards: [shard("r0", 0)] });
    expect(done.version).toBe(2);
  });

  it("never shows a reader a half-committed dataset", async () => {
    const r = await open();
    const reader = await ctx.openAnother(r);
    const count = 300;
    const shardsOf = (tag: string) => Array.from({ length: count }, (_, i) => shard(`${tag}-${i}`, i, ["w1", "w2"]));
    const problems: string[] = [];
    const versionsSeen = new Set<number>();
    let done = false;
    const check = (d: DatasetVersion | null) => {
      if (d === null) return;
      versionsSeen.add(d.version);
      const whole =
        d.shards.length === count &&
        d.shards.every((s, i) => s.index === i && s.id === `v${d.version}-${i}` && s.replicas.length === 2) &&
        d.totalRows === d.shards.reduce((sum, s) => sum + s.rows, 0);
      if (!whole) problems.push(`version ${d.version} seen with ${d.shards.length} shards`);
    };
    const readers = Array.from({ length: 3 }, async () => {
      while (!done) {
        check(await reader.getDataset("big"));
        const listed = (await reader.listDatasets())[0];
        if (listed !== undefined && listed.shardCount !== count) problems.push(`listed ${listed.shardCount} shards`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    const v1 = await r.beginUpload("big", 60_000);
    await r.commitUpload(v1.id, { schema: binarySchema(1), shards: shardsOf("v1") });
    const v2 = await r.beginUpload("big", 60_000);
    await r.commitUpload(v2.id, { schema: binarySchema(2), shards: shardsOf("v2") });
    await eventually(async () => expect(versionsSeen.has(2)).toBe(true));
    done = true;
    await Promise.all(readers);
    expect(problems).toEqual([]);
    check(await reader.getDataset("big", 1));
    expect(problems).toEqual([]);
  });

  it("adds and removes replicas idempotently", async () => {
    const r = await open();
    const up = await r.beginUpload("d", 60_000);
    await r.commitUpload(up.id, { schema: binarySchema(), shards: [shard("s0", 0, ["w1"])] });
    expect(await r.addReplica("s0", "w3")).toEqual(["w1", "w3"]);
    expect(await r.addReplica("s0", "w3")).toEqual(["w1", "w3"]);
    expect(await r.removeReplica("s0", "w1")).toEqual(["w3"]);
    expect(await r.removeReplica("s0", "w1")).toEqual(["w3"]);
    expect((await r.getDataset("d"))?.shards[0]?.replicas).toEqual(["w3"]);
    await expect(r.addReplica("missing", "w1")).rejects.toThrow(ShardNotFoundError);
    await expect(r.removeReplica("s0", "bad id")).rejects.toThrow(/worker id/);
  });

  it("drops one version or the whole dataset, returning what was dropped", async () => {
    const r = await open();
    for (const tag of ["a", "b", "c"]) {
      const up = await r.beginUpload("d", 60_000);
      await r.commitUpload(up.id, { schema: binarySchema(), shards: [shard(`${tag}0`, 0)] });
    }
    expect((await r.dropDataset("d", 3)).map((d) => d.version)).toEqual([3]);
    expect((await r.getDataset("d"))?.version).toBe(2);
    expect(await r.getShard("c0")).toBeNull();
    expect(await r.dropDataset("d", 3)).toEqual([]);
    const all = await r.dropDataset("d");
    expect(all.map((d) => [d.version, d.shards[0]?.id])).toEqual([
      [1, "a0"],
      [2, "b0"],
    ]);
    expect(await r.getDataset("d")).toBeNull();
    expect(await r.listDatasets()).toEqual([]);
    expect(await r.getShard("a0")).toBeNull();
    expect(await r.dropDataset("d")).toEqual([]);
    const again = await r.beginUpload("d", 60_000);
    expect(again.version).toBe(4);
    await r.commitUpload(again.id, { schema: binarySchema(), shards: [shard("a0", 0)] });
    expect((await r.getShard("a0"))?.version).toBe(4);
  });

  it("stores schema bytes byte-exact, including invalid UTF-8 and NULs", async () => {
    const r = await open();
    const schema = new Uint8Array(256 * 4);
    for (let i = 0; i < schema.length; i++) schema[i] = 255 - (i % 256);
    const up = await r.beginUpload("bin", 60_000);
    await r.commitUpload(up.id, { schema: schema.subarray(3, 1000), shards: [shard("s0", 0)] });
    const expected = Buffer.from(schema.subarray(3, 1000));
    expect(Buffer.from((await r.getDataset("bin"))?.schema ?? []).equals(expected)).toBe(true);
    expect(Buffer.from((await r.listDatasets())[0]?.schema ?? []).equals(expected)).toBe(true);
  });
}
