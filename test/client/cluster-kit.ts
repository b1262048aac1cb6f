/**
 * Test kit for the client's cross-package tests: an in-process cluster (a planner and
 * workers on 127.0.0.1 port 0 over one in-memory registry), deterministic tables, and
 * helpers to load a dataset through the planner's DoPut and to compare results.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningPlanner, silentPlannerLogger, startPlanner } from "@flight-cluster/planner";
import { connect, FlightDescriptor, silentLogger } from "@flight-cluster/protocol";
import { createMemoryRegistry, type Registry } from "@flight-cluster/registry";
import { type RunningWorker, silentWorkerLogger, startWorker, type WorkerOptions } from "@flight-cluster/worker";
import { type RecordBatch, Table, tableFromArrays } from "apache-arrow";

/** One worker to start. */
export interface WorkerSpec {
  readonly zone: string;
  /** Location to advertise (e.g. a delay proxy in front of the worker). */
  readonly advertise?: string;
  /** Extra worker options. */
  readonly options?: Partial<WorkerOptions>;
}

/** Options of {@link startTestCluster}. */
export interface TestClusterOptions {
  readonly workers: readonly WorkerSpec[];
  readonly replicas?: number;
  /** Planner shard target, bytes. Default 256 KiB. */
  readonly shardTargetBytes?: number;
  /** Ticket TTL, ms. Default 60 s. */
  readonly ticketTtlMs?: number;
}

/** An in-process cluster. */
export interface TestCluster {
  readonly registry: Registry;
  readonly planner: RunningPlanner;
  readonly workers: RunningWorker[];
  /** The planner's URI. */
  readonly uri: string;
  readonly root: string;
  close(): Promise<void>;
}

/** Start a planner and workers on one memory registry. */
export async function startTestCluster(options: TestClusterOptions): Promise<TestCluster> {
  const registry = createMemoryRegistry();
  const root = await mkdtemp(join(tmpdir(), "fc-client-test-"));
  const workers: RunningWorker[] = [];
  let planner: RunningPlanner | undefined;
  const close = async () => {
    await planner?.close();
    for (const w of workers) await w.close();
    await registry.close();
    await rm(root, { recursive: true, force: true });
  };
  try {
    for (const [i, spec] of options.workers.entries()) {
      workers.push(
        await startWorker({
          registry,
          dataDir: join(root, `w${i}`),
          zone: spec.zone,
          host: "127.0.0.1",
          port: 0,
          cpuThreads: 0,
          digest: "inline",
          heartbeatTtlMs: 60_000,
          gcIntervalMs: 3_600_000,
          logger: silentWorkerLogger,
          server: { logger: silentLogger },
          ...(spec.advertise === undefined ? {} : { advertise: spec.advertise }),
          ...spec.options,
        }),
      );
    }
    planner = await startPlanner({
      registry,
      host: "127.0.0.1",
      port: 0,
      replicas: options.replicas ?? 2,
      shardTargetBytes: options.shardTargetBytes ?? 256 * 1024,
      ticketTtlMs: options.ticketTtlMs ?? 60_000,
      repair: false,
      logger: silentPlannerLogger,
      server: { logger: silentLogger },
    });
    return { registry, planner, workers, uri: planner.uri, root, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * A deterministic table: `id` Int32 0..rows-1, `value` Float64 = id * 1.5, `tag` Int32 =
 * id % 7, in record batches of `batchRows` rows (one empty batch when `rows` is 0).
 */
export function makeTable(rows: number, batchRows: number): Table {
  if (rows === 0) return new Table(makeTable(1, 1).batches.map((b) => b.slice(0, 0)));
  const batches: RecordBatch[] = [];
  for (let start = 0; start < rows; start += batchRows) {
    const n = Math.min(batchRows, rows - start);
    const id = new Int32Array(n);
    const value = new Float64Array(n);
    const tag = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      id[i] = start + i;
      value[i] = (start + i) * 1.5;
      tag[i] = (start + i) % 7;
    }
    batches.push(...tableFromArrays({ id, value, tag }).batches);
  }
  return new Table(batches);
}

/** Upload `table` as `dataset` through the planner's DoPut (what a pyarrow user does). */
export async function loadThroughPlanner(uri: string, dataset: string, table: Table): Promise<void> {
  const client = connect(uri);
  try {
    const { writer } = client.doPut(FlightDescriptor.forPath(dataset), table.schema);
    await writer.writeTable(table);
    await writer.close();
  } finally {
    client.close();
  }
}

/** Every value of an Int32/Float64 column of `batches`, in order. */
export function columnValues(batches: readonly RecordBatch[], name: string): number[] {
  const out: number[] = [];
  for (const batch of batches) {
    const column = batch.getChild(name);
    if (column === null) throw new Error(`no column ${name}`);
    for (const v of column.toArray() as Iterable<number>) out.push(v);
  }
  return out;
}

/** Asserts-free check: `ids` is exactly 0..n-1 in order. @returns a description of the first problem, or undefined. */
export function sequenceProblem(ids: readonly number[], n: number): string | undefined {
  if (ids.length !== n) return `expected ${n} rows, got ${ids.length}`;
  for (let i = 0; i < n; i++) if (ids[i] !== i) return `row ${i} has id ${ids[i]}`;
  return undefined;
}
