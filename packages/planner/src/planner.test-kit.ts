/**
 * Helpers shared by the planner's tests: a memory registry populated with workers
 * and committed datasets, and a fake worker transport that stores replicas in memory.
 */
import { createHash } from "node:crypto";
import {
  decodeFlightData,
  encodeSchema,
  FlightDataDecoder,
  FlightDataEncoder,
  FlightError,
  FlightNotFoundError,
  StatusCode,
} from "@flight-cluster/protocol";
import {
  createMemoryRegistry,
  type DatasetVersion,
  type Registry,
  type ShardSpec,
  type WorkerInfo,
} from "@flight-cluster/registry";
import { Field, Float64, Int32, type RecordBatch, Schema, Utf8 } from "apache-arrow";
import type { PutShardCommand } from "./worker-protocol.js";
import type { ReplicaStream, WorkerTransport } from "./worker-transport.js";

/** The schema of the test datasets: id Int32, name Utf8, amount Float64. */
export const salesSchema = new Schema([
  new Field("id", new Int32(), false),
  new Field("name", new Utf8()),
  new Field("amount", new Float64()),
]);

/** Register live workers `{id, zone}` with locations `grpc+tcp://<id>:9000`. */
export async function registerWorkers(
  registry: Registry,
  workers: ReadonlyArray<{ id: string; zone: string; load?: number }>,
): Promise<WorkerInfo[]> {
  const out: WorkerInfo[] = [];
  for (const worker of workers) {
    out.push(
      await registry.registerWorker({
        id: worker.id,
        zone: worker.zone,
        locations: [`grpc+tcp://${worker.id}:9000`],
        capacity: 1 << 30,
        load: worker.load ?? 0,
        ttlMs: 60_000,
      }),
    );
  }
  return out;
}

/** Commit a dataset whose shard `i` lives on `replicas[i]`, with rows 100 + i. */
export async function commitDataset(
  registry: Registry,
  name: string,
  replicas: ReadonlyArray<readonly string[]>,
  schema: Schema = salesSchema,
): Promise<DatasetVersion> {
  const upload = await registry.beginUpload(name, 60_000);
  const shards: ShardSpec[] = replicas.map((workers, index) => ({
    id: `${upload.id}.${index}`,
    index,
    rows: 100 + index,
    bytes: 10_000 + index,
    digest: `sha256:${createHash("sha256").update(`${name}/${index}`).digest("hex")}`,
    replicas: workers,
  }));
  return registry.commitUpload(upload.id, { schema: encodeSchema(schema), shards });
}

/** A memory registry with workers w-a1, w-a2 (zone a), w-b1 (zone b), w-c1 (zone c). */
export async function populatedRegistry(): Promise<{ registry: Registry; workers: WorkerInfo[] }> {
  const registry = createMemoryRegistry();
  const workers = await registerWorkers(registry, [
    { id: "w-a1", zone: "a", load: 3 },
    { id: "w-a2", zone: "a", load: 1 },
    { id: "w-b1", zone: "b", load: 2 },
    { id: "w-c1", zone: "c", load: 0 },
  ]);
  return { registry, workers };
}

/** One replica a {@link FakeTransport} stored. */
export interface FakeReplica {
  readonly workerId: string;
  readonly command: PutShardCommand;
  readonly messages: Uint8Array[];
  /** The record batches decoded from the messages, in order. */
  readonly batches: RecordBatch[];
  rows: number;
  done: boolean;
  cancelled: boolean;
}

/** Failure injection for {@link FakeTransport}. */
export interface FakeFailures {
  /** Fail the n-th (0-based) write to this worker, counted over all its streams. */
  writeFailsAt?: { workerId: string; write: number; error: FlightError };
  /** Report this digest instead of the real one from this worker. */
  wrongDigestFrom?: string;
  /** Refuse to open put-shard streams on this worker. */
  openFails?: { workerId: string; error: FlightError };
}

/**
 * An in-process stand-in for workers: put-shard streams store the messages they get,
 * decode them as a worker would, answer `{rows, bytes, digest}`, and
 * `shard.delete` removes them. Used to unit-test upload logic without sockets.
 */
