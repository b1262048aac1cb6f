/**
 * Parallel upload: the client asks the planner for a write plan and sends each shard
 * straight to its replica workers, several shards at once, then commits
 * (docs/architecture.md, "Uploads"; docs/client.md, "Parallel put").
 *
 * The input is encoded once as it would travel to the planner, cut into shards by the
 * cluster's rule (upload-cutter.ts) and each shard streamed to all its replicas. While
 * shard k is still being written and stored, the producer goes on with shard k+1, up to
 * `concurrency` shards; the messages waiting for shard streams are bounded by
 * `byteBudget`. Nothing is visible until `commit_upload`; any failure, and cancellation,
 * cancels every replica stream and aborts the upload (the planner deletes what was
 * stored).
 */
import {
  FlightDataDecoder,
  FlightDataEncoder,
  FlightError,
  type OutgoingHeaders,
  StatusCode,
} from "@flight-cluster/protocol";
import { type RecordBatch, type Schema, Table } from "apache-arrow";
import { ByteBudget } from "./byte-budget.js";
import { abortError, ClientError } from "./client-error.js";
import type { ResolvedClusterClientOptions, ResolvedPutOptions } from "./client-options.js";
import type { LocationPool } from "./location-pool.js";
import { ShardUpload, type StoredShard } from "./shard-upload.js";
import { UploadCutter } from "./upload-cutter.js";
import { type PutSummary, WritePlanClient } from "./write-plan-client.js";

/** What `put` takes: a Table, or record batches (all of one schema). */
export type PutSource = Table | Iterable<RecordBatch> | AsyncIterable<RecordBatch>;

/** What an upload needs from its client. */
export interface PutDeps {
  readonly pool: LocationPool;
  readonly client: ResolvedClusterClientOptions;
}

interface Encoding {
  /** Encodes the input as a DoPut through the planner would send it. */
  readonly encoder: FlightDataEncoder;
  readonly decoder: FlightDataDecoder;
  /** The schema as received from the wire (what the planner would see). */
  readonly schema: Schema;
  readonly cutter: UploadCutter;
}

function batchesOf(data: PutSource): Iterable<RecordBatch> | AsyncIterable<RecordBatch> {
  return data instanceof Table ? data.batches : data;
}

function encodingFor(schema: Schema, maxMessageBytes: number, targetBytes: number): Encoding {
  const encoder = new FlightDataEncoder(schema, { maxMessageBytes });
  const decoder = new FlightDataDecoder();
  const decoded = decoder.decode(encoder.encodeSchema());
  if (decoded.kind !== "schema") throw new FlightError(StatusCode.INTERNAL, "the schema did not encode as a schema");
  const cutter = new UploadCutter({
    targetBytes,
    maxMessageBytes,
    forwardFrames: decoded.schema.dictionaries.size === 0,
  });
  return { encoder, decoder, schema: decoded.schema, cutter };
}

/**
 * Uploads `data` as a new version of `dataset` through a write plan.
 * @returns the planner's commit summary.
 * @throws CANCELLED FlightError when `options.signal` aborts; ClientError `CLIENT_NO_SCHEMA`
 *   (empty stream without a schema), `CLIENT_REPLICA_MISMATCH`, `CLIENT_BAD_RESPONSE`;
 *   FlightError INVALID_ARGUMENT for a batch of another schema; the planner's and workers'
 *   FlightErrors. Nothing is committed then.
 */
