/**
 * The worker's actions (docs/architecture.md, "Actions (worker)"):
 *
 * | action | body | result |
 * | --- | --- | --- |
 * | `shard.list` | empty | JSON array of the shards held (manifest entries without schemas) |
 * | `shard.delete` | JSON `{shardId}` | JSON `{shardId, deleted}` |
 * | `shard.copy_from` | JSON `{shardId, dataset, version, index, location, ticket}` | JSON `{shardId, rows, bytes, digest}` |
 * | `shard.commit` | JSON `{uploadId, dataset, version, shardCount, committedAt, shardIds}` | JSON `{uploadId, marked, already, notHeld}` (shard-commit.ts) |
 *
 * `shard.copy_from` (repair) DoGets the shard from another worker's `location` with
 * `ticket`, stores it byte for byte, and keeps it only if its digest equals the one
 * the catalog records; the caller then adds this worker to the shard's replicas.
 */
import {
  type Action,
  type ActionType,
  connect,
  FlightInvalidArgumentError,
  FlightNotFoundError,
  FlightUnimplementedError,
  parseLocation,
  type Result,
  type ServerCallContext,
} from "@flight-cluster/protocol";
import { checkDatasetName, checkInteger, checkShardId } from "./identifiers.js";
import type { WorkerOutcome } from "./metrics.js";
import { commitShards } from "./shard-commit.js";
import { storedShardJson } from "./shard-doput.js";
import { checkField as field, jsonResult as json, parseActionBody as parseBody } from "./worker-action-body.js";
import type { WorkerContext } from "./worker-context.js";

/** Names of the worker's actions. */
export const WorkerActionType = {
  list: "shard.list",
  delete: "shard.delete",
  copyFrom: "shard.copy_from",
  commit: "shard.commit",
} as const;

/** The actions a worker offers (ListActions). */
export const WORKER_ACTIONS: readonly ActionType[] = [
  { type: WorkerActionType.list, description: "List the shards this worker holds (JSON array)." },
  { type: WorkerActionType.delete, description: 'Delete a shard: JSON {"shardId"}.' },
  {
    type: WorkerActionType.copyFrom,
    description:
      'Copy a committed shard from another worker and verify its digest (repair): JSON {"shardId", "dataset", "version", "index", "location", "ticket"}.',
  },
  {
    type: WorkerActionType.commit,
    description:
      'Record durably that shards of an upload are committed (sent by the planner after it commits): JSON {"uploadId", "dataset", "version", "shardCount", "committedAt", "shardIds"}.',
  },
];

function listShards(wc: WorkerContext): Result[] {
  const shards = wc.store
    .list()
    .sort((a, b) =>
      a.dataset === b.dataset ? a.version - b.version || a.index - b.index : a.dataset < b.dataset ? -1 : 1,
    )
    .map(({ schema: _schema, ...rest }) => rest);
  return [json(shards)];
}

async function deleteShard(wc: WorkerContext, action: Action): Promise<Result[]> {
  wc.checkWritable();
  const body = parseBody(action, wc.options.maxRequestBytes);
  const shardId = field(action.type, () => checkShardId(body["shardId"]));
  const deleted = await wc.store.delete(shardId);
  if (deleted) wc.shardsChanged();
  return [json({ shardId, deleted })];
}

async function copyFrom(wc: WorkerContext, ctx: ServerCallContext, action: Action): Promise<Result[]> {
  wc.checkWritable();
  const body = parseBody(action, wc.options.maxRequestBytes);
  const shardId = field(action.type, () => checkShardId(body["shardId"]));
  const dataset = field(action.type, () => checkDatasetName(body["dataset"]));
  const version = field(action.type, () => checkInteger(body["version"], "version", 1));
  const index = field(action.type, () => checkInteger(body["index"], "index", 0));
  const location = body["location"];
  const ticket = body["ticket"];
  if (typeof location !== "string" || typeof ticket !== "string" || ticket.length === 0 || ticket.length > 256) {
    throw new FlightInvalidArgumentError(`${action.type}: "location" and "ticket" must be strings`);
  }
  try {
    const parsed = parseLocation(location);
    if (parsed.kind === "reuse") throw new Error("reuse-connection");
  } catch {
    throw new FlightInvalidArgumentError(
      `${action.type}: "location" ${JSON.stringify(location)} is not a worker location`,
    );
  }
  const catalog = await wc.registry.getShard(shardId, ctx.signal);
  if (catalog === null || catalog.dataset !== dataset || catalog.version !== version || catalog.index !== index) {
    throw new FlightNotFoundError(`shard ${shardId} of ${dataset} v${version} (index ${index}) is not in the catalog`);
  }
  const held = wc.store.get(shardId);
  if (held !== undefined && held.digest === catalog.digest) return [storedShardJson(held)].map((b) => ({ body: b }));
  const datasetVersion = await wc.registry.getDataset(dataset, version, ctx.signal);
  const committed = {
    shardCount: datasetVersion?.shards.length ?? index + 1,
    committedAt: datasetVersion?.createdAt ?? Date.now(),
  };
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(wc.options.copyTimeoutMs)]);
  const client = connect(location, wc.options.client);
  const activity = wc.activity.start("copy");
  let outcome: WorkerOutcome = "error";
  try {
    const reader = client.doGet(ticket, { signal });
    const frames = {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const frame = await reader.readFrame();
          if (frame === undefined) return;
          yield frame;
        }
      },
    };
    const entry = await wc.store.put({ shardId, dataset, version, index, uploadId: null }, frames, {
      signal,
      fromWorker: true,
      expectedDigest: catalog.digest,
      committed,
    });
    activity.addBytes(entry.bytes);
    wc.shardsChanged();
    wc.logger.log("info", "shard_copied", { shardId, dataset, version, from: location, bytes: entry.bytes });
    outcome = "ok";
    return [{ body: storedShardJson(entry) }];
  } catch (error) {
    if (signal.aborted) outcome = "cancelled";
    throw error;
  } finally {
    activity.finish(outcome);
    client.close();
  }
}

/**
 * Run a worker action. @throws FlightUnimplementedError for an unknown action,
 * FlightInvalidArgumentError for a bad body, and what the action itself throws.
 */
export async function runWorkerAction(wc: WorkerContext, ctx: ServerCallContext, action: Action): Promise<Result[]> {
  switch (action.type) {
    case WorkerActionType.list:
      return listShards(wc);
    case WorkerActionType.delete:
      return deleteShard(wc, action);
    case WorkerActionType.copyFrom:
      return copyFrom(wc, ctx, action);
    case WorkerActionType.commit:
      return commitShards(wc, ctx, action);
    default:
      throw new FlightUnimplementedError(
        `unknown action ${JSON.stringify(action.type.slice(0, 64))}; this worker offers ${WORKER_ACTIONS.map((a) => a.type).join(", ")}`,
      );
  }
}