export class FakeTransport implements WorkerTransport {
  readonly replicas: FakeReplica[] = [];
  readonly deleted: Array<{ workerId: string; shardId: string }> = [];
  readonly actions: Array<{ workerId: string; type: string; body: unknown }> = [];
  readonly #writesByWorker = new Map<string, number>();
  failures: FakeFailures = {};
  /** Answers for actions other than shard.delete, by type. */
  actionHandler: ((worker: WorkerInfo, type: string, body: unknown) => Promise<unknown>) | undefined;
  /** Called before each write resolves (e.g. to count concurrent writes). */
  onWrite: ((replica: FakeReplica) => Promise<void>) | undefined;

  stored(shardId: string): FakeReplica[] {
    return this.replicas.filter((r) => r.command.shardId === shardId && r.done && !r.cancelled);
  }

  live(): FakeReplica[] {
    const gone = new Set(this.deleted.map((d) => `${d.workerId}/${d.shardId}`));
    return this.replicas.filter((r) => r.done && !r.cancelled && !gone.has(`${r.workerId}/${r.command.shardId}`));
  }

  async openPutShard(worker: WorkerInfo, command: PutShardCommand, schema: Schema): Promise<ReplicaStream> {
    if (this.failures.openFails?.workerId === worker.id) throw this.failures.openFails.error;
    const replica: FakeReplica = {
      workerId: worker.id,
      command,
      messages: [],
      batches: [],
      rows: 0,
      done: false,
      cancelled: false,
    };
    // Decode what arrives, as a worker would: the schema message came with the descriptor.
    const decoder = new FlightDataDecoder();
    decoder.decode(new FlightDataEncoder(schema).encodeSchema());
    this.replicas.push(replica);
    return {
      writeEncoded: async (message) => {
        if (replica.cancelled) throw new FlightError(StatusCode.CANCELLED, "cancelled");
        const fail = this.failures.writeFailsAt;
        const writes = this.#writesByWorker.get(worker.id) ?? 0;
        this.#writesByWorker.set(worker.id, writes + 1);
        if (fail !== undefined && fail.workerId === worker.id && fail.write === writes) throw fail.error;
        replica.messages.push(message);
        const decoded = decoder.decode(decodeFlightData(message));
        if (decoded.kind === "batch") {
          replica.batches.push(decoded.batch);
          replica.rows += decoded.batch.numRows;
        }
        await this.onWrite?.(replica);
      },
      finish: async () => {
        if (replica.cancelled) throw new FlightError(StatusCode.CANCELLED, "cancelled");
        replica.done = true;
        const hash = createHash("sha256");
        for (const m of replica.messages) hash.update(m);
        const digest = this.failures.wrongDigestFrom === worker.id ? "sha256:bad" : `sha256:${hash.digest("hex")}`;
        const bytes = replica.messages.reduce((sum, m) => sum + m.byteLength, 0);
        return new TextEncoder().encode(
          JSON.stringify({ shardId: command.shardId, rows: replica.rows, bytes, digest }),
        );
      },
      cancel: () => {
        replica.cancelled = true;
      },
    };
  }

  async doAction(worker: WorkerInfo, type: string, body: Uint8Array): Promise<Uint8Array[]> {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(body));
    this.actions.push({ workerId: worker.id, type, body: parsed });
    if (type === "shard.delete") {
      const shardId = (parsed as { shardId: string }).shardId;
      const held = this.replicas.some((r) => r.workerId === worker.id && r.command.shardId === shardId && r.done);
      if (!held) throw new FlightNotFoundError(`worker ${worker.id} holds no shard ${shardId}`);
      this.deleted.push({ workerId: worker.id, shardId });
      return [new TextEncoder().encode("{}")];
    }
    if (this.actionHandler === undefined) throw new FlightError(StatusCode.UNIMPLEMENTED, `no fake for ${type}`);
    return [new TextEncoder().encode(JSON.stringify(await this.actionHandler(worker, type, parsed)))];
  }

  async close(): Promise<void> {}
}
