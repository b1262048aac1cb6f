/**
 * DoPut of a whole dataset through the planner (what a pyarrow user does).
 *
 * The incoming stream is decoded frame by frame (zero-copy views: the decoder only
 * validates and exposes row counts), cut into shards of a target size of Arrow body
 * bytes, and each shard is forwarded to its R replicas (placed by rendezvous hashing
 * over the live workers, distinct zones first) with backpressure: the next frame is
 * read from the client only when every replica accepted the previous one. Batches
 * that fit are forwarded as their original frames; the rest are re-encoded, sliced
 * under the message limit. While shard k+1 streams, shard k's replicas finish and
 * report; at most `maxShardsFinishing` shards wait for their answers at once.
 *
 * The dataset version becomes visible only at the end, in one atomic registry commit,
 * once every replica of every shard agreed on rows, bytes and digest. Any failure
 * before the commit, and client cancellation, aborts the upload: replica streams are
 * cancelled, stored replicas are deleted, the pending upload is removed. After the
 * commit, and before the client is answered, every replica worker is told that its
 * shards are committed (commit-notifier.ts); a notice that cannot be delivered is
 * queued for the repair loop and does not fail the upload.
 */
import {
  encodeFlightData,
  encodeSchema,
  FlightDataDecoder,
  FlightDataEncoder,
  type FlightDataFrame,
  FlightError,
} from "@flight-cluster/protocol";
import type { DatasetVersion, Registry, ShardSpec, WorkerInfo } from "@flight-cluster/registry";
import type { Schema } from "apache-arrow";
import { type CommitNotifier, createCommitNotifier } from "./commit-notifier.js";
import { quoteForMessage, validateDatasetName } from "./dataset-name.js";
import { noopPlannerMetrics, type PlannerMetrics } from "./metrics.js";
import { placeReplicas } from "./placement.js";
import { PlannerError } from "./planner-error.js";
import { type PlannerLogger, silentPlannerLogger } from "./planner-logger.js";
import { toFlightError } from "./registry-errors.js";
import { ShardCutter } from "./shard-cutter.js";
import { ShardForwarder, type ShardTarget } from "./shard-forwarder.js";
import { discardUpload, type PossibleShard } from "./upload-cleanup.js";
import { shardIdFor } from "./upload-ids.js";
import type { WorkerTransport } from "./worker-transport.js";

/** Where an upload's frames come from (the server's DoPut reader). */
export interface FrameSource {
  /** Next raw frame, or undefined at the end. Rejects with a FlightError (e.g. CANCELLED). */
  readFrame(): Promise<FlightDataFrame | undefined>;
}

/** What a committed upload produced (also the JSON of the PutResult sent to the client). */
export interface UploadSummary {
  readonly dataset: string;
  readonly version: number;
  readonly uploadId: string;
  readonly shards: number;
  readonly rows: number;
  /** Stored bytes of one copy (sum of shard file sizes). */
  readonly bytes: number;
  readonly replicas: number;
}

/** Options of {@link createUploadCoordinator}. */
export interface UploadCoordinatorOptions {
  readonly registry: Registry;
  readonly transport: WorkerTransport;
  /** Copies of each shard (R). */
  readonly replicas: number;
  /** Target shard size in Arrow body bytes. */
  readonly shardTargetBytes: number;
  /** Largest FlightData message sent to a worker, in bytes. */
  readonly maxMessageBytes: number;
  /** Lifetime of a pending upload in the registry, renewed every third of it while data flows, in ms. */
  readonly uploadTtlMs: number;
  /** Shards waiting for their replicas' answers while the next shard streams (default 2). */
  readonly maxShardsFinishing?: number;
  /** Sends commit notices to replica workers (default: a notifier of its own; share the planner's). */
  readonly notifier?: CommitNotifier;
  readonly metrics?: PlannerMetrics;
  readonly logger?: PlannerLogger;
}

/** Takes whole datasets through the planner. */
export interface UploadCoordinator {
  /**
   * Store the stream as a new version of `dataset` and commit it.
   * @throws PlannerError `PLANNER_INVALID_DATASET_NAME`, `PLANNER_SCHEMA_MISMATCH`
   *   (no schema), `PLANNER_NOT_ENOUGH_WORKERS`, `PLANNER_REPLICA_FAILED`,
   *   `PLANNER_REPLICA_MISMATCH`; FlightError INVALID_ARGUMENT for malformed data or a
   *   schema change mid-stream; CANCELLED when `signal` aborts. Nothing stays stored.
   */
  ingest(dataset: string, source: FrameSource, signal: AbortSignal): Promise<UploadSummary>;
}

