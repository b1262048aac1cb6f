import {
  FlightDataEncoder,
  type FlightDataFrame,
  FlightError,
  FlightInvalidArgumentError,
  StatusCode,
} from "@flight-cluster/protocol";
import type { Registry } from "@flight-cluster/registry";
import { createMemoryRegistry } from "@flight-cluster/registry";
import {
  Dictionary,
  Field,
  Int32,
  makeVector,
  type RecordBatch,
  Schema,
  Table,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { describe, expect, it } from "vitest";
import { type CommitNoticeBody, createCommitNotifier } from "./commit-notifier.js";
import { FakeTransport, populatedRegistry, registerWorkers } from "./planner.test-kit.js";
import { createRepairLoop } from "./repair-loop.js";
import { createUploadCoordinator, type FrameSource, type UploadCoordinatorOptions } from "./upload-coordinator.js";

/** A sales table (plain Utf8 names: no dictionaries, so batches are forwarded as received). */
function sales(rows: number, offset = 0): Table {
  return new Table({
    id: vectorFromArray(Int32Array.from({ length: rows }, (_, i) => offset + i)),
    name: vectorFromArray(
      Array.from({ length: rows }, (_, i) => `customer-${offset + i}`),
      new Utf8(),
    ),
    amount: vectorFromArray(Float64Array.from({ length: rows }, (_, i) => (offset + i) * 1.5)),
  });
}

/** Frames of a table sent in batches of `batchRows`, schema first. */
function framesOf(table: Table, batchRows: number, maxMessageBytes = 64 << 20): FlightDataFrame[] {
  const encoder = new FlightDataEncoder(table.schema, { maxMessageBytes });
  const frames: FlightDataFrame[] = [encoder.encodeSchema()];
  for (let start = 0; start < table.numRows; start += batchRows) {
    const slice = table.slice(start, start + batchRows);
    for (const batch of slice.batches) frames.push(...encoder.encodeBatch(batch));
  }
  return frames;
}

/** A FrameSource over frames, logging reads into `log` when given. */
function sourceOf(frames: readonly FlightDataFrame[], log?: string[]): FrameSource {
  let next = 0;
  return {
    async readFrame() {
      log?.push("read");
      return frames[next++];
    },
  };
}

async function setup(overrides: Partial<UploadCoordinatorOptions> = {}, registry?: Registry) {
  const reg = registry ?? (await populatedRegistry()).registry;
  const transport = new FakeTransport();
  const coordinator = createUploadCoordinator({
    registry: reg,
    transport,
    replicas: 2,
    shardTargetBytes: 40_000,
    maxMessageBytes: 64 * 1024,
    uploadTtlMs: 60_000,
    ...overrides,
  });
  return { registry: reg, transport, coordinator };
}

function rowsOfShard(transport: FakeTransport, shardId: string): Table {
  const [first] = transport.stored(shardId);
  return new Table(first!.batches as RecordBatch[]);
}

async function rejection(promise: Promise<unknown>): Promise<FlightError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FlightError) return error;
    throw error;
  }
  throw new Error("expected a FlightError");
}

/** Nothing visible, nothing pending, every stored replica deleted. */
async function expectNothingLeft(registry: Registry, transport: FakeTransport, dataset: string) {
  expect(await registry.getDataset(dataset)).toBeNull();
  const uploadIds = new Set(transport.replicas.map((r) => r.command.uploadId));
  for (const id of uploadIds) expect(await registry.getUpload(id)).toBeNull();
  expect(transport.live()).toEqual([]);
  expect(transport.replicas.every((r) => r.cancelled || r.done)).toBe(true);
}

