/**
 * Ingest throughput: the same table uploaded (a) through the planner's DoPut, which cuts
 * it into shards and forwards every shard to its replicas, and (b) directly to the workers
 * with a write plan (the client cuts and sends each shard to its replicas itself). Passes
 * alternate between the two; each pass uploads a new dataset and drops it afterwards. The
 * direct path is our client's parallel put (`@flight-cluster/client`), cutting shards at the
 * planner's target size exactly as the planner would.
 */
import { createClusterClient } from "@flight-cluster/client";
import { connect, FlightDescriptor } from "@flight-cluster/protocol";
import type { RecordBatch, Schema } from "apache-arrow";
import { cpuSecondsOf } from "./bench-processes.js";

/** One timed upload. */
export interface IngestPass {
  readonly path: "planner" | "direct";
  readonly seconds: number;
  /** Arrow body bytes uploaded / seconds, in MB/s (10^6 bytes). */
  readonly mbPerSecond: number;
  /** CPU seconds of the planner and of all workers during the pass. */
  readonly plannerCpuSeconds: number;
  readonly workersCpuSeconds: number;
}

/** Options of {@link measureIngest}. */
export interface IngestOptions {
  readonly plannerUri: string;
  readonly plannerPid: number;
  readonly workerPids: readonly number[];
  readonly schema: Schema;
  readonly batches: readonly RecordBatch[];
  readonly passes: number;
  /** Shards uploaded at once on the direct path. */
  readonly directConcurrency: number;
  readonly log: (line: string) => void;
}

async function drop(uri: string, dataset: string): Promise<void> {
  const client = connect(uri);
  try {
    for await (const _ of client.doAction({ type: "drop", body: new TextEncoder().encode(dataset) })) {
      // drain
    }
  } finally {
    client.close();
  }
}

async function throughPlanner(
  uri: string,
  dataset: string,
  schema: Schema,
  batches: readonly RecordBatch[],
): Promise<void> {
  const client = connect(uri);
  try {
    const { writer } = client.doPut(FlightDescriptor.forPath(dataset), schema);
    for (const batch of batches) await writer.write(batch);
    await writer.close();
  } finally {
    client.close();
  }
}

async function putDirect(
  uri: string,
  dataset: string,
  batches: readonly RecordBatch[],
  concurrency: number,
): Promise<void> {
  const client = createClusterClient(uri);
  try {
    await client.put(dataset, batches, { concurrency });
  } finally {
    client.close();
  }
}

/** Alternate planner and direct uploads, `passes` of each (after one untimed warm-up of each). */
export async function measureIngest(options: IngestOptions): Promise<IngestPass[]> {
  const bodyBytes = options.batches.reduce((sum, b) => sum + b.data.byteLength, 0);
  const cpu = () => ({
    planner: cpuSecondsOf(options.plannerPid),
    workers: options.workerPids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
  });
  const results: IngestPass[] = [];
  for (let pass = -1; pass < options.passes; pass++) {
    for (const path of ["planner", "direct"] as const) {
      const dataset = `bench/ingest-${path}-${pass + 1}`;
      const before = cpu();
      const started = performance.now();
      if (path === "planner") await throughPlanner(options.plannerUri, dataset, options.schema, options.batches);
      else await putDirect(options.plannerUri, dataset, options.batches, options.directConcurrency);
      const seconds = (performance.now() - started) / 1000;
      const after = cpu();
      await drop(options.plannerUri, dataset);
      if (pass < 0) continue; // warm-up
      const result: IngestPass = {
        path,
        seconds,
        mbPerSecond: bodyBytes / 1e6 / seconds,
        plannerCpuSeconds: after.planner - before.planner,
        workersCpuSeconds: after.workers - before.workers,
      };
      options.log(`ingest ${path} pass ${pass + 1}: ${result.mbPerSecond.toFixed(1)} MB/s in ${seconds.toFixed(2)} s`);
      results.push(result);
    }
  }
  return results;
}