const EMPTY = new Uint8Array(0);

/** Create an {@link UploadCoordinator}. */
export function createUploadCoordinator(options: UploadCoordinatorOptions): UploadCoordinator {
  const metrics = options.metrics ?? noopPlannerMetrics;
  const logger = options.logger ?? silentPlannerLogger;
  const notifier =
    options.notifier ??
    createCommitNotifier({ registry: options.registry, transport: options.transport, metrics, logger });
  return {
    async ingest(datasetName, source, signal) {
      const dataset = validateDatasetName(datasetName);
      const upload = await options.registry.beginUpload(dataset, options.uploadTtlMs, signal).catch(rethrow);
      const run = new IngestRun(options, dataset, upload.id, upload.version, signal, logger);
      let committed: DatasetVersion;
      try {
        committed = await run.execute(source);
      } catch (error) {
        run.cancel();
        const failure = signal.aborted ? FlightError.from(signal.reason ?? error) : toFlightError(error);
        logger.log("warn", "upload_failed", { dataset, uploadId: upload.id, error: failure });
        await discardUpload(
          { registry: options.registry, transport: options.transport, logger },
          upload.id,
          run.opened,
        );
        metrics.uploadFinished("aborted", 0, 0);
        throw failure;
      } finally {
        run.stop();
      }
      // Committed: nothing below may abort the upload. Never throws.
      const notices = await notifier.notify(upload.id, committed);
      const summary: UploadSummary = {
        dataset,
        version: committed.version,
        uploadId: upload.id,
        shards: committed.shards.length,
        rows: committed.totalRows,
        bytes: committed.totalBytes,
        replicas: options.replicas,
      };
      metrics.uploadFinished("committed", summary.rows, summary.bytes);
      logger.log("info", "upload_committed", {
        ...summary,
        notified: notices.delivered,
        noticesMissed: notices.missed,
      });
      return summary;
    },
  };
}

function rethrow(error: unknown): never {
  throw toFlightError(error);
}

/** One upload in progress. */
class IngestRun {
  /** Every shard opened, with its planned replicas: what cleanup must delete. */
  readonly opened: PossibleShard[] = [];
  readonly #options: UploadCoordinatorOptions;
  readonly #dataset: string;
  readonly #uploadId: string;
  readonly #version: number;
  readonly #signal: AbortSignal;
  readonly #renewTimer: NodeJS.Timeout;
  readonly #finishing: Array<{ forwarder: ShardForwarder; done: Promise<ShardSpec> }> = [];
  readonly #shards: ShardSpec[] = [];
  #current: { forwarder: ShardForwarder; encoder: FlightDataEncoder } | undefined;
  #failure: unknown;
  #workers: WorkerInfo[] = [];