describe("UploadCoordinator.ingest", () => {
  it("cuts the stream into shards, stores each on 2 workers in distinct zones, commits atomically", async () => {
    const { registry, transport, coordinator } = await setup();
    const input = sales(20_000);
    const summary = await coordinator.ingest("sales", sourceOf(framesOf(input, 1000)), new AbortController().signal);
    const dataset = await registry.getDataset("sales");
    expect(dataset).not.toBeNull();
    expect(summary).toMatchObject({ dataset: "sales", version: 1, rows: 20_000, replicas: 2 });
    expect(summary.shards).toBe(dataset!.shards.length);
    expect(dataset!.shards.length).toBeGreaterThan(3);
    expect(dataset!.totalRows).toBe(20_000);
    const zones = new Map((await registry.listWorkers()).map((w) => [w.id, w.zone]));
    const ids: number[] = [];
    for (const shard of dataset!.shards) {
      expect(shard.replicas).toHaveLength(2);
      expect(new Set(shard.replicas.map((id) => zones.get(id))).size).toBe(2);
      const copies = transport.stored(shard.id);
      expect(copies.map((c) => c.workerId).sort()).toEqual([...shard.replicas].sort());
      expect(Buffer.concat(copies[0]!.messages).equals(Buffer.concat(copies[1]!.messages))).toBe(true);
      expect(copies[0]!.rows).toBe(shard.rows);
      // Each shard holds whole batches up to the target (1000 rows ~ 21 KB of body: one per shard here... or two).
      const table = rowsOfShard(transport, shard.id);
      ids.push(...(table.getChild("id")!.toArray() as Int32Array));
      expect(table.getChild("name")!.get(0)).toBe(`customer-${table.getChild("id")!.get(0)}`);
    }
    expect(ids).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    expect(transport.replicas.every((r) => r.done && !r.cancelled)).toBe(true);
    expect(await registry.getUpload(summary.uploadId)).toBeNull();
  });

  it("slices a batch larger than a shard and keeps messages under the limit", async () => {
    const { registry, transport, coordinator } = await setup({ shardTargetBytes: 100_000, maxMessageBytes: 64 * 1024 });
    const input = sales(30_000);
    await coordinator.ingest("big", sourceOf(framesOf(input, 30_000)), new AbortController().signal);
    const dataset = await registry.getDataset("big");
    expect(dataset!.shards.length).toBeGreaterThanOrEqual(5);
    for (const replica of transport.replicas) {
      for (const message of replica.messages) expect(message.byteLength).toBeLessThanOrEqual(64 * 1024);
    }
    const ids = dataset!.shards.flatMap((shard) => [
      ...(rowsOfShard(transport, shard.id).getChild("id")!.toArray() as Int32Array),
    ]);
    expect(ids).toEqual(Array.from({ length: 30_000 }, (_, i) => i));
  });

  it("re-encodes dictionary columns so every shard carries its dictionary", async () => {
    const { registry, transport, coordinator } = await setup({ shardTargetBytes: 2000 });
    const colors = ["red", "green", "blue"];
    const dictionary = vectorFromArray(colors, new Utf8());
    const type = new Dictionary(new Utf8(), new Int32());
    const indices = Int32Array.from({ length: 3000 }, (_, i) => i % 3);
    const color = makeVector({ type, data: indices, dictionary, length: 3000 } as never);
    const table = new Table({ color });
    await coordinator.ingest("colors", sourceOf(framesOf(table, 500)), new AbortController().signal);
    const dataset = await registry.getDataset("colors");
    expect(dataset!.shards.length).toBeGreaterThan(1);
    const values = dataset!.shards.flatMap((shard) => [...rowsOfShard(transport, shard.id).getChild("color")!]);
    expect(values).toEqual(Array.from({ length: 3000 }, (_, i) => colors[i % 3]));
  });

  it("stores an upload without rows as one empty shard", async () => {
    const { registry, coordinator } = await setup();
    const summary = await coordinator.ingest("empty", sourceOf(framesOf(sales(0), 10)), new AbortController().signal);
    expect(summary).toMatchObject({ shards: 1, rows: 0 });
    expect((await registry.getDataset("empty"))?.shards[0]?.rows).toBe(0);
  });

  it("waits for every replica to accept a message before reading the next one (backpressure)", async () => {
    const { transport, coordinator } = await setup();
    const log: string[] = [];
    let pending = 0;
    transport.onWrite = async () => {
      pending++;
      log.push(`write-start:${pending}`);
      await new Promise((resolve) => setImmediate(resolve));
      pending--;
      log.push("write-end");
    };
    const reads: number[] = [];
    const source = sourceOf(framesOf(sales(5000), 500), log);
    const counting: FrameSource = {
      readFrame: () => {
        reads.push(pending);
        return source.readFrame();
      },
    };
    await coordinator.ingest("paced", counting, new AbortController().signal);
    expect(log.filter((entry) => entry.startsWith("write-start"))).not.toHaveLength(0);
    expect(reads.every((inFlight) => inFlight === 0)).toBe(true);
    // Both replicas' writes of one message are in flight together.
    expect(log).toContain("write-start:2");
  });

  it("rejects a schema change mid-stream with INVALID_ARGUMENT and leaves nothing", async () => {
    const { registry, transport, coordinator } = await setup();
    const first = framesOf(sales(3000), 1000);
    const other = new FlightDataEncoder(new Schema([new Field("x", new Utf8())])).encodeSchema();
    const error = await rejection(
      coordinator.ingest("changing", sourceOf([...first, other, ...first.slice(1)]), new AbortController().signal),
    );
    expect(error.code).toBe(StatusCode.INVALID_ARGUMENT);
    expect(error.rawMessage).toMatch(/schema changed mid-stream/);
    expect(transport.replicas.length).toBeGreaterThan(0);
    await expectNothingLeft(registry, transport, "changing");
  });

  it("fails with a clear error and cleans up when a replica fails mid-stream", async () => {
    const { registry, transport, coordinator } = await setup();
    transport.failures.writeFailsAt = {
      workerId: "w-b1",
      write: 3,
      error: new FlightError(StatusCode.UNAVAILABLE, "disk on fire"),
    };
    const error = await rejection(
      coordinator.ingest("broken", sourceOf(framesOf(sales(20_000), 1000)), new AbortController().signal),
    );
    expect(error.code).toBe(StatusCode.UNAVAILABLE);
    expect(error.rawMessage).toMatch(/^worker w-b1 \(zone b\) failed while storing shard .+: disk on fire$/);
    await expectNothingLeft(registry, transport, "broken");
    expect(transport.deleted.length).toBeGreaterThan(0);
  });

  it("passes a worker's INVALID_ARGUMENT on as such", async () => {
    const { registry, transport, coordinator } = await setup();
    transport.failures.writeFailsAt = {
      workerId: "w-c1",
      write: 0,
      error: new FlightInvalidArgumentError("bad batch"),
    };
    const error = await rejection(
      coordinator.ingest("rejected", sourceOf(framesOf(sales(20_000), 1000)), new AbortController().signal),
    );
    expect(error.code).toBe(StatusCode.INVALID_ARGUMENT);
    expect(error.rawMessage).toMatch(/^worker w-c1 rejected shard .+: bad batch$/);
    await expectNothingLeft(registry, transport, "rejected");
  });

  it("refuses to commit when replicas disagree (DATA_LOSS) and cleans up", async () => {
    const { registry, transport, coordinator } = await setup();
    transport.failures.wrongDigestFrom = "w-a2";
    const error = await rejection(
      coordinator.ingest("mismatch", sourceOf(framesOf(sales(20_000), 1000)), new AbortController().signal),
    );
    expect(error.code).toBe(StatusCode.DATA_LOSS);
    expect(error.rawMessage).toMatch(/^replicas of shard .+ differ/);
    await expectNothingLeft(registry, transport, "mismatch");
  });

  it("aborts and cleans up when the client cancels", async () => {
    const { registry, transport, coordinator } = await setup();
    const controller = new AbortController();
    let writes = 0;
    transport.onWrite = async () => {
      if (++writes === 25) controller.abort(new FlightError(StatusCode.CANCELLED, "the client cancelled the call"));
    };
    const error = await rejection(
      coordinator.ingest("cancelled", sourceOf(framesOf(sales(20_000), 500)), controller.signal),
    );
    expect(error.code).toBe(StatusCode.CANCELLED);
    await expectNothingLeft(registry, transport, "cancelled");
  });

  it("fails before reading when too few workers are live, and on streams without a schema", async () => {
    const registry = createMemoryRegistry();
    await registerWorkers(registry, [{ id: "only", zone: "a" }]);
    const { coordinator } = await setup({}, registry);
    const few = await rejection(
      coordinator.ingest("x", sourceOf(framesOf(sales(10), 5)), new AbortController().signal),
    );
    expect(few.code).toBe(StatusCode.UNAVAILABLE);
    expect(few.rawMessage).toMatch(/needs 2 live workers for 2 replicas; 1 are live/);
    expect(await registry.listExpiredUploads()).toEqual([]);

    const other = await setup();
    const none = await rejection(other.coordinator.ingest("y", sourceOf([]), new AbortController().signal));
    expect(none.code).toBe(StatusCode.INVALID_ARGUMENT);
    expect(none.rawMessage).toMatch(/ended without a schema/);
    const bad = await rejection(other.coordinator.ingest("../y", sourceOf([]), new AbortController().signal));
    expect(bad.code).toBe(StatusCode.INVALID_ARGUMENT);
  });

  it("tells every replica its shards are committed before answering; a missed notice neither fails nor undoes the upload", async () => {
    const { registry } = await populatedRegistry();
    const transport = new FakeTransport();
    const notices: Array<{ workerId: string; body: CommitNoticeBody }> = [];
    let down = true;
    transport.actionHandler = async (worker, type, body) => {
      if (type !== "shard.commit") throw new FlightError(StatusCode.UNIMPLEMENTED, type);
      // Zones b and c are unreachable: with replicas in distinct zones of a, b, c every shard has one there.
      if (down && worker.zone !== "a") throw new FlightError(StatusCode.UNAVAILABLE, "connection refused");
      notices.push({ workerId: worker.id, body: body as CommitNoticeBody });
      return { marked: (body as CommitNoticeBody).shardIds.length, already: 0, notHeld: [] };
    };
    const notifier = createCommitNotifier({ registry, transport });
    const coordinator = createUploadCoordinator({
      registry,
      transport,
      notifier,
      replicas: 2,
      shardTargetBytes: 40_000,
      maxMessageBytes: 64 * 1024,
      uploadTtlMs: 60_000,
    });
    const summary = await coordinator.ingest(
      "noticed",
      sourceOf(framesOf(sales(10_000), 1000)),
      new AbortController().signal,
    );
    const dataset = (await registry.getDataset("noticed"))!;
    expect(summary).toMatchObject({ dataset: "noticed", rows: 10_000, shards: dataset.shards.length });
    expect(transport.deleted).toEqual([]);
    const expected = (zone: (id: string) => boolean) =>
      dataset.shards.flatMap((shard) => shard.replicas.filter(zone).map((id) => `${id} ${shard.id}`)).sort();
    const told = () => notices.flatMap((n) => n.body.shardIds.map((id) => `${n.workerId} ${id}`)).sort();
    // Answered after the reachable replicas (zone a) acknowledged, with the version's facts.
    expect(told()).toEqual(expected((id) => id.startsWith("w-a")));
    expect(
      notices.every((n) => n.body.shardCount === dataset.shards.length && n.body.version === dataset.version),
    ).toBe(true);
    expect(notifier.queued).toBeGreaterThan(0);

    down = false;
    const repair = createRepairLoop({
      registry,
      transport,
      replicas: 2,
      intervalMs: 1000,
      ticketTtlMs: 60_000,
      notifier,
    });
    const queued = notifier.queued;
    expect((await repair.runOnce()).noticesResent).toBe(queued);
    expect(notifier.queued).toBe(0);
    expect(told()).toEqual(expected(() => true));
  });
});
