/**
 * Discarding an upload that will not commit: abort it in the registry and ask every
 * live worker that may hold one of its shards to delete it. Best-effort by design:
 * a worker that is down now deletes the files itself later (its orphan collection
 * removes shard files whose upload is neither pending nor committed).
 *
 * An upload found committed after all (a commit whose answer was lost: timeout,
 * cancellation after the write reached the registry) is never deleted: its files
 * are what the catalog points to.
 */
import { FlightError, StatusCode } from "@flight-cluster/protocol";
import type { Registry, WorkerInfo } from "@flight-cluster/registry";
import { type PlannerLogger, silentPlannerLogger } from "./planner-logger.js";
import { shardIdFor } from "./upload-ids.js";
import { encodeJson, WorkerAction } from "./worker-protocol.js";
import type { WorkerTransport } from "./worker-transport.js";

/** A shard that may exist on some workers. */
export interface PossibleShard {
  readonly id: string;
  readonly replicas: readonly string[];
}

/** What discarding did. */
export interface DiscardReport extends DeleteReport {
  /** Whether a pending upload was found and aborted in the registry. */
  readonly aborted: boolean;
  /** True when the upload turned out to be committed: nothing was deleted. */
  readonly committed?: boolean;
}

/** What {@link discardUpload} needs. */
export interface DiscardDeps {
  readonly registry: Registry;
  readonly transport: WorkerTransport;
  readonly logger?: PlannerLogger;
  /** Time allowed for the whole cleanup, in ms (default 30 000). */
  readonly timeoutMs?: number;
}

/** Parallel shard.delete calls at most. */
const DELETE_CONCURRENCY = 8;

/** Outcome of {@link deleteShardReplicas}. */
export interface DeleteReport {
  /** shard.delete calls that succeeded (or found nothing to delete). */
  readonly deleted: number;
  /** shard.delete calls that failed or went to workers that are not live (left to their GC). */
  readonly skipped: number;
}

/**
 * Ask every live worker listed for each shard to delete it (`shard.delete`), a few at a
 * time. Never throws: failures are logged with `context` and counted as skipped.
 */
export async function deleteShardReplicas(
  deps: DiscardDeps,
  shards: readonly PossibleShard[],
  context: Readonly<Record<string, unknown>> = {},
): Promise<DeleteReport> {
  const logger = deps.logger ?? silentPlannerLogger;
  const signal = AbortSignal.timeout(deps.timeoutMs ?? 30_000);
  const targets = new Map<string, Set<string>>();
  for (const shard of shards) {
    const set = targets.get(shard.id) ?? new Set<string>();
    for (const id of shard.replicas) set.add(id);
    targets.set(shard.id, set);
  }
  let live = new Map<string, WorkerInfo>();
  try {
    live = new Map((await deps.registry.listWorkers(signal)).map((worker) => [worker.id, worker]));
  } catch (error) {
    logger.log("warn", "shard_delete_workers_unavailable", { ...context, error });
  }
  const calls: Array<{ shardId: string; worker: WorkerInfo | undefined; workerId: string }> = [];
  for (const [shardId, workerIds] of targets) {
    for (const workerId of workerIds) calls.push({ shardId, workerId, worker: live.get(workerId) });
  }
  let deleted = 0;
  let skipped = 0;
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < calls.length) {
      const call = calls[next++] as (typeof calls)[number];
      if (call.worker === undefined) {
        skipped++;
        continue;
      }
      try {
        await deps.transport.doAction(call.worker, WorkerAction.delete, encodeJson({ shardId: call.shardId }), signal);
        deleted++;
      } catch (error) {
        // Not there: nothing to delete (the replica was never stored, or is gone already).
        if (error instanceof FlightError && error.code === StatusCode.NOT_FOUND) {
          deleted++;
          continue;
        }
        skipped++;
        logger.log("warn", "shard_delete_failed", {
          ...context,
          shardId: call.shardId,
          workerId: call.workerId,
          error,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, calls.length) }, run));
  return { deleted, skipped };
}

/**
 * Abort `uploadId` and delete its shards: those the registry recorded for it plus
 * `known` (shards the caller opened, which may not be recorded yet). Never throws.
 */
export async function discardUpload(
  deps: DiscardDeps,
  uploadId: string,
  known: readonly PossibleShard[] = [],
): Promise<DiscardReport> {
  const logger = deps.logger ?? silentPlannerLogger;
  // The caller's signal is usually the reason we are here (client cancelled): use our own.
  const signal = AbortSignal.timeout(deps.timeoutMs ?? 30_000);
  let aborted = false;
  const shards: PossibleShard[] = [...known];
  try {
    const info = await deps.registry.abortUpload(uploadId, signal);
    aborted = info !== null;
    if (info !== null) shards.push(...info.shards);
  } catch (error) {
    logger.log("warn", "upload_abort_failed", { uploadId, error });
  }
  if (!aborted && (await committedAfterAll(deps, uploadId, signal))) {
    logger.log("error", "upload_discard_refused", { uploadId, reason: "the upload is committed" });
    return { aborted, committed: true, deleted: 0, skipped: 0 };
  }
  const { deleted, skipped } = await deleteShardReplicas(deps, shards, { uploadId });
  logger.log("info", "upload_discarded", { uploadId, aborted, deleted, skipped });
  return { aborted, deleted, skipped };
}

/** Whether the catalog holds the upload's first shard (its commit took effect). False when unknown. */
async function committedAfterAll(deps: DiscardDeps, uploadId: string, signal: AbortSignal): Promise<boolean> {
  try {
    return (await deps.registry.getShard(shardIdFor(uploadId, 0), signal)) !== null;
  } catch (error) {
    (deps.logger ?? silentPlannerLogger).log("warn", "upload_commit_check_failed", { uploadId, error });
    return false;
  }
}