  constructor(
    options: UploadCoordinatorOptions,
    dataset: string,
    uploadId: string,
    version: number,
    signal: AbortSignal,
    logger: PlannerLogger,
  ) {
    this.#options = options;
    this.#dataset = dataset;
    this.#uploadId = uploadId;
    this.#version = version;
    this.#signal = signal;
    const every = Math.max(50, Math.floor(options.uploadTtlMs / 3));
    this.#renewTimer = setInterval(() => {
      options.registry.renewUpload(uploadId, options.uploadTtlMs).catch((error: unknown) => {
        logger.log("warn", "upload_renew_failed", { uploadId, error });
      });
    }, every);
    this.#renewTimer.unref();
  }

  /** Stream, store and commit; resolves with the committed version. */
  async execute(source: FrameSource): Promise<DatasetVersion> {
    const { registry, replicas, shardTargetBytes, maxMessageBytes } = this.#options;
    this.#workers = await registry.listWorkers(this.#signal).catch(rethrow);
    const distinct = new Set(this.#workers.map((worker) => worker.id)).size;
    if (distinct < replicas) {
      throw new PlannerError(
        "PLANNER_NOT_ENOUGH_WORKERS",
        `dataset ${quoteForMessage(this.#dataset)} needs ${replicas} live workers for ${replicas} replicas; ${distinct} are live`,
      );
    }
    const decoder = new FlightDataDecoder();
    let schema: Schema | undefined;
    let cutter: ShardCutter | undefined;
    for (;;) {
      this.#check();
      const frame = await source.readFrame();
      if (frame === undefined) break;
      if (frame.header.byteLength === 0) continue;
      const decoded = decoder.decode(frame);
      if (decoded.kind === "schema") {
        if (schema === undefined) {
          schema = decoded.schema;
          const forwardFrames = schema.dictionaries.size === 0;
          cutter = new ShardCutter({ targetBytes: shardTargetBytes, maxMessageBytes, forwardFrames });
        }
        continue;
      }
      if (decoded.kind !== "batch" || schema === undefined || cutter === undefined) continue;
      for (const step of cutter.batch(decoded.batch, frame)) {
        if (step.kind === "break") {
          this.#closeCurrent();
          await this.#throttle();
          continue;
        }
        const current = this.#current ?? (await this.#open(schema));
        if (step.kind === "frame") {
          const message = encodeFlightData({ header: step.frame.header, body: step.frame.body, appMetadata: EMPTY });
          await current.forwarder.write(message, step.rows);
        } else {
          const frames = current.encoder.encodeBatch(step.batch);
          for (let i = 0; i < frames.length; i++) {
            await current.forwarder.write(
              encodeFlightData(frames[i] as FlightDataFrame),
              i === frames.length - 1 ? step.rows : 0,
            );
          }
        }
      }
    }
    if (schema === undefined) {
      throw new PlannerError(
        "PLANNER_SCHEMA_MISMATCH",
        "the upload ended without a schema message; nothing was stored",
      );
    }
    // A dataset with no rows still has one (empty) shard carrying its schema.
    if (this.#current === undefined && this.opened.length === 0) await this.#open(schema);
    this.#closeCurrent();
    for (const entry of this.#finishing) this.#shards.push(await entry.done);
    this.#finishing.length = 0;
    this.#check();
    const shards = [...this.#shards].sort((a, b) => a.index - b.index);
    return registry.commitUpload(this.#uploadId, { schema: encodeSchema(schema), shards }, this.#signal).catch(rethrow);
  }

  async #open(schema: Schema): Promise<{ forwarder: ShardForwarder; encoder: FlightDataEncoder }> {
    const index = this.opened.length;
    const shardId = shardIdFor(this.#uploadId, index);
    const chosen = placeReplicas(shardId, this.#workers, this.#options.replicas);
    if (chosen.length < this.#options.replicas) {
      throw new PlannerError("PLANNER_NOT_ENOUGH_WORKERS", `shard ${shardId} found only ${chosen.length} workers`);
    }
    const target: ShardTarget = { shardId, index, replicas: chosen };
    this.opened.push({ id: shardId, replicas: chosen.map((worker) => worker.id) });
    const forwarder = await ShardForwarder.open(
      this.#options.transport,
      target,
      { uploadId: this.#uploadId, dataset: this.#dataset, version: this.#version },
      schema,
      this.#signal,
    );
    const encoder = new FlightDataEncoder(schema, { maxMessageBytes: this.#options.maxMessageBytes });
    this.#current = { forwarder, encoder };
    return this.#current;
  }

  #closeCurrent(): void {
    const current = this.#current;
    if (current === undefined) return;
    this.#current = undefined;
    const done = current.forwarder.finish().then(async (spec) => {
      await this.#options.registry.recordUploadShard(this.#uploadId, spec, this.#signal).catch(rethrow);
      return spec;
    });
    done.catch((error: unknown) => {
      this.#failure ??= error;
    });
    this.#finishing.push({ forwarder: current.forwarder, done });
  }

  /** Wait for the oldest finishing shards until at most `maxShardsFinishing` remain. */
  async #throttle(): Promise<void> {
    const limit = this.#options.maxShardsFinishing ?? 2;
    while (this.#finishing.length > limit) {
      const oldest = this.#finishing.shift();
      if (oldest !== undefined) this.#shards.push(await oldest.done);
    }
  }

  #check(): void {
    this.#signal.throwIfAborted();
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Cancel every open replica stream. */
  cancel(): void {
    this.#current?.forwarder.cancel();
    for (const entry of this.#finishing) entry.forwarder.cancel();
  }

  /** Stop renewing the pending upload. */
  stop(): void {
    clearInterval(this.#renewTimer);
  }
}
