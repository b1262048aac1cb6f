/**
 * The planner on a real Redis with real workers (in process): a planner restart loses
 * nothing (it is stateless), and a dataset acknowledged to the client survives a
 * FLUSHALL right after the acknowledgement, through both upload paths: the workers
 * marked their manifests committed before the client was answered (`shard.commit`),
 * re-announce them, and the planner's repair pass rebuilds the catalog. The workers'
 * orphan collection is left to its hour-long timer, so it cannot be what saved the data.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, encodeSchema, type FlightClient, FlightDescriptor, StatusCode } from "@flight-cluster/protocol";
import { createRegistry, type Registry } from "@flight-cluster/registry";
import { type RunningWorker, silentWorkerLogger, startWorker, type WorkerOptions } from "@flight-cluster/worker";
import { Table, Utf8, vectorFromArray } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedisServer } from "../../../test/kit/redis-server.js";
import { type RunningPlanner, startPlanner } from "./planner.js";
import { silentPlannerLogger } from "./planner-logger.js";
import type { PlannedShard } from "./write-plan.js";

let redis: RedisServer;
let root: string;
let registry: Registry;
let workers: RunningWorker[] = [];
let planner: RunningPlanner;
let client: FlightClient;

function rowsFrom(offset: number, count: number): Table {
  return new Table({
    id: vectorFromArray(Int32Array.from({ length: count }, (_, i) => offset + i)),
    name: vectorFromArray(
      Array.from({ length: count }, (_, i) => `n${offset + i}`),
      new Utf8(),
    ),
  });
}

const table = rowsFrom(0, 30_000);

async function plannerOn(): Promise<RunningPlanner> {
  return startPlanner({
    registry,
    port: 0,
    host: "127.0.0.1",
    repair: false,
    shardTargetBytes: 64 * 1024,
    logger: silentPlannerLogger,
  });
}

function workerIn(zone: string, options: Partial<WorkerOptions> = {}): Promise<RunningWorker> {
  return startWorker({
    registry,
    dataDir: join(root, zone),
    zone,
    port: 0,
    host: "127.0.0.1",
    heartbeatTtlMs: 1500,
    // Orphan collection (which also learns commits from the catalog) only at start.
    gcIntervalMs: 3_600_000,
    cpuThreads: 0,
    logger: silentWorkerLogger,
    ...options,
  });
}

/** Every row of the dataset, read endpoint by endpoint from each endpoint's first location. */
async function readAll(name: string): Promise<{ ids: number[]; names: string[] }> {
  const info = await client.getFlightInfo(FlightDescriptor.forPath(name));
  const ids: number[] = [];
  const names: string[] = [];
  for (const endpoint of info.endpoints) {
    const worker = connect(endpoint.locations[0]!.uri);
    try {
      const part = await worker.doGet(endpoint.ticket.ticket).readAll();
      ids.push(...(part.getChild("id")!.toArray() as Int32Array));
      names.push(...[...part.getChild("name")!].map(String));
    } finally {
      worker.close();
    }
  }
  return { ids, names };
}

function contents(t: Table): { ids: number[]; names: string[] } {
  return { ids: [...(t.getChild("id")!.toArray() as Int32Array)], names: [...t.getChild("name")!].map(String) };
}

/** DoPut through the planner; resolves with the PutResult's JSON once the client has it. */
async function putThroughPlanner(name: string, data: Table): Promise<{ uploadId: string; shards: number }> {
  const { writer, results } = client.doPut(FlightDescriptor.forPath(name), data.schema);
  const acks: Array<{ uploadId: string; shards: number }> = [];
  const reading = (async () => {
    for await (const r of results) acks.push(JSON.parse(new TextDecoder().decode(r.appMetadata)));
  })();
  await writer.writeTable(data);
  await writer.done();
  await reading;
  await writer.close();
  if (acks[0] === undefined) throw new Error("no PutResult");
  return acks[0];
}

async function action<T>(type: string, body: unknown): Promise<T> {
  const results: T[] = [];
  for await (const r of client.doAction({ type, body: new TextEncoder().encode(JSON.stringify(body)) })) {
    results.push(JSON.parse(new TextDecoder().decode(r.body)) as T);
  }
  return results[0] as T;
}

