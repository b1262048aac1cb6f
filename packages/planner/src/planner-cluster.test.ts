/**
 * The planner with real workers (in process, real sockets, memory registry): uploads
 * through the planner and through write plans, reads at every replica, projection, bad
 * uploads that must leave nothing behind, and repair with real `shard.copy_from`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  connect,
  encodeFlightData,
  type FlightClient,
  FlightDataEncoder,
  FlightDescriptor,
  FlightError,
  type FlightInfo,
  StatusCode,
} from "@flight-cluster/protocol";
import { createMemoryRegistry, type Registry } from "@flight-cluster/registry";
import { type RunningWorker, silentWorkerLogger, startWorker } from "@flight-cluster/worker";
import { Field, Int32, type RecordBatch, Schema, Table, Utf8, vectorFromArray } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningPlanner, startPlanner } from "./planner.js";
import { silentPlannerLogger } from "./planner-logger.js";

const text = new TextDecoder();
const utf8 = new TextEncoder();

let root: string;
let registry: Registry;
let planner: RunningPlanner;
let workers: RunningWorker[] = [];
let client: FlightClient;

function sales(rows: number, offset = 0): Table {
  return new Table({
    id: vectorFromArray(Int32Array.from({ length: rows }, (_, i) => offset + i)),
    name: vectorFromArray(
      Array.from({ length: rows }, (_, i) => `customer-${offset + i}`),
      new Utf8(),
    ),
    amount: vectorFromArray(Float64Array.from({ length: rows }, (_, i) => (offset + i) / 4)),
  });
}

async function startWorkerIn(zone: string, name: string): Promise<RunningWorker> {
  return startWorker({
    registry,
    dataDir: join(root, name),
    zone,
    id: name,
    port: 0,
    host: "127.0.0.1",
    cpuThreads: 0,
    logger: silentWorkerLogger,
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "planner-cluster-"));
  registry = createMemoryRegistry();
  workers = await Promise.all([startWorkerIn("a", "wa"), startWorkerIn("b", "wb"), startWorkerIn("c", "wc")]);
  planner = await startPlanner({
    registry,
    port: 0,
    host: "127.0.0.1",
    repair: false,
    shardTargetBytes: 256 * 1024,
    logger: silentPlannerLogger,
  });
  client = connect(planner.uri);
});

afterAll(async () => {
  client?.close();
  await planner?.close();
  await Promise.all(workers.map((w) => w.close()));
  await registry?.close();
  await rm(root, { recursive: true, force: true });
});

async function put(name: string, table: Table, batchRows: number) {
  const { writer, results } = client.doPut(FlightDescriptor.forPath(name), table.schema);
  const acks: unknown[] = [];
  const reading = (async () => {
    for await (const result of results) acks.push(JSON.parse(text.decode(result.appMetadata)));
  })();
  for (let start = 0; start < table.numRows; start += batchRows) {
    for (const batch of table.slice(start, start + batchRows).batches) await writer.write(batch);
  }
  await writer.done();
  await reading;
  await writer.close();
  return acks;
}

async function readAt(uri: string, ticket: Uint8Array): Promise<Table> {
  const c = connect(uri);
  try {
    return await c.doGet(ticket).readAll();
  } finally {
    c.close();
  }
}

function column(table: Table, name: string): unknown[] {
  return [...(table.getChild(name) ?? [])];
}

async function action(type: string, body: unknown): Promise<unknown> {
  const results: unknown[] = [];
  for await (const r of client.doAction({ type, body: utf8.encode(JSON.stringify(body)) })) {
    results.push(JSON.parse(text.decode(r.body)));
  }
  return results[0];
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

async function eventually(probe: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("planner with real workers", () => {
  let info: FlightInfo;
  const input = sales(60_000);

  it("takes a DoPut through the planner: several shards, 2 replicas each in distinct zones", async () => {
    const acks = await put("sales", input, 5000);
    expect(acks).toEqual([expect.objectContaining({ dataset: "sales", version: 1, rows: 60_000, replicas: 2 })]);
    info = await client.getFlightInfo(FlightDescriptor.forPath("sales"));
    expect(info.endpoints.length).toBeGreaterThan(2);
    expect(info.totalRecords).toBe(60_000);
    const zoneOf = new Map(workers.map((w) => [w.uri, w.zone]));
    for (const endpoint of info.endpoints) {
      expect(endpoint.locations).toHaveLength(2);
      expect(new Set(endpoint.locations.map((l) => zoneOf.get(l.uri))).size).toBe(2);
    }
  });

  it("serves identical data at every location of every endpoint; the concatenation is the input", async () => {
    const parts: Table[] = [];
    for (const endpoint of info.endpoints) {
      const copies = await Promise.all(endpoint.locations.map((l) => readAt(l.uri, endpoint.ticket.ticket)));
      const [first, second] = copies;
      expect(column(second!, "id")).toEqual(column(first!, "id"));
      expect(column(second!, "name")).toEqual(column(first!, "name"));
      const meta = JSON.parse(text.decode(endpoint.appMetadata)) as { rows: number };
      expect(first!.numRows).toBe(meta.rows);
      parts.push(first!);
    }
    const all = new Table(parts.flatMap((t) => t.batches as RecordBatch[]));
    expect(all.numRows).toBe(60_000);
    expect(column(all, "id")).toEqual(column(input, "id"));
    expect(column(all, "name")).toEqual(column(input, "name"));
    expect(column(all, "amount")).toEqual(column(input, "amount"));
  });

  it("serves projections in the announced schema", async () => {
    const projected = await client.getFlightInfo(
      FlightDescriptor.forCommand(JSON.stringify({ dataset: "sales", columns: ["amount", "id"] })),
    );
    expect(projected.schema.fields.map((f) => f.name)).toEqual(["id", "amount"]);
    const endpoint = projected.endpoints[1]!;
    const table = await readAt(endpoint.locations[0]!.uri, endpoint.ticket.ticket);
    expect(table.schema.fields.map((f) => f.name)).toEqual(["id", "amount"]);
  });

  it("rejects a schema change mid-stream and leaves nothing behind", async () => {
    const before = workers.map((w) => w.shards().length);
    const table = sales(20_000);
    const { writer } = client.doPut(FlightDescriptor.forPath("changing"), table.schema);
    for (const batch of table.batches) await writer.write(batch);
    const total = () => workers.reduce((sum, w) => sum + w.shards().length, 0);
    const baseline = before.reduce((a, b) => a + b, 0);
    await eventually(async () => total() > baseline, "some replicas of the upload to be stored");
    const other = new FlightDataEncoder(new Schema([new Field("x", new Int32())])).encodeSchema();
    await writer.writeEncoded(encodeFlightData(other)).catch(() => undefined);
    const error = await rejection(writer.close());
    expect(error.code).toBe(StatusCode.INVALID_ARGUMENT);
    expect(error.rawMessage).toMatch(/schema changed mid-stream/);
    expect(await registry.getDataset("changing")).toBeNull();
    await eventually(
      async () => workers.every((w, i) => w.shards().length === before[i]),
      "the aborted upload's replicas to be deleted",
    );
  });

  it("an upload cancelled halfway leaves nothing visible and no shard files", async () => {
    const before = workers.map((w) => w.shards().length);
    const table = sales(200_000);
    const controller = new AbortController();
    const { writer } = client.doPut(FlightDescriptor.forPath("halfway"), table.schema, { signal: controller.signal });
    let written = 0;
    for (let start = 0; start < table.numRows; start += 5000) {
      for (const batch of table.slice(start, start + 5000).batches) await writer.write(batch);
      written += 5000;
      if (written === 100_000) break;
    }
    // Replicas of the first shards are stored by now; they must go away.
    const baseline = before.reduce((a, b) => a + b, 0);
    await eventually(
      async () => workers.reduce((sum, w) => sum + w.shards().length, 0) > baseline,
      "some replicas of the upload to be stored",
    );
    controller.abort();
    expect((await rejection(writer.close())).code).toBe(StatusCode.CANCELLED);
    await eventually(async () => (await registry.listDatasets()).every((d) => d.name !== "halfway"), "no dataset");
    await eventually(
      async () => workers.every((w, i) => w.shards().length === before[i]),
      "the cancelled upload's replicas to be deleted",
    );
    expect(await registry.getDataset("halfway")).toBeNull();
  });

  it("direct upload: begin_upload, plan_shards, put-shard DoPuts to the replicas, commit_upload", async () => {
    const table = sales(3000, 1000);
    const begun = (await action("begin_upload", { dataset: "direct" })) as { uploadId: string; version: number };
    const plan = (await action("plan_shards", { uploadId: begun.uploadId, count: 3 })) as Array<{
      shardId: string;
      index: number;
      replicas: Array<{ location: string }>;
    }>;
    for (const shard of plan) {
      const slice = table.slice(shard.index * 1000, shard.index * 1000 + 1000);
      for (const replica of shard.replicas) {
        const c = connect(replica.location);
        try {
          const command = {
            op: "put-shard",
            uploadId: begun.uploadId,
            shardId: shard.shardId,
            index: shard.index,
            dataset: "direct",
            version: begun.version,
          };
          const { writer } = c.doPut(FlightDescriptor.forCommand(JSON.stringify(command)), slice.schema);
          await writer.writeTable(slice);
          await writer.close();
        } finally {
          c.close();
        }
      }
    }
    const schema = Buffer.from((await import("@flight-cluster/protocol")).encodeSchema(table.schema)).toString(
      "base64",
    );
    const summary = await action("commit_upload", {
      uploadId: begun.uploadId,
      schema,
      shards: plan.map((p) => ({ shardId: p.shardId, index: p.index })),
    });
    expect(summary).toMatchObject({ dataset: "direct", shards: 3, rows: 3000 });
    const direct = await client.getFlightInfo(FlightDescriptor.forPath("direct"));
    const tables = await Promise.all(direct.endpoints.map((e) => readAt(e.locations[0]!.uri, e.ticket.ticket)));
    expect(tables.flatMap((t) => column(t, "id"))).toEqual(column(table, "id"));
  });

  it("repairs shards of a worker that left: copies from survivors back to 2 live replicas", async () => {
    const leaving = workers[1]!;
    await leaving.close();
    workers = [workers[0]!, workers[2]!, await startWorkerIn("b", "wb2")];
    const report = await planner.repair.runOnce();
    expect(report.ran).toBe(true);
    expect(report.underReplicated).toBeGreaterThan(0);
    expect(report.copied).toBe(report.underReplicated);
    expect(report.failed).toBe(0);
    const live = new Set((await registry.listWorkers()).map((w) => w.id));
    for (const name of ["sales", "direct"]) {
      const dataset = await registry.getDataset(name);
      for (const shard of dataset!.shards) expect(shard.replicas.filter((id) => live.has(id))).toHaveLength(2);
    }
    const after = await client.getFlightInfo(FlightDescriptor.forPath("sales"));
    const endpoint = after.endpoints[0]!;
    const copies = await Promise.all(endpoint.locations.map((l) => readAt(l.uri, endpoint.ticket.ticket)));
    expect(column(copies[1]!, "id")).toEqual(column(copies[0]!, "id"));
  });
});
