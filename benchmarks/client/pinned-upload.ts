/**
 * Loading a benchmark dataset with shard `i` stored on worker `i`: a write-plan upload
 * (docs/architecture.md, "Uploads": `begin_upload`, a `put-shard` DoPut per replica,
 * `commit_upload`) whose replicas are chosen by the harness instead of taken from
 * `plan_shards`. The planner commits any shard with at least R recorded replicas, so the
 * result is an ordinary dataset version; pinning only guarantees that N shards land on N
 * distinct workers (rendezvous placement of 8 shards over 8 workers uses about 5 of them).
 */
import { connect, encodeSchema, type FlightClient, FlightDescriptor } from "@flight-cluster/protocol";
import type { RecordBatch, Schema } from "apache-arrow";

/** Options of {@link uploadPinned}. */
export interface PinnedUploadOptions {
  readonly plannerUri: string;
  readonly dataset: string;
  readonly schema: Schema;
  /** For each shard, the worker URIs that store it (each one replica; as many as the planner's R). */
  readonly targets: ReadonlyArray<readonly string[]>;
  /** The batches of shard `index` (made on demand, so only `concurrency` shards are in memory). */
  readonly batchesOf: (index: number) => RecordBatch[];
  /** Shards uploaded at once. */
  readonly concurrency: number;
}

/** What was committed. */
export interface PinnedUploadResult {
  readonly version: number;
  readonly shards: number;
  readonly rows: number;
}

async function jsonAction(client: FlightClient, type: string, body: unknown): Promise<Record<string, unknown>> {
  let answer: Uint8Array | undefined;
  for await (const result of client.doAction({ type, body: new TextEncoder().encode(JSON.stringify(body)) })) {
    answer ??= result.body;
  }
  if (answer === undefined) throw new Error(`action ${type} returned no result`);
  return JSON.parse(new TextDecoder().decode(answer)) as Record<string, unknown>;
}

/**
 * Uploads and commits the dataset.
 * @throws the first failure (a FlightError from the planner or a worker), after aborting the upload.
 */
export async function uploadPinned(options: PinnedUploadOptions): Promise<PinnedUploadResult> {
  const planner = connect(options.plannerUri);
  const workers = new Map<string, FlightClient>();
  const workerClient = (uri: string): FlightClient => {
    let client = workers.get(uri);
    if (client === undefined) {
      client = connect(uri);
      workers.set(uri, client);
    }
    return client;
  };
  const begin = await jsonAction(planner, "begin_upload", { dataset: options.dataset });
  const uploadId = String(begin["uploadId"]);
  const version = Number(begin["version"]);
  let rows = 0;
  try {
    const putShard = async (index: number): Promise<void> => {
      const batches = options.batchesOf(index);
      rows += batches.reduce((sum, batch) => sum + batch.numRows, 0);
      const command = JSON.stringify({
        op: "put-shard",
        uploadId,
        shardId: `${uploadId}.${index}`,
        index,
        dataset: options.dataset,
        version,
      });
      await Promise.all(
        (options.targets[index] ?? []).map(async (uri) => {
          const { writer } = workerClient(uri).doPut(FlightDescriptor.forCommand(command), options.schema);
          for (const batch of batches) await writer.write(batch);
          await writer.close();
        }),
      );
    };
    let next = 0;
    const count = options.targets.length;
    const lanes = Array.from({ length: Math.max(1, Math.min(options.concurrency, count)) }, async () => {
      while (next < count) await putShard(next++);
    });
    await Promise.all(lanes);
    await jsonAction(planner, "commit_upload", {
      uploadId,
      schema: Buffer.from(encodeSchema(options.schema)).toString("base64"),
      shards: options.targets.map((_, index) => ({ shardId: `${uploadId}.${index}`, index })),
    });
    return { version, shards: count, rows };
  } catch (error) {
    await jsonAction(planner, "abort_upload", { uploadId }).catch(() => undefined);
    throw error;
  } finally {
    planner.close();
    for (const client of workers.values()) client.close();
  }
}
