import { describe, expect, it } from "vitest";
import { commitDataset, FakeTransport, populatedRegistry } from "./planner.test-kit.js";
import { discardUpload } from "./upload-cleanup.js";

describe("discardUpload", () => {
  it("aborts a pending upload and asks the replicas to delete its shards", async () => {
    const { registry } = await populatedRegistry();
    const upload = await registry.beginUpload("gone", 60_000);
    const transport = new FakeTransport();
    const known = [{ id: `${upload.id}.0`, replicas: ["w-a1", "w-b1"] }];
    const report = await discardUpload({ registry, transport }, upload.id, known);
    expect(report).toEqual({ aborted: true, deleted: 2, skipped: 0 });
    expect(transport.actions.map((a) => [a.workerId, a.type]).sort()).toEqual([
      ["w-a1", "shard.delete"],
      ["w-b1", "shard.delete"],
    ]);
    expect(await registry.getUpload(upload.id)).toBeNull();
  });

  it("deletes nothing of an upload that turns out to be committed (its commit answer was lost)", async () => {
    const { registry } = await populatedRegistry();
    const version = await commitDataset(registry, "kept", [["w-a1", "w-b1"]]);
    const shardId = version.shards[0]!.id;
    const uploadId = shardId.slice(0, shardId.lastIndexOf("."));
    const transport = new FakeTransport();
    const report = await discardUpload({ registry, transport }, uploadId, [
      { id: shardId, replicas: ["w-a1", "w-b1"] },
    ]);
    expect(report).toEqual({ aborted: false, committed: true, deleted: 0, skipped: 0 });
    expect(transport.actions).toEqual([]);
    expect(await registry.getShard(shardId)).not.toBeNull();
  });
});
