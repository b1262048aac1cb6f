/**
 * Write plans for direct uploads (our client's parallel `put`): `begin_upload`,
 * `plan_shards`, `commit_upload`, `abort_upload` (docs/architecture.md, "Uploads").
 *
 * The client asks for a plan, sends every shard straight to its replica workers with
 * put-shard DoPuts (the workers record each stored replica in the registry), then asks
 * the planner to commit. The planner keeps nothing between calls: shard ids are
 * `<uploadId>.<index>` and placement is a pure function of the shard id and the live
 * workers, so any planner answers `plan_shards` identically, and commit verifies what
 * the workers recorded rather than trusting the client. After the registry commit and
 * before `commit_upload` answers, every replica worker is told that its shards are
 * committed (commit-notifier.ts); undelivered notices do not fail the commit.
 */
import { decodeSchema, encodeSchema, FlightError } from "@flight-cluster/protocol";
import type { Registry, ShardSpec, WorkerInfo } from "@flight-cluster/registry";
import { parseActionFields } from "./action-body.js";
import { type CommitNotifier, createCommitNotifier } from "./commit-notifier.js";
import { quoteForMessage, validateDatasetName } from "./dataset-name.js";
import { noopPlannerMetrics, type PlannerMetrics } from "./metrics.js";
import { placeReplicas } from "./placement.js";
import { PlannerError } from "./planner-error.js";
import { type PlannerLogger, silentPlannerLogger } from "./planner-logger.js";
import { toFlightError } from "./registry-errors.js";
import { deleteShardReplicas, discardUpload } from "./upload-cleanup.js";
import type { UploadSummary } from "./upload-coordinator.js";
import { MAX_SHARDS_PER_UPLOAD, shardIdFor } from "./upload-ids.js";
import type { WorkerTransport } from "./worker-transport.js";

/** Most shards planned by one `plan_shards` call. */
export const MAX_SHARDS_PER_PLAN = 10_000;

/** Answer of `begin_upload`. */
export interface BeginUploadResult {
  readonly uploadId: string;
  readonly version: number;
  /** When the pending upload lapses unless renewed (ms since epoch); `plan_shards` renews it. */
  readonly expiresAt: number;
  /** Replicas per shard the plan will ask for. */
  readonly replicas: number;
  /** Suggested shard size in Arrow body bytes. */
  readonly shardTargetBytes: number;
}

/** One planned replica. */
export interface PlannedReplica {
  readonly workerId: string;
  readonly zone: string;
  /** The worker's preferred location URI. */
  readonly location: string;
}

/** One entry of `plan_shards`' answer. */
export interface PlannedShard {
  readonly shardId: string;
  readonly index: number;
  readonly replicas: readonly PlannedReplica[];
}

/** Answer of `abort_upload`. */
export interface AbortUploadResult {
  readonly uploadId: string;
  readonly aborted: boolean;
  readonly deleted: number;
  readonly skipped: number;
  /** True when the upload turned out to be committed (nothing was deleted). */
  readonly committed?: boolean;
}

/** Options of {@link createWritePlanner}. */
export interface WritePlannerOptions {
  readonly registry: Registry;
  readonly transport: WorkerTransport;
  readonly replicas: number;
  readonly shardTargetBytes: number;
  readonly uploadTtlMs: number;
  /** Largest action body accepted, in bytes. */
  readonly maxActionBodyBytes: number;
  /** Sends commit notices to replica workers (default: a notifier of its own; share the planner's). */
  readonly notifier?: CommitNotifier;
  readonly metrics?: PlannerMetrics;
  readonly logger?: PlannerLogger;
}