export async function parallelPut(
  deps: PutDeps,
  dataset: string,
  data: PutSource,
  options: ResolvedPutOptions,
): Promise<PutSummary> {
  const controller = new AbortController();
  const userSignal = options.signal;
  const onAbort = () => controller.abort(abortError(userSignal as AbortSignal));
  if (userSignal?.aborted) onAbort();
  userSignal?.addEventListener("abort", onAbort, { once: true });
  const signal = controller.signal;
  const { maxMessageBytes, actionTimeoutMs } = deps.client;
  const headers: OutgoingHeaders = options.headers;
  const plans = new WritePlanClient(deps.pool.origin.client, { timeoutMs: actionTimeoutMs, headers, signal });
  const shards: ShardUpload[] = [];
  let renewTimer: NodeJS.Timeout | undefined;
  try {
    const plan = await plans.begin(dataset);
    options.onEvent({ kind: "begin", ...plan });
    const renewEvery = Math.max(250, Math.floor((plan.expiresAt - Date.now()) / 3));
    renewTimer = setInterval(() => {
      plans.renew(shards.length).catch(() => undefined);
    }, renewEvery);
    renewTimer.unref();
    const budget = new ByteBudget(options.byteBudget);
    const target = options.shardTargetBytes ?? plan.shardTargetBytes;
    const context = {
      uploadId: plan.uploadId,
      dataset,
      version: plan.version,
      pool: deps.pool,
      budget,
      headers,
      signal,
    };
    let encoding: Encoding | undefined;
    let current: { upload: ShardUpload; encoder: FlightDataEncoder } | undefined;
    let rows = 0;
    let bytes = 0;
    const settled = new Set<ShardUpload>();

    const open = async (schema: Schema) => {
      for (;;) {
        const active = shards.filter((s) => !settled.has(s));
        if (active.length < options.concurrency) break;
        await Promise.race(active.map((s) => s.done.catch(() => undefined)));
      }
      signal.throwIfAborted();
      const upload = new ShardUpload(context, await plans.shard(shards.length), schema);
      shards.push(upload);
      upload.done.then(
        (stored) => {
          settled.add(upload);
          options.onEvent({ kind: "shard-stored", shard: stored.index, ...stored });
        },
        (error: unknown) => {
          settled.add(upload);
          if (!signal.aborted) controller.abort(FlightError.from(error));
        },
      );
      options.onEvent({
        kind: "shard-open",
        shard: upload.plan.index,
        locations: upload.plan.replicas.map((r) => r.location),
      });
      current = { upload, encoder: new FlightDataEncoder(schema, { maxMessageBytes }) };
      return current;
    };

    for await (const batch of batchesOf(data)) {
      signal.throwIfAborted();
      encoding ??= encodingFor(options.schema ?? batch.schema, maxMessageBytes, target);
      for (const frame of encoding.encoder.encodeBatch(batch)) {
        const decoded = encoding.decoder.decode(frame);
        if (decoded.kind !== "batch") continue;
        for (const step of encoding.cutter.next(decoded.batch, frame)) {
          if (step.kind === "break") {
            current?.upload.end();
            current = undefined;
            continue;
          }
          const shard = current ?? (await open(encoding.schema));
          if (step.kind === "frame") {
            await shard.upload.push(step.frame, step.rows);
            bytes += step.frame.body.byteLength;
          } else {
            const frames = shard.encoder.encodeBatch(step.batch);
            for (const [i, f] of frames.entries()) {
              await shard.upload.push(f, i === frames.length - 1 ? step.rows : 0);
              bytes += f.body.byteLength;
            }
          }
          rows += step.rows;
          options.onEvent({ kind: "progress", rows, bytes });
        }
      }
    }
    if (encoding === undefined) {
      const schema = options.schema ?? (data instanceof Table ? data.schema : undefined);
      if (schema === undefined) {
        throw new ClientError("CLIENT_NO_SCHEMA", "put of an empty stream of batches needs the schema option");
      }
      encoding = encodingFor(schema, maxMessageBytes, target);
    }
    // A dataset without rows still has one (empty) shard carrying its schema.
    if (shards.length === 0) await open(encoding.schema);
    (current as { upload: ShardUpload } | undefined)?.upload.end();
    const stored: StoredShard[] = [];
    for (const shard of shards) stored.push(await shard.done);
    signal.throwIfAborted();
    const summary = await plans.commit(encoding.schema, stored);
    options.onEvent({ kind: "committed", version: summary.version, shards: summary.shards, rows: summary.rows });
    return summary;
  } catch (error) {
    const reason: unknown = signal.reason;
    const failure =
      signal.aborted && reason instanceof FlightError
        ? reason
        : signal.aborted
          ? abortError(signal)
          : FlightError.from(error);
    if (!signal.aborted) controller.abort(failure);
    for (const shard of shards) shard.cancel(failure);
    await Promise.allSettled(shards.map((s) => s.done));
    await plans.abort();
    throw failure;
  } finally {
    if (renewTimer !== undefined) clearInterval(renewTimer);
    userSignal?.removeEventListener("abort", onAbort);
  }
}
