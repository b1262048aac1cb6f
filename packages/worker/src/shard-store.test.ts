import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sha256Bytes } from "./digest.js";
import { GRPC_MESSAGE_PREFIX_BYTES } from "./flight-data-layout.js";
import { silentWorkerLogger } from "./logger.js";
import {
  framesOf,
  ipcFrames,
  makeTable,
  otherSchemaFrames,
  parseFlightData,
  streamBytes,
  tempDir,
} from "./shard-fixtures.test-kit.js";
import { readShardFlightData } from "./shard-reader.js";
import { type ShardMeta, ShardStore, type ShardStoreOptions } from "./shard-store.js";
import type { IpcFrame } from "./shard-writer.js";
import {
  InvalidShardStreamError,
  ManifestCorruptError,
  ShardExistsError,
  ShardNotHeldError,
  ShardTooLargeError,
  WorkerInvalidArgumentError,
} from "./worker-errors.js";

const MiB = 1024 * 1024;
let dir: { path: string; remove: () => Promise<void> };

beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.remove();
});

function options(overrides: Partial<ShardStoreOptions> = {}): ShardStoreOptions {
  return {
    dataDir: dir.path,
    maxMessageBytes: 2 * MiB,
    maxShardBytes: 256 * MiB,
    hashInline: true,
    logger: silentWorkerLogger,
    ...overrides,
  };
}

const meta = (shardId: string, uploadId: string | null = "up1"): ShardMeta => ({
  shardId,
  dataset: "sales/2026",
  version: 1,
  index: 0,
  uploadId,
});

async function collect(store: ShardStore, shardId: string, skipBatches = 0): Promise<Buffer[]> {
  const open = await store.openShard(shardId);
  try {
    const out: Buffer[] = [];
    for await (const b of readShardFlightData(open.file, open.index, { readAhead: 3, skipBatches })) out.push(b);
    return out;
  } finally {
    await open.close();
  }
}