/** The four write-plan actions, taking raw action bodies. Every method throws FlightErrors. */
export interface WritePlanner {
  /** `begin_upload` `{dataset}`. */
  begin(body: Uint8Array, signal?: AbortSignal): Promise<BeginUploadResult>;
  /** `plan_shards` `{uploadId, count, firstIndex?}`: also renews the pending upload. */
  planShards(body: Uint8Array, signal?: AbortSignal): Promise<PlannedShard[]>;
  /**
   * `commit_upload` `{uploadId, schema (base64 IPC), shards: [{shardId, index}]}`.
   * @throws PlannerError `PLANNER_UPLOAD_INCOMPLETE` (FAILED_PRECONDITION) naming a shard
   *   with fewer than R recorded replicas; `PLANNER_INVALID_ACTION_BODY` for a bad body.
   */
  commit(body: Uint8Array, signal?: AbortSignal): Promise<UploadSummary>;
  /** `abort_upload` `{uploadId}`: idempotent. */
  abort(body: Uint8Array, signal?: AbortSignal): Promise<AbortUploadResult>;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function rethrow(error: unknown): never {
  throw toFlightError(error);
}

/** Create a {@link WritePlanner}. */
export function createWritePlanner(options: WritePlannerOptions): WritePlanner {
  const { registry, replicas, maxActionBodyBytes: maxBytes } = options;
  const metrics = options.metrics ?? noopPlannerMetrics;
  const logger = options.logger ?? silentPlannerLogger;
  const notifier =
    options.notifier ?? createCommitNotifier({ registry, transport: options.transport, metrics, logger });

  function located(worker: WorkerInfo): PlannedReplica {
    return { workerId: worker.id, zone: worker.zone, location: worker.locations[0] ?? "" };
  }

  return {
    async begin(body, signal) {
      const dataset = validateDatasetName(
        parseActionFields("begin_upload", body, maxBytes, ["dataset"]).string("dataset"),
      );
      const upload = await registry.beginUpload(dataset, options.uploadTtlMs, signal).catch(rethrow);
      logger.log("info", "upload_begun", { dataset, uploadId: upload.id, version: upload.version });
      return {
        uploadId: upload.id,
        version: upload.version,
        expiresAt: upload.expiresAt,
        replicas,
        shardTargetBytes: options.shardTargetBytes,
      };
    },

    async planShards(body, signal) {
      const fields = parseActionFields("plan_shards", body, maxBytes, ["uploadId", "count", "firstIndex"]);
      const uploadId = fields.string("uploadId");
      const count = fields.integer("count", 1, MAX_SHARDS_PER_PLAN);
      const firstIndex = fields.optionalInteger("firstIndex", 0, MAX_SHARDS_PER_UPLOAD - 1) ?? 0;
      if (firstIndex + count > MAX_SHARDS_PER_UPLOAD) {
        throw new PlannerError(
          "PLANNER_INVALID_ACTION_BODY",
          `plan_shards: firstIndex + count exceeds ${MAX_SHARDS_PER_UPLOAD} shards per dataset version`,
        );
      }
      await registry.renewUpload(uploadId, options.uploadTtlMs, signal).catch(rethrow);
      const workers = await registry.listWorkers(signal).catch(rethrow);
      const plans: PlannedShard[] = [];
      for (let index = firstIndex; index < firstIndex + count; index++) {
        const shardId = shardIdFor(uploadId, index);
        const chosen = placeReplicas(shardId, workers, replicas);
        if (chosen.length < replicas) {
          throw new PlannerError(
            "PLANNER_NOT_ENOUGH_WORKERS",
            `plan_shards: ${replicas} replicas need ${replicas} live workers; ${chosen.length} are live`,
          );
        }
        plans.push({ shardId, index, replicas: chosen.map(located) });
      }
      return plans;
    },

    async commit(body, signal) {
      const fields = parseActionFields("commit_upload", body, maxBytes, ["uploadId", "schema", "shards"]);
      const uploadId = fields.string("uploadId");
      const schemaText = fields.string("schema");
      const requested = fields.array("shards", MAX_SHARDS_PER_UPLOAD).map((entry, i) => shardRef(uploadId, entry, i));
      if (requested.length === 0) {
        throw new PlannerError("PLANNER_INVALID_ACTION_BODY", 'commit_upload: field "shards" is empty');
      }
      const schema = canonicalSchema(schemaText);
      checkIndexes(requested.map((ref) => ref.index));
      const upload = await registry.getUpload(uploadId, signal).catch(rethrow);
      if (upload === null) {
        throw new PlannerError(
          "PLANNER_UPLOAD_NOT_FOUND",
          `upload ${quoteForMessage(uploadId)} is not pending (never begun, committed or aborted)`,
        );
      }
      const recorded = new Map(upload.shards.map((shard) => [shard.id, shard]));
      const shards: ShardSpec[] = requested.map(({ shardId, index }) => {
        const shard = recorded.get(shardId);
        const have = shard?.replicas.length ?? 0;
        if (shard === undefined || have < replicas) {
          throw new PlannerError(
            "PLANNER_UPLOAD_INCOMPLETE",
            `commit_upload: shard ${index} (${shardId}) has ${have} of ${replicas} replicas recorded by workers` +
              (shard === undefined ? "" : ` (${shard.replicas.join(", ")})`),
          );
        }
        return { ...shard, index };
      });
      const committed = await registry.commitUpload(uploadId, { schema, shards }, signal).catch(rethrow);
      const extra = upload.shards.filter((shard) => !requested.some((ref) => ref.shardId === shard.id));
      if (extra.length > 0) {
        // Stored but not part of the commit: delete them (their upload is gone now).
        void deleteShardReplicas({ registry, transport: options.transport, logger }, extra, { uploadId });
      }
      // Never throws: an undelivered notice is queued for the repair loop.
      const notices = await notifier.notify(uploadId, committed);
      const summary: UploadSummary = {
        dataset: committed.name,
        version: committed.version,
        uploadId,
        shards: committed.shards.length,
        rows: committed.totalRows,
        bytes: committed.totalBytes,
        replicas,
      };
      metrics.uploadFinished("committed", summary.rows, summary.bytes);
      logger.log("info", "upload_committed", {
        ...summary,
        direct: true,
        notified: notices.delivered,
        noticesMissed: notices.missed,
      });
      return summary;
    },

    async abort(body, signal) {
      signal?.throwIfAborted();
      const uploadId = parseActionFields("abort_upload", body, maxBytes, ["uploadId"]).string("uploadId");
      const report = await discardUpload({ registry, transport: options.transport, logger }, uploadId);
      if (report.aborted) metrics.uploadFinished("aborted", 0, 0);
      return { uploadId, ...report };
    },
  };
}

function shardRef(uploadId: string, entry: unknown, i: number): { shardId: string; index: number } {
  const bad = (message: string): never => {
    throw new PlannerError("PLANNER_INVALID_ACTION_BODY", `commit_upload: shards[${i}] ${message}`);
  };
  if (typeof entry !== "object" || entry === null || Array.isArray(entry))
    return bad("must be an object {shardId, index}");
  const { shardId, index, ...rest } = entry as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) bad(`has unknown field ${quoteForMessage(unknown)}`);
  if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0)
    bad("index must be a non-negative integer");
  if (typeof shardId !== "string") return bad("shardId must be a string");
  if (shardId !== shardIdFor(uploadId, index as number)) {
    bad(`shardId ${quoteForMessage(shardId)} is not shard ${index} of upload ${quoteForMessage(uploadId)}`);
  }
  return { shardId, index: index as number };
}

function checkIndexes(indexes: readonly number[]): void {
  const seen = new Set(indexes);
  for (let i = 0; i < indexes.length; i++) {
    if (!seen.has(i)) {
      throw new PlannerError(
        "PLANNER_INVALID_ACTION_BODY",
        `commit_upload: shard indexes must be 0..${indexes.length - 1} each exactly once; ${i} is missing`,
      );
    }
  }
}

/** Decode the client's base64 IPC schema and re-encode it, so both upload paths store identical bytes. */
function canonicalSchema(text: string): Uint8Array {
  if (!BASE64.test(text)) {
    throw new PlannerError("PLANNER_INVALID_ACTION_BODY", 'commit_upload: field "schema" must be base64');
  }
  try {
    return encodeSchema(decodeSchema(Buffer.from(text, "base64")));
  } catch (error) {
    const detail = error instanceof FlightError ? `: ${error.rawMessage}` : "";
    throw new PlannerError(
      "PLANNER_INVALID_ACTION_BODY",
      `commit_upload: field "schema" is not an encapsulated Arrow IPC schema message${detail}`,
      { cause: error },
    );
  }
}