/** A direct upload of `data` in `parts` shards: begin_upload, plan_shards, put-shard to each replica. */
async function storeDirect(name: string, data: Table, parts: number) {
  const begun = await action<{ uploadId: string; version: number }>("begin_upload", { dataset: name });
  const plan = await action<PlannedShard[]>("plan_shards", { uploadId: begun.uploadId, count: parts });
  const per = Math.ceil(data.numRows / parts);
  for (const shard of plan) {
    const slice = data.slice(shard.index * per, (shard.index + 1) * per);
    for (const replica of shard.replicas) {
      const c = connect(replica.location);
      try {
        const command = {
          op: "put-shard",
          uploadId: begun.uploadId,
          shardId: shard.shardId,
          index: shard.index,
          dataset: name,
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
  const commit = () =>
    action<{ version: number }>("commit_upload", {
      uploadId: begun.uploadId,
      schema: Buffer.from(encodeSchema(data.schema)).toString("base64"),
      shards: plan.map((p) => ({ shardId: p.shardId, index: p.index })),
    });
  return { ...begun, plan, commit };
}

async function eventually(probe: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** After FLUSHALL: wait until every live worker announced again, then rebuild. */
async function rebuild(): Promise<Array<{ name: string; version: number }>> {
  await eventually(
    async () => (await registry.listAnnouncements()).length === workers.length,
    "every worker to register and announce again",
  );
  const report = await planner.repair.runOnce();
  expect(report.ran).toBe(true);
  return [...report.rebuilt];
}

function entriesOf(uploadId: string) {
  return workers.flatMap((w) => w.shards().filter((s) => s.uploadId === uploadId));
}

beforeAll(async () => {
  redis = await startRedisServer({ private: true });
  root = await mkdtemp(join(tmpdir(), "planner-redis-"));
  registry = await createRegistry(redis.url, { prefix: "planner-test:" });
  workers = await Promise.all(["a", "b"].map((zone) => workerIn(zone)));
  planner = await plannerOn();
  client = connect(planner.uri);
  await putThroughPlanner("events/2026", table);
});

afterAll(async () => {
  client?.close();
  await planner?.close();
  await Promise.all(workers.map((w) => w.close()));
  await registry?.close();
  await redis?.close();
  await rm(root, { recursive: true, force: true });
});

describe("planner on Redis", () => {
  it("restarting the planner loses nothing", async () => {
    client.close();
    await planner.close();
    planner = await plannerOn();
    client = connect(planner.uri);
    expect(await readAll("events/2026")).toEqual(contents(table));
  });

  it("a DoPut acknowledged just before FLUSHALL is rebuilt from announcements and reads back identical", async () => {
    const input = rowsFrom(100_000, 20_000);
    const ack = await putThroughPlanner("flushed/put", input);
    await redis.flushAll();
    // Both replicas of every shard were marked committed before the client got its answer.
    expect(entriesOf(ack.uploadId).filter((e) => e.committed)).toHaveLength(2 * ack.shards);
    expect(await registry.getDataset("flushed/put")).toBeNull();
    const lost = await client.getFlightInfo(FlightDescriptor.forPath("flushed/put")).catch((e: { code: number }) => e);
    expect(lost).toMatchObject({ code: StatusCode.NOT_FOUND });
    const rebuilt = await rebuild();
    expect(rebuilt).toEqual(
      expect.arrayContaining([
        { name: "flushed/put", version: 1 },
        { name: "events/2026", version: 1 },
      ]),
    );
    const after = (await registry.getDataset("flushed/put"))!;
    expect(after.shards.length).toBeGreaterThan(1);
    expect(after.shards.every((s) => s.replicas.length === 2)).toBe(true);
    expect(await readAll("flushed/put")).toEqual(contents(input));
    expect(await readAll("events/2026")).toEqual(contents(table));
    // A new upload gets a version above the rebuilt one.
    expect((await registry.beginUpload("flushed/put", 60_000)).version).toBeGreaterThan(after.version);
  });

  it("a commit_upload acknowledged just before FLUSHALL is rebuilt from announcements and reads back identical", async () => {
    const input = rowsFrom(200_000, 9_000);
    const upload = await storeDirect("flushed/direct", input, 3);
    const summary = await upload.commit();
    await redis.flushAll();
    expect(summary).toMatchObject({ version: upload.version });
    expect(entriesOf(upload.uploadId).map((e) => e.committed)).toEqual([true, true, true, true, true, true]);
    const rebuilt = await rebuild();
    expect(rebuilt).toContainEqual({ name: "flushed/direct", version: upload.version });
    const after = (await registry.getDataset("flushed/direct"))!;
    expect(after.shards.map((s) => s.id)).toEqual(upload.plan.map((p) => p.shardId));
    expect(await readAll("flushed/direct")).toEqual(contents(input));
  });

  it("a replica that missed the notice keeps its shards through FLUSHALL and a restart, and gets the notice again", async () => {
    const input = rowsFrom(300_000, 4_000);
    const upload = await storeDirect("flushed/missed", input, 2);
    // Worker b stops after storing its replicas, so it is not live when the upload commits.
    const b = workers[1]!;
    await b.close();
    workers = [workers[0]!];
    await upload.commit();
    expect(entriesOf(upload.uploadId).every((e) => e.committed)).toBe(true);
    await redis.flushAll();
    // Back with no orphan grace: its shards' upload is unknown to the emptied registry, yet
    // it holds committed shards the catalog lost, so it keeps them for the rebuild.
    const back = await workerIn("b", { orphanGraceMs: 0 });
    workers.push(back);
    expect(back.shards().filter((s) => s.uploadId === upload.uploadId && !s.committed)).toHaveLength(2);
    // The repair pass re-sends the notice the planner could not deliver at commit time.
    await eventually(async () => (await planner.repair.runOnce()).noticesResent === 1, "the notice to be re-sent");
    expect(back.shards().filter((s) => s.uploadId === upload.uploadId && s.committed)).toHaveLength(2);
    await eventually(async () => {
      await planner.repair.runOnce();
      const d = await registry.getDataset("flushed/missed");
      return d?.shards.every((s) => s.replicas.length === 2) === true;
    }, "the version to be rebuilt with both replicas");
    expect(await readAll("flushed/missed")).toEqual(contents(input));
    expect(await readAll("flushed/direct")).toEqual(contents(rowsFrom(200_000, 9_000)));
  });
});
