import { readdir } from "node:fs/promises";
import { join } from "node:path";
import {
  connect,
  FlightDescriptor,
  type FlightError,
  FlightFailedPreconditionError,
  FlightInvalidArgumentError,
  FlightNotFoundError,
  SendBufferPool,
  StatusCode,
} from "@flight-cluster/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SKIP_BATCHES_HEADER } from "./shard-doget.js";
import { makeTable, otherSchemaFrames } from "./shard-fixtures.test-kit.js";
import {
  commitUpload,
  createTestBed,
  putShard,
  putShardDescriptor,
  readTicket,
  type TestBed,
} from "./worker.test-kit.js";

let bed: TestBed;
beforeEach(async () => {
  bed = await createTestBed();
});
afterEach(async () => {
  await bed.close();
});

const rowsOf = (t: { toArray(): Array<{ toJSON(): unknown }> }) => t.toArray().map((r) => r.toJSON());

describe("worker DoPut + DoGet over real sockets", () => {
  it("stores a shard and serves it value for value, with projection and resume", async () => {
    const w = await bed.start("w1");
    const table = makeTable(6000, 1000);
    const upload = await bed.registry.beginUpload("sales", 60_000);
    const answer = await putShard(w.client, upload, "s-0", 0, table);
    expect(answer).toMatchObject({ shardId: "s-0", rows: 6000 });
    expect(answer.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const recorded = (await bed.registry.getUpload(upload.id))?.shards;
    expect(recorded).toEqual([expect.objectContaining({ id: "s-0", rows: 6000, replicas: [w.worker.id] })]);
    await commitUpload(bed.registry, upload.id, table, ["s-0"]);

    const whole = await bed.registry.createTicket(
      { dataset: "sales", version: upload.version, shardId: "s-0" },
      60_000,
    );
    expect(rowsOf(await readTicket(w.client, whole.id))).toEqual(rowsOf(table));

    const projected = await bed.registry.createTicket(
      { dataset: "sales", version: upload.version, shardId: "s-0", columns: ["tag", "id"] },
      60_000,
    );
    const p = await readTicket(w.client, projected.id);
    expect(p.schema.fields.map((f) => f.name)).toEqual(["id", "tag"]); // schema order, as the planner documents
    expect(rowsOf(p)).toEqual(rowsOf(table.select(["id", "tag"])));

    const resumed = await readTicket(w.client, whole.id, { [SKIP_BATCHES_HEADER]: "4" });
    expect(resumed.numRows).toBe(2000);
    expect(rowsOf(resumed)).toEqual(rowsOf(table.slice(4000)));
    const resumedProjection = await readTicket(w.client, projected.id, { [SKIP_BATCHES_HEADER]: "5" });
    expect(rowsOf(resumedProjection)).toEqual(rowsOf(table.select(["id", "tag"]).slice(5000)));
  });

  it("serves pooled messages intact to three concurrent slow readers behind small windows", async () => {
    const w = await bed.start("w1");
    const table = makeTable(400_000, 20_000); // 20 messages of about 0.6 MB: each one from the DoGet pool
    const upload = await bed.registry.beginUpload("pooled", 60_000);
    await putShard(w.client, upload, "s-0", 0, table);
    await commitUpload(bed.registry, upload.id, table, ["s-0"]);
    const ticket = await bed.registry.createTicket(
      { dataset: "pooled", version: upload.version, shardId: "s-0" },
      60_000,
    );
    let allocated = 0;
    let reused = 0;
    const seen = new WeakSet<ArrayBufferLike>();
    const allocate = SendBufferPool.prototype.allocate;
    const spy = vi.spyOn(SendBufferPool.prototype, "allocate").mockImplementation(function (
      this: SendBufferPool,
      n,
      at,
    ) {
      const message = allocate.call(this, n, at);
      allocated += 1;
      if (seen.has(message.buffer)) reused += 1;
      seen.add(message.buffer);
      return message;
    });
    try {
      const read = async () => {
        const client = connect(w.worker.uri, { flowControlWindowBytes: 256 * 1024 });
        try {
          const ids: number[] = [];
          for await (const batch of client.doGet(ticket.id)) {
            ids.push(...(batch.getChild("id")!.toArray() as Int32Array));
            for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
          }
          return ids;
        } finally {
          client.close();
        }
      };
      const expected = Array.from(table.getChild("id")!.toArray() as Int32Array);
      for (const ids of await Promise.all([read(), read(), read()])) expect(ids).toEqual(expected);
    } finally {
      spy.mockRestore();
    }
    expect(allocated).toBeGreaterThanOrEqual(80);
    expect(reused).toBeGreaterThan(0);
  });

  it("records both replicas when two workers store the same shard at once", async () => {
    const [a, b] = await Promise.all([bed.start("wa"), bed.start("wb", { zone: "b" })]);
    const table = makeTable(3000, 500);
    const upload = await bed.registry.beginUpload("events/2026", 60_000);
    const answers = await Promise.all([a, b].map((w) => putShard(w.client, upload, "s-x", 0, table)));
    expect(answers[0]?.digest).toBe(answers[1]?.digest);
    const shard = (await bed.registry.getUpload(upload.id))?.shards[0];
    expect([...(shard?.replicas ?? [])].sort()).toEqual([a.worker.id, b.worker.id].sort());
  });

  it("refuses tickets that are unknown, malformed, expired, cancelled or for shards held elsewhere", async () => {
    const [a, b] = await Promise.all([bed.start("wa", { ticketCacheMs: 0 }), bed.start("wb", { ticketCacheMs: 0 })]);
    const table = makeTable(1000);
    const upload = await bed.registry.beginUpload("d", 60_000);
    await putShard(a.client, upload, "only-on-a", 0, table);
    await commitUpload(bed.registry, upload.id, table, ["only-on-a"]);
    const payload = { dataset: "d", version: upload.version, shardId: "only-on-a" };

    await expect(readTicket(a.client, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).rejects.toThrow(
      /ticket is unknown, expired or cancelled/,
    );
    await expect(readTicket(a.client, "not a ticket!")).rejects.toBeInstanceOf(FlightInvalidArgumentError);

    const foreign = await bed.registry.createTicket(payload, 60_000);
    const refused = await readTicket(b.client, foreign.id).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FlightFailedPreconditionError);
    expect((refused as FlightError).message).toContain(`shard only-on-a`);
    expect((refused as FlightError).message).toContain(b.worker.id);

    const cancelled = await bed.registry.createTicket(payload, 60_000);
    expect((await readTicket(a.client, cancelled.id)).numRows).toBe(1000);
    await bed.registry.cancelTicket(cancelled.id);
    await expect(readTicket(a.client, cancelled.id)).rejects.toBeInstanceOf(FlightNotFoundError);

    const expiring = await bed.registry.createTicket(payload, 1_000);
    expect((await readTicket(a.client, expiring.id)).numRows).toBe(1000);
    bed.advance(1_001);
    await expect(readTicket(a.client, expiring.id)).rejects.toBeInstanceOf(FlightNotFoundError);

    await expect(readTicket(a.client, foreign.id, { [SKIP_BATCHES_HEADER]: "-1" })).rejects.toThrow(
      /non-negative integer/,
    );
  });

  it("rejects bad put-shard commands and uploads that are not pending, storing nothing", async () => {
    const w = await bed.start("w1");
    const table = makeTable(500);
    const upload = await bed.registry.beginUpload("d", 60_000);
    const put = async (descriptor: FlightDescriptor) => {
      const { writer } = w.client.doPut(descriptor, table.schema);
      await writer.writeTable(table).catch(() => undefined);
      return writer.close();
    };
    const base = { uploadId: upload.id, shardId: "s", index: 0, dataset: "d", version: upload.version };
    await expect(put(FlightDescriptor.forCommand("{not json"))).rejects.toThrow(/not JSON/);
    await expect(put(FlightDescriptor.forPath("d"))).rejects.toThrow(/through the planner/);
    await expect(put(putShardDescriptor({ ...base, shardId: "../../etc/passwd" }))).rejects.toThrow(/invalid shard id/);
    await expect(put(putShardDescriptor({ ...base, dataset: "a/../b" }))).rejects.toThrow(/dataset name/);
    await expect(put(putShardDescriptor({ ...base, index: -1 }))).rejects.toThrow(/shard index/);
    await expect(put(putShardDescriptor({ ...base, extra: 1 }))).rejects.toThrow(/unknown put-shard fields/);
    await expect(put(FlightDescriptor.forCommand(JSON.stringify({ ...base, op: "drop" })))).rejects.toThrow(
      /unknown DoPut op/,
    );
    const unknownUpload = `${upload.id.slice(0, -1)}${upload.id.endsWith("A") ? "B" : "A"}`;
    await expect(put(putShardDescriptor({ ...base, uploadId: unknownUpload }))).rejects.toBeInstanceOf(
      FlightNotFoundError,
    );
    await expect(put(putShardDescriptor({ ...base, version: upload.version + 1 }))).rejects.toThrow(/upload/);
    bed.advance(60_001);
    const expired = await put(putShardDescriptor(base)).catch((e: unknown) => e);
    expect((expired as FlightError).code).toBe(StatusCode.FAILED_PRECONDITION);
    expect(w.worker.shards()).toEqual([]);
    expect(await readdir(join(w.dataDir, "shards"))).toEqual([]);
  });

  it("rejects a schema change mid-stream and leaves nothing behind", async () => {
    const w = await bed.start("w1");
    const table = makeTable(2000, 1000);
    const upload = await bed.registry.beginUpload("d", 60_000);
    const descriptor = putShardDescriptor({
      uploadId: upload.id,
      shardId: "s",
      index: 0,
      dataset: "d",
      version: upload.version,
    });
    const { writer } = w.client.doPut(descriptor, table.schema);
    await writer.write(table.batches[0]!);
    const [otherSchema] = otherSchemaFrames();
    await writer.writeFrame({ header: otherSchema!.header, body: otherSchema!.body, appMetadata: new Uint8Array(0) });
    const error = await writer.close().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlightInvalidArgumentError);
    expect((error as Error).message).toMatch(/schema changed mid-stream/);
    expect(w.worker.shards()).toEqual([]);
    expect(await readdir(join(w.dataDir, "shards"))).toEqual([]);
    expect((await bed.registry.getUpload(upload.id))?.shards).toEqual([]);
  });

  it("leaves no file and no manifest entry when the client goes away halfway", async () => {
    const w = await bed.start("w1");
    const table = makeTable(20_000, 1000);
    const upload = await bed.registry.beginUpload("d", 60_000);
    const descriptor = putShardDescriptor({
      uploadId: upload.id,
      shardId: "s",
      index: 0,
      dataset: "d",
      version: upload.version,
    });
    const controller = new AbortController();
    const { writer } = w.client.doPut(descriptor, table.schema, { signal: controller.signal });
    for (const batch of table.batches.slice(0, 10)) await writer.write(batch);
    // The first batches reached the worker: its temporary file exists.
    await expect.poll(async () => readdir(join(w.dataDir, "shards"))).toEqual(["s.arrows.tmp"]);
    controller.abort();
    await writer.close().catch(() => undefined);
    await expect.poll(async () => readdir(join(w.dataDir, "shards"))).toEqual([]);
    expect(w.worker.shards()).toEqual([]);
    expect((await bed.registry.getUpload(upload.id))?.shards).toEqual([]);
  });
});
