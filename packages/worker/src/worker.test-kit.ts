/**
 * Test kit for worker tests: real workers on 127.0.0.1 port 0 over an in-memory
 * registry, Flight clients to them, and helpers to upload, commit and read shards.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  connect,
  encodeSchema,
  type FlightClient,
  FlightDescriptor,
  type OutgoingHeaders,
  silentLogger,
} from "@flight-cluster/protocol";
import { createMemoryRegistry, type DatasetVersion, type Registry, type ShardSpec } from "@flight-cluster/registry";
import type { RecordBatch, Table } from "apache-arrow";
import { createWorkerJsonLogger, silentWorkerLogger } from "./logger.js";
import { type RunningWorker, startWorker } from "./worker.js";
import type { WorkerOptions } from "./worker-options.js";

/** A worker under test with a client connected to it. */
export interface TestWorker {
  readonly worker: RunningWorker;
  readonly dataDir: string;
  readonly client: FlightClient;
  /** Stop the worker (close) and its client; keeps the data directory. */
  stop(): Promise<void>;
}

/** A registry, a temporary root and the workers started in it. */
export interface TestBed {
  readonly registry: Registry;
  readonly root: string;
  /** Current fake registry time (ms); advance with {@link TestBed.advance}. */
  now(): number;
  advance(ms: number): void;
  /** Start a worker (data directory `<root>/<name>`, unless given). */
  start(name: string, options?: Partial<WorkerOptions>): Promise<TestWorker>;
  close(): Promise<void>;
}

/** Create a test bed over an in-memory registry with a controllable clock. */
export async function createTestBed(): Promise<TestBed> {
  let clock = Date.now();
  const registry = createMemoryRegistry({ now: () => clock });
  const root = await mkdtemp(join(tmpdir(), "fc-worker-test-"));
  const running = new Set<TestWorker>();
  return {
    registry,
    root,
    now: () => clock,
    advance(ms) {
      clock += ms;
    },
    async start(name, options = {}) {
      const dataDir = options.dataDir ?? join(root, name);
      const worker = await startWorker({
        registry,
        dataDir,
        zone: "a",
        host: "127.0.0.1",
        port: 0,
        cpuThreads: 0,
        digest: "inline",
        heartbeatTtlMs: 60_000,
        gcIntervalMs: 3_600_000,
        logger: process.env["WORKER_TEST_LOGS"] ? createWorkerJsonLogger({ level: "debug" }) : silentWorkerLogger,
        server: process.env["WORKER_TEST_LOGS"] ? {} : { logger: silentLogger },
        ...options,
      });
      const client = connect(worker.uri);
      const handle: TestWorker = {
        worker,
        dataDir,
        client,
        async stop() {
          running.delete(handle);
          client.close();
          await worker.close();
        },
      };
      running.add(handle);
      return handle;
    },
    async close() {
      for (const w of [...running]) await w.stop();
      await registry.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** What a worker answers to a stored replica. */
export interface StoredShardAnswer {
  readonly shardId: string;
  readonly rows: number;
  readonly bytes: number;
  readonly digest: string;
}

/** The put-shard CMD descriptor for a shard of an upload. */
export function putShardDescriptor(command: Record<string, unknown>): FlightDescriptor {
  return FlightDescriptor.forCommand(JSON.stringify({ op: "put-shard", ...command }));
}

/** Upload `batches` as shard `shardId` of the upload to the worker behind `client`. */
export async function putShard(
  client: FlightClient,
  upload: { readonly id: string; readonly dataset: string; readonly version: number },
  shardId: string,
  index: number,
  data: Table | readonly RecordBatch[],
): Promise<StoredShardAnswer> {
  const batches = "batches" in data ? data.batches : data;
  const schema = (batches[0] as RecordBatch).schema;
  const descriptor = putShardDescriptor({
    uploadId: upload.id,
    shardId,
    index,
    dataset: upload.dataset,
    version: upload.version,
  });
  const { writer, results } = client.doPut(descriptor, schema);
  let answer: Uint8Array | undefined;
  const reading = (async () => {
    for await (const r of results) answer ??= r.appMetadata;
  })();
  reading.catch(() => undefined); // the call's error surfaces through close()
  try {
    for (const b of batches) await writer.write(b);
  } finally {
    await writer.close();
  }
  await reading;
  if (answer === undefined) throw new Error("no PutResult");
  return JSON.parse(new TextDecoder().decode(answer)) as StoredShardAnswer;
}

/** Commit an upload whose shards the workers recorded. */
export async function commitUpload(
  registry: Registry,
  uploadId: string,
  table: Table,
  shardIds: readonly string[],
): Promise<DatasetVersion> {
  const upload = await registry.getUpload(uploadId);
  if (upload === null) throw new Error(`no upload ${uploadId}`);
  const shards: ShardSpec[] = shardIds.map((id) => {
    const s = upload.shards.find((x) => x.id === id);
    if (s === undefined) throw new Error(`shard ${id} not recorded`);
    return s;
  });
  return registry.commitUpload(uploadId, { schema: encodeSchema(table.schema), shards });
}

/** DoGet `ticketId` and read every batch. */
export async function readTicket(client: FlightClient, ticketId: string, headers?: OutgoingHeaders): Promise<Table> {
  return client.doGet(ticketId, headers === undefined ? undefined : { headers }).readAll();
}
