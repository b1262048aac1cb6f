/**
 * DoPut on a worker: store one shard replica of a pending upload.
 *
 * The descriptor is a CMD with the JSON command
 * `{"op": "put-shard", "uploadId", "shardId", "index", "dataset", "version"}`
 * (docs/architecture.md, "Uploads"). The upload must be pending in the registry for
 * that dataset and version. The stream's messages are validated and stored (see
 * shard-store.ts); the stored replica is then recorded in the upload, and the worker
 * answers with one PutResult whose app_metadata is JSON `{shardId, rows, bytes, digest}`.
 * A failed or cancelled DoPut leaves no file and no manifest entry behind.
 */
import {
  FlightFailedPreconditionError,
  FlightInvalidArgumentError,
  type FlightMetadataWriter,
  FlightNotFoundError,
  type FlightStreamReader,
  type ServerCallContext,
} from "@flight-cluster/protocol";
import { checkDatasetName, checkInteger, checkShardId, checkUploadId } from "./identifiers.js";
import type { ManifestEntry } from "./manifest.js";
import type { WorkerOutcome } from "./metrics.js";
import type { IpcFrame } from "./shard-writer.js";
import { recordReplica } from "./upload-replica.js";
import type { WorkerContext } from "./worker-context.js";
import { WorkerInvalidArgumentError } from "./worker-errors.js";

/** The put-shard command of a worker DoPut. */
export interface PutShardCommand {
  readonly op: "put-shard";
  readonly uploadId: string;
  readonly shardId: string;
  readonly index: number;
  readonly dataset: string;
  readonly version: number;
}

const FIELDS = new Set(["op", "uploadId", "shardId", "index", "dataset", "version"]);

/**
 * Parse a put-shard command from CMD bytes of at most `maxBytes`.
 * @throws FlightInvalidArgumentError naming what is wrong (size, UTF-8, JSON, fields).
 */
export function parsePutShardCommand(cmd: Uint8Array, maxBytes: number): PutShardCommand {
  if (cmd.byteLength > maxBytes) {
    throw new FlightInvalidArgumentError(`put-shard command of ${cmd.byteLength} bytes exceeds ${maxBytes} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(cmd));
  } catch {
    throw new FlightInvalidArgumentError(
      'the DoPut CMD descriptor is not JSON; workers take {"op": "put-shard", "uploadId", "shardId", "index", "dataset", "version"}',
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FlightInvalidArgumentError("the put-shard command must be a JSON object");
  }
  const o = value as Record<string, unknown>;
  if (o["op"] !== "put-shard") {
    throw new FlightInvalidArgumentError(`unknown DoPut op ${JSON.stringify(o["op"])}; workers take "put-shard"`);
  }
  const extra = Object.keys(o).filter((k) => !FIELDS.has(k));
  if (extra.length > 0) throw new FlightInvalidArgumentError(`unknown put-shard fields ${JSON.stringify(extra)}`);
  try {
    return {
      op: "put-shard",
      uploadId: checkUploadId(o["uploadId"]),
      shardId: checkShardId(o["shardId"]),
      index: checkInteger(o["index"], "shard index", 0),
      dataset: checkDatasetName(o["dataset"]),
      version: checkInteger(o["version"], "version", 1),
    };
  } catch (error) {
    if (error instanceof WorkerInvalidArgumentError)
      throw new FlightInvalidArgumentError(`put-shard: ${error.message}`);
    throw error;
  }
}

async function* framesOf(reader: FlightStreamReader): AsyncGenerator<IpcFrame, void, undefined> {
  for (;;) {
    const frame = await reader.readFrame();
    if (frame === undefined) return;
    yield frame;
  }
}

/** The PutResult body of a stored replica. */
export function storedShardJson(entry: ManifestEntry): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({ shardId: entry.shardId, rows: entry.rows, bytes: entry.bytes, digest: entry.digest }),
  );
}

/**
 * Serve a put-shard DoPut.
 * @throws FlightInvalidArgumentError for a bad descriptor, command or stream;
 * FlightNotFoundError / FlightFailedPreconditionError when the upload is not pending;
 * WorkerError / RegistryError otherwise (mapped at the edge).
 */
export async function doPutShard(
  wc: WorkerContext,
  ctx: ServerCallContext,
  reader: FlightStreamReader,
  writer: FlightMetadataWriter,
): Promise<void> {
  wc.checkWritable();
  const descriptor = reader.descriptor;
  if (descriptor === undefined || descriptor.type !== "cmd") {
    throw new FlightInvalidArgumentError(
      "workers take DoPut with a put-shard CMD descriptor; upload datasets (PATH descriptors) through the planner",
    );
  }
  const command = parsePutShardCommand(descriptor.cmd, wc.options.maxRequestBytes);
  const upload = await wc.registry.getUpload(command.uploadId, ctx.signal);
  if (upload === null) {
    throw new FlightNotFoundError(`upload ${command.uploadId} is not pending (never begun, committed or aborted)`);
  }
  if (upload.expiresAt <= (await wc.registry.now(ctx.signal))) {
    throw new FlightFailedPreconditionError(`upload ${command.uploadId} has expired`);
  }
  if (upload.dataset !== command.dataset || upload.version !== command.version) {
    throw new FlightInvalidArgumentError(
      `put-shard names ${command.dataset} v${command.version} but upload ${command.uploadId} is ${upload.dataset} v${upload.version}`,
    );
  }
  const activity = wc.activity.start("doput");
  let outcome: WorkerOutcome = "error";
  try {
    const entry = await wc.store.put(
      {
        shardId: command.shardId,
        dataset: command.dataset,
        version: command.version,
        index: command.index,
        uploadId: command.uploadId,
      },
      framesOf(reader),
      { signal: ctx.signal, framesOwned: true },
    );
    activity.addBytes(entry.bytes);
    try {
      await recordReplica(wc.registry, { ...entry, uploadId: command.uploadId, workerId: wc.workerId }, ctx.signal);
    } catch (error) {
      await wc.store.delete(entry.shardId).catch(() => undefined);
      throw error;
    }
    wc.shardsChanged();
    await writer.write(storedShardJson(entry));
    outcome = "ok";
  } catch (error) {
    if (ctx.signal.aborted) outcome = "cancelled";
    throw error;
  } finally {
    activity.finish(outcome);
  }
}