describe("ShardStore", () => {
  it("stores a shard and reads it back value for value, file and pre-encoded FlightData alike", async () => {
    const store = await ShardStore.open(options());
    const table = makeTable(5000, 1000);
    const entry = await store.put(meta("s-1"), framesOf(ipcFrames(table)));
    expect(entry.rows).toBe(5000);
    expect(entry.committed).toBe(false);

    const file = await readFile(join(dir.path, "shards", "s-1.arrows"));
    expect(entry.bytes).toBe(file.byteLength);
    expect(entry.digest).toBe(sha256Bytes(file));
    expect(
      tableFromIPC(file)
        .toArray()
        .map((r) => r.toJSON()),
    ).toEqual(table.toArray().map((r) => r.toJSON()));

    const messages = await collect(store, "s-1");
    const parsed = messages.map((m) => parseFlightData(m));
    for (const p of parsed) {
      if (p.body.byteLength > 0) expect((GRPC_MESSAGE_PREFIX_BYTES + p.bodyOffset) % 8).toBe(0);
    }
    const fromWire = tableFromIPC(streamBytes(parsed));
    expect(fromWire.numRows).toBe(5000);
    expect(fromWire.getChild("name")?.get(4321)).toBe("name-4321");
    expect(fromWire.getChild("tag")?.get(4)).toBe("green");
  });

  it("skips record batches on resume but still sends schema and dictionaries", async () => {
    const store = await ShardStore.open(options());
    await store.put(meta("s-2"), framesOf(ipcFrames(makeTable(5000, 1000))));
    const all = await collect(store, "s-2");
    const resumed = await collect(store, "s-2", 3);
    expect(resumed.length).toBe(all.length - 3);
    const table = tableFromIPC(streamBytes(resumed.map((m) => parseFlightData(m))));
    expect(table.numRows).toBe(2000);
    expect(table.getChild("id")?.get(0)).toBe(3000);
    expect(table.getChild("tag")?.get(0)).toBe("red");
  });

  it("leaves no file and no manifest entry when the sender fails halfway", async () => {
    const store = await ShardStore.open(options());
    const frames = ipcFrames(makeTable(5000, 1000));
    await expect(store.put(meta("s-3"), framesOf(frames, 4))).rejects.toThrow("sender went away");
    expect(await readdir(join(dir.path, "shards"))).toEqual([]);
    expect(store.get("s-3")).toBeUndefined();
    const reopened = await ShardStore.open(options());
    expect(reopened.list()).toEqual([]);
  });

  it("leaves nothing when the put is aborted through its signal", async () => {
    const store = await ShardStore.open(options());
    const controller = new AbortController();
    const frames = ipcFrames(makeTable(3000, 1000));
    async function* slow(): AsyncGenerator<IpcFrame> {
      for (const [i, f] of frames.entries()) {
        if (i === 2) controller.abort(new Error("client cancelled"));
        yield f;
      }
    }
    await expect(store.put(meta("s-4"), slow(), { signal: controller.signal })).rejects.toThrow("client cancelled");
    expect(await readdir(join(dir.path, "shards"))).toEqual([]);
  });

  it("rejects a schema change mid-stream and a body shorter than its header says", async () => {
    const store = await ShardStore.open(options());
    const frames = ipcFrames(makeTable(2000, 1000));
    const other = otherSchemaFrames();
    const changed = [...frames.slice(0, 3), ...other];
    await expect(store.put(meta("s-5"), framesOf(changed))).rejects.toBeInstanceOf(InvalidShardStreamError);
    const batchOfOther = other[other.length - 1] as IpcFrame;
    await expect(store.put(meta("s-5"), framesOf([...frames.slice(0, 2), batchOfOther]))).rejects.toThrow(
      /field nodes/,
    );
    const last = frames[frames.length - 1] as IpcFrame;
    const truncated = [...frames.slice(0, -1), { header: last.header, body: last.body.subarray(8) }];
    await expect(store.put(meta("s-5"), framesOf(truncated))).rejects.toThrow(/declares a \d+-byte body/);
    await expect(store.put(meta("s-5"), framesOf(frames.slice(1)))).rejects.toThrow(/start with a Schema/);
    expect(await readdir(join(dir.path, "shards"))).toEqual([]);
  });

  it("rejects bad identifiers, oversized shards and oversized batches without a re-chunker", async () => {
    const store = await ShardStore.open(options({ maxShardBytes: 64 * 1024, maxMessageBytes: 64 * 1024 }));
    const frames = ipcFrames(makeTable(20_000, 1000));
    await expect(store.put(meta("../etc"), framesOf(frames))).rejects.toBeInstanceOf(WorkerInvalidArgumentError);
    await expect(store.put({ ...meta("ok"), dataset: "a/../b" }, framesOf(frames))).rejects.toThrow(/dataset name/);
    await expect(store.put(meta("big"), framesOf(frames))).rejects.toBeInstanceOf(ShardTooLargeError);
    const one = ipcFrames(makeTable(20_000, 20_000));
    await expect(store.put(meta("fat"), framesOf(one))).rejects.toThrow(/exceeds the 65536-byte message limit/);
    expect(await readdir(join(dir.path, "shards"))).toEqual([]);
  });

  it("refuses a second shard with the same id unless it retries the same pending upload", async () => {
    const store = await ShardStore.open(options());
    const frames = ipcFrames(makeTable(1000));
    await store.put(meta("s-6", "upA"), framesOf(frames));
    await expect(store.put(meta("s-6", "upB"), framesOf(frames))).rejects.toBeInstanceOf(ShardExistsError);
    const again = await store.put(meta("s-6", "upA"), framesOf(frames));
    expect(again.rows).toBe(1000);
    await store.markCommitted("s-6", { shardCount: 1, committedAt: 1234 });
    await expect(store.put(meta("s-6", "upA"), framesOf(frames))).rejects.toBeInstanceOf(ShardExistsError);
  });

  it("reloads the manifest after a restart and keeps its worker id", async () => {
    const first = await ShardStore.open(options());
    await first.put(meta("s-7"), framesOf(ipcFrames(makeTable(1500))));
    await first.markCommitted("s-7", { shardCount: 3, committedAt: 42 });
    const second = await ShardStore.open(options());
    expect(second.workerId).toBe(first.workerId);
    const entry = second.get("s-7");
    expect(entry).toMatchObject({ rows: 1500, committed: true, shardCount: 3, committedAt: 42, dataset: "sales/2026" });
    expect(tableFromIPC(streamBytes((await collect(second, "s-7")).map((m) => parseFlightData(m)))).numRows).toBe(1500);
    const renamed = await ShardStore.open(options({ workerId: "worker-explicit" }));
    expect(renamed.workerId).toBe("worker-explicit");
    expect((await ShardStore.open(options())).workerId).toBe("worker-explicit");
  });

  it("recovers after a crash: removes temp and unlisted files, drops entries whose file is gone", async () => {
    const store = await ShardStore.open(options());
    const frames = ipcFrames(makeTable(1000));
    await store.put(meta("keep"), framesOf(frames));
    await store.put(meta("lost"), framesOf(frames));
    const shards = join(dir.path, "shards");
    await writeFile(join(shards, "half.arrows.tmp"), "partial");
    await writeFile(join(shards, "unlisted.arrows"), "renamed but never recorded");
    await (await import("node:fs/promises")).rm(join(shards, "lost.arrows"));
    const reopened = await ShardStore.open(options());
    expect(reopened.list().map((e) => e.shardId)).toEqual(["keep"]);
    expect((await readdir(shards)).sort()).toEqual(["keep.arrows"]);
  });

  it("refuses to start on a corrupt manifest instead of forgetting shards", async () => {
    await ShardStore.open(options());
    await writeFile(join(dir.path, "manifest.json"), "{ not json");
    await expect(ShardStore.open(options())).rejects.toBeInstanceOf(ManifestCorruptError);
    const entry = {
      shardId: "../../escape",
      dataset: "d",
      version: 1,
      index: 0,
      rows: 0,
      bytes: 0,
      digest: "sha256:00",
      schema: "",
      uploadId: null,
      committed: true,
      committedAt: null,
      shardCount: 1,
      storedAt: 0,
    };
    await writeFile(join(dir.path, "manifest.json"), JSON.stringify({ format: 1, workerId: "w", shards: [entry] }));
    await expect(ShardStore.open(options())).rejects.toThrow(/malformed shard entry/);
  });

  it("deletes shards, and a delete during a write makes that write fail", async () => {
    const store = await ShardStore.open(options());
    const frames = ipcFrames(makeTable(3000, 1000));
    await store.put(meta("s-8"), framesOf(frames));
    expect(await store.delete("s-8")).toBe(true);
    expect(await store.delete("s-8")).toBe(false);
    await expect(store.openShard("s-8")).rejects.toBeInstanceOf(ShardNotHeldError);

    let deleted: Promise<boolean> | undefined;
    async function* deletingMidway(): AsyncGenerator<IpcFrame> {
      for (const [i, f] of frames.entries()) {
        if (i === 2) deleted = store.delete("s-9");
        yield f;
      }
    }
    await expect(store.put(meta("s-9"), deletingMidway())).rejects.toThrow(/deleted while it was being written/);
    expect(await deleted).toBe(true);
    expect(await readdir(join(dir.path, "shards"))).toEqual([]);
  });

  it("makes a byte-identical copy from another store's pre-encoded stream", async () => {
    const source = await ShardStore.open(options());
    const original = await source.put(meta("s-10"), framesOf(ipcFrames(makeTable(4000, 1000))));
    const messages = (await collect(source, "s-10")).map((m) => parseFlightData(m));
    const target = await ShardStore.open(options({ dataDir: join(dir.path, "other") }));
    const copy = await target.put(meta("s-10", null), framesOf(messages), {
      fromWorker: true,
      expectedDigest: original.digest,
      committed: { shardCount: 1, committedAt: 7 },
    });
    expect(copy.digest).toBe(original.digest);
    expect(copy.committed).toBe(true);
    await expect(
      target.put(meta("s-11", null), framesOf(messages), { fromWorker: true, expectedDigest: "sha256:00" }),
    ).rejects.toThrow(/digest/);
    expect(target.get("s-11")).toBeUndefined();
  });

  it("hashes with a file digester when not hashing inline", async () => {
    const store = await ShardStore.open(options({ hashInline: false }));
    const entry = await store.put(meta("s-12"), framesOf(ipcFrames(makeTable(1000))));
    expect(entry.digest).toBe(sha256Bytes(await readFile(join(dir.path, "shards", "s-12.arrows"))));
  });
});
