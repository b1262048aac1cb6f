import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type FlightError, StatusCode } from "@flight-cluster/protocol";
import { createMemoryRegistry } from "@flight-cluster/registry";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ManifestEntry } from "./manifest.js";
import { makeTable } from "./shard-fixtures.test-kit.js";
import { commitUpload, createTestBed, putShard, type TestBed, type TestWorker } from "./worker.test-kit.js";

let bed: TestBed;
beforeEach(async () => {
  bed = await createTestBed();
});
afterEach(async () => {
  await bed.close();
});

const utf8 = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

async function commitNotice(w: TestWorker, body: unknown): Promise<Record<string, unknown>> {
  const results: Uint8Array[] = [];
  for await (const r of w.client.doAction({ type: "shard.commit", body: utf8(body) })) results.push(r.body);
  return JSON.parse(new TextDecoder().decode(results[0])) as Record<string, unknown>;
}

async function refusal(promise: Promise<unknown>): Promise<FlightError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as FlightError,
  );
  if (error === undefined) throw new Error("expected the call to fail");
  return error;
}

async function manifestOnDisk(w: TestWorker): Promise<ManifestEntry[]> {
  const text = await readFile(join(w.dataDir, "manifest.json"), "utf8");
  return (JSON.parse(text) as { shards: ManifestEntry[] }).shards;
}

/** Two shards of one upload stored on `w` (not yet committed anywhere). */
async function storedUpload(w: TestWorker, dataset = "sales") {
  const table = makeTable(1000, 500);
  const upload = await bed.registry.beginUpload(dataset, 60_000);
  const ids = [`${upload.id}.0`, `${upload.id}.1`];
  await putShard(w.client, upload, ids[0] as string, 0, table.slice(0, 500));
  await putShard(w.client, upload, ids[1] as string, 1, table.slice(500));
  return { table, upload, ids };
}

describe("shard.commit", () => {
  it("marks the shards committed durably before answering; the mark survives a restart on an emptied registry", async () => {
    const w = await bed.start("w1", { id: "keeper" });
    const { table, upload, ids } = await storedUpload(w);
    expect(w.worker.shards().every((s) => !s.committed)).toBe(true);
    const committed = await commitUpload(bed.registry, upload.id, table, ids);
    const notice = {
      uploadId: upload.id,
      dataset: "sales",
      version: upload.version,
      shardCount: 2,
      committedAt: committed.createdAt,
      shardIds: [...ids, "elsewhere.7"],
    };
    expect(await commitNotice(w, notice)).toEqual({
      uploadId: upload.id,
      marked: 2,
      already: 0,
      notHeld: ["elsewhere.7"],
    });
    // Durable when answered: the file on disk already says so.
    const onDisk = await manifestOnDisk(w);
    expect(onDisk.map((e) => [e.shardId, e.committed, e.shardCount, e.committedAt]).sort()).toEqual(
      ids.map((id) => [id, true, 2, committed.createdAt]),
    );
    expect(await commitNotice(w, notice)).toMatchObject({ marked: 0, already: 2 });

    // The registry loses everything; the worker restarts against it.
    await w.stop();
    const emptied = createMemoryRegistry();
    try {
      const again = await bed.start("w1", { registry: emptied });
      expect(
        again.worker
          .shards()
          .map((s) => [s.shardId, s.committed])
          .sort(),
      ).toEqual(ids.map((id) => [id, true]));
      const [announcement] = await emptied.listAnnouncements();
      expect(announcement?.workerId).toBe("keeper");
      expect(announcement?.shards.map((s) => s.shardId).sort()).toEqual(ids);
      const rebuilt = await emptied.rebuildFromAnnouncements(true);
      expect(rebuilt.restored).toEqual([{ name: "sales", version: upload.version }]);
      const restored = await emptied.getDataset("sales");
      expect(restored?.shards.map((s) => [s.id, s.rows, s.digest])).toEqual(
        committed.shards.map((s) => [s.id, s.rows, s.digest]),
      );
      await again.stop();
    } finally {
      await emptied.close();
    }
  });

  it("refuses a notice for an upload that is still pending, and marks nothing", async () => {
    const w = await bed.start("w1");
    const { upload, ids } = await storedUpload(w);
    const error = await refusal(
      commitNotice(w, {
        uploadId: upload.id,
        dataset: "sales",
        version: upload.version,
        shardCount: 2,
        committedAt: 1,
        shardIds: ids,
      }),
    );
    expect(error.code).toBe(StatusCode.FAILED_PRECONDITION);
    expect(error.rawMessage).toMatch(/still pending/);
    expect(w.worker.shards().some((s) => s.committed)).toBe(false);
    expect((await manifestOnDisk(w)).some((e) => e.committed)).toBe(false);
  });

  it("refuses notices that contradict the manifest (dataset, upload, index), and marks nothing", async () => {
    const w = await bed.start("w1");
    const { upload, ids } = await storedUpload(w);
    await bed.registry.abortUpload(upload.id);
    const base = {
      uploadId: upload.id,
      dataset: "sales",
      version: upload.version,
      shardCount: 2,
      committedAt: 1,
      shardIds: ids,
    };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...base, dataset: "other" }, /is held for sales/],
      [{ ...base, version: upload.version + 1 }, /is held for sales/],
      [{ ...base, uploadId: "someOtherUpload" }, /was stored by upload/],
      [{ ...base, shardCount: 1 }, /outside the version's 1 shards/],
    ];
    for (const [body, message] of cases) {
      const error = await refusal(commitNotice(w, body));
      expect(error.code).toBe(StatusCode.FAILED_PRECONDITION);
      expect(error.rawMessage).toMatch(message);
    }
    expect(w.worker.shards().some((s) => s.committed)).toBe(false);
  });

  it("rejects malformed bodies with INVALID_ARGUMENT naming the problem", async () => {
    const w = await bed.start("w1");
    const good = { uploadId: "u1", dataset: "d", version: 1, shardCount: 1, committedAt: 0, shardIds: ["u1.0"] };
    const cases: Array<[unknown, RegExp]> = [
      ["text", /JSON object/],
      [{ ...good, extra: 1 }, /unknown field "extra"/],
      [{ ...good, shardIds: [] }, /shardIds/],
      [{ ...good, shardIds: ["u1.0", "u1.0"] }, /repeats/],
      [{ ...good, shardIds: ["../x"] }, /invalid shard id/],
      [{ ...good, version: 0 }, /invalid version/],
      [{ ...good, shardCount: "2" }, /invalid shardCount/],
      [{ ...good, uploadId: "a/b" }, /invalid upload id/],
    ];
    for (const [body, message] of cases) {
      const error = await refusal(commitNotice(w, body));
      expect(error.code).toBe(StatusCode.INVALID_ARGUMENT);
      expect(error.rawMessage).toMatch(/^shard\.commit/);
      expect(error.rawMessage).toMatch(message);
    }
  });
});
