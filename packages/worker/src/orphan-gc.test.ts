import { createMemoryRegistry, type Registry } from "@flight-cluster/registry";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentWorkerLogger } from "./logger.js";
import { noopWorkerMetrics } from "./metrics.js";
import { OrphanCollector } from "./orphan-gc.js";
import { framesOf, ipcFrames, makeTable, tempDir } from "./shard-fixtures.test-kit.js";
import { ShardStore } from "./shard-store.js";

const GRACE = 1_000;
const RESET_GRACE = 600_000;

let dir: { path: string; remove: () => Promise<void> };
let registry: Registry;
let store: ShardStore;
let local: number;
let epoch: number | undefined;

beforeEach(async () => {
  dir = await tempDir("fc-orphan-");
  registry = createMemoryRegistry();
  store = await ShardStore.open({
    dataDir: dir.path,
    workerId: "w-gc",
    maxMessageBytes: 2 << 20,
    maxShardBytes: 64 << 20,
    hashInline: true,
    logger: silentWorkerLogger,
    now: () => local,
  });
  local = 1_000_000;
  epoch = undefined;
});
afterEach(async () => {
  await registry.close();
  await dir.remove();
});

function collector(): OrphanCollector {
  return new OrphanCollector({
    store,
    registry,
    orphanGraceMs: GRACE,
    droppedGraceMs: 3_600_000,
    logger: silentWorkerLogger,
    metrics: noopWorkerMetrics,
    onChanged: () => {},
    now: () => local,
    epoch: () => epoch,
    resetGraceMs: RESET_GRACE,
  });
}

async function register(): Promise<void> {
  const info = await registry.registerWorker({
    id: "w-gc",
    locations: ["grpc+tcp://127.0.0.1:1"],
    zone: "a",
    capacity: 1,
    ttlMs: 3_600_000,
  });
  epoch = info.epoch;
}

/** A shard of an upload that was then aborted: its upload is unknown to the registry. */
async function shardOfGoneUpload(dataset = "d"): Promise<string> {
  const upload = await registry.beginUpload(dataset, 60_000);
  const shardId = `${upload.id}.0`;
  const meta = { shardId, dataset, version: upload.version, index: 0, uploadId: upload.id };
  await store.put(meta, framesOf(ipcFrames(makeTable(100))));
  await registry.abortUpload(upload.id);
  return shardId;
}

describe("OrphanCollector: shards of unknown uploads", () => {
  it("deletes them after the grace when nothing suggests the registry lost its data", async () => {
    await register();
    const gc = collector();
    const id = await shardOfGoneUpload();
    expect(await gc.runOnce()).toEqual({ committed: 0, deleted: 0, kept: 1 });
    local += GRACE + 1;
    expect(await gc.runOnce()).toEqual({ committed: 0, deleted: 1, kept: 0 });
    expect(store.get(id)).toBeUndefined();
  });

  it("keeps them while the worker's registration is missing, through its re-registration, until the window ends", async () => {
    await register();
    const gc = collector();
    await gc.runOnce();
    const id = await shardOfGoneUpload();
    local += GRACE + 1;
    // The registry lost the registration (as after FLUSHALL) before the heartbeat noticed.
    await registry.deregisterWorker("w-gc", epoch as number);
    expect(await gc.runOnce()).toEqual({ committed: 0, deleted: 0, kept: 1 });
    expect(gc.guarding).toBe(true);
    // The heartbeat registers again (new epoch): the next pass sees it, the window starts again.
    await register();
    local += 5_000;
    expect(await gc.runOnce()).toEqual({ committed: 0, deleted: 0, kept: 1 });
    local += RESET_GRACE - 1;
    expect(await gc.runOnce()).toEqual({ committed: 0, deleted: 0, kept: 1 });
    local += 2;
    expect(await gc.runOnce()).toEqual({ committed: 0, deleted: 1, kept: 0 });
    expect(store.get(id)).toBeUndefined();
  });

  it("treats a new registration epoch between passes as a sign of a reset", async () => {
    await register();
    const gc = collector();
    await gc.runOnce();
    await register(); // re-registered: the registration matches the new epoch, but it changed
    const id = await shardOfGoneUpload();
    local += GRACE + 1;
    expect(await gc.runOnce()).toEqual({ committed: 0, deleted: 0, kept: 1 });
    expect(store.get(id)).toBeDefined();
  });

  it("at start, before registering: a committed shard missing from the catalog keeps them", async () => {
    const committed = { shardCount: 1, committedAt: 5 };
    const meta = { shardId: "old.0", dataset: "kept", version: 3, index: 0, uploadId: "old" };
    await store.put(meta, framesOf(ipcFrames(makeTable(50))), { committed });
    const id = await shardOfGoneUpload();
    local += GRACE + 1;
    const gc = collector(); // epoch undefined: not registered yet, as in the worker's first pass
    expect(await gc.runOnce()).toEqual({ committed: 0, deleted: 0, kept: 2 });
    expect(store.get(id)).toBeDefined();
    expect(store.get("old.0")?.committed).toBe(true);
  });

  it("marks a kept shard committed once a rebuilt catalog holds it", async () => {
    await register();
    const gc = collector();
    await gc.runOnce();
    const id = await shardOfGoneUpload("rebuilt");
    local += GRACE + 1;
    await registry.deregisterWorker("w-gc", epoch as number);
    expect((await gc.runOnce()).kept).toBe(1);
    // Another replica announced the committed version and the planner rebuilt the catalog.
    await register();
    const entry = store.get(id);
    if (entry === undefined) throw new Error("shard gone");
    await registry.announceShards("w-gc", epoch as number, [
      {
        dataset: "rebuilt",
        version: entry.version,
        shardId: id,
        index: 0,
        shardCount: 1,
        rows: entry.rows,
        bytes: entry.bytes,
        digest: entry.digest,
        schema: Buffer.from(entry.schema, "base64"),
      },
    ]);
    expect((await registry.rebuildFromAnnouncements(true)).restored).toEqual([
      { name: "rebuilt", version: entry.version },
    ]);
    expect(await gc.runOnce()).toEqual({ committed: 1, deleted: 0, kept: 0 });
    expect(store.get(id)).toMatchObject({ committed: true, shardCount: 1 });
  });
});
