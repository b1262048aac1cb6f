/**
 * The worker action `shard.commit`: the planner, right after it committed an upload
 * in the registry and before it answers the client, tells every replica worker which
 * of the shards it holds are now committed. The worker marks those manifest entries
 * committed (with the version's shard count and commit time, which announcements
 * need) and answers only once the manifest is durable (temporary file, fsync, rename,
 * fsync of the directory), so a registry that loses its data right after the client's
 * acknowledgement can still be rebuilt from the workers' announcements.
 *
 * Body: JSON `{uploadId, dataset, version, shardCount, committedAt, shardIds}` (at most
 * {@link MAX_COMMIT_SHARD_IDS} ids). Answer: JSON `{uploadId, marked, already, notHeld}`:
 * entries newly marked, entries that were committed already, and ids this worker does
 * not hold (a replica lost meanwhile: not an error, the repair loop copies it back).
 *
 * Checks, all before anything is marked (so a refused notice changes nothing):
 * - the upload must not be pending in the registry (a pending upload is not committed):
 *   `WORKER_COMMIT_REFUSED`. When the registry cannot be asked, the planner is trusted;
 * - every held entry must belong to `dataset` and `version`, an uncommitted one to
 *   `uploadId`, and its index must be below `shardCount`: `WORKER_COMMIT_REFUSED`.
 *
 * The notice records a fact rather than changing data, so it is accepted in every state
 * (also while draining or fenced).
 */
import type { Action, Result, ServerCallContext } from "@flight-cluster/protocol";
import { checkDatasetName, checkInteger, checkShardId, checkUploadId } from "./identifiers.js";
import type { ManifestEntry } from "./manifest.js";
import { checkField, jsonResult, parseActionBody } from "./worker-action-body.js";
import type { WorkerContext } from "./worker-context.js";
import { ShardCommitRefusedError, ShardNotHeldError, WorkerInvalidArgumentError } from "./worker-errors.js";

/** Most shard ids in one `shard.commit` body. */
export const MAX_COMMIT_SHARD_IDS = 1000;

/** A parsed `shard.commit` body. */
export interface ShardCommitNotice {
  readonly uploadId: string;
  readonly dataset: string;
  readonly version: number;
  /** Shards in the committed dataset version. */
  readonly shardCount: number;
  /** When the version was committed (registry clock, ms since epoch). */
  readonly committedAt: number;
  readonly shardIds: readonly string[];
}

/** The answer of `shard.commit`. */
export interface ShardCommitAnswer {
  readonly uploadId: string;
  /** Entries marked committed by this notice. */
  readonly marked: number;
  /** Entries that were already committed. */
  readonly already: number;
  /** Listed shards this worker does not hold. */
  readonly notHeld: readonly string[];
}

const FIELDS = new Set(["uploadId", "dataset", "version", "shardCount", "committedAt", "shardIds"]);

/**
 * Validate a `shard.commit` body.
 * @throws WorkerInvalidArgumentError naming the first bad or unknown field.
 */
export function parseShardCommitNotice(body: Record<string, unknown>): ShardCommitNotice {
  const unknown = Object.keys(body).find((key) => !FIELDS.has(key));
  if (unknown !== undefined) throw new WorkerInvalidArgumentError(`unknown field ${JSON.stringify(unknown)}`);
  const ids = body["shardIds"];
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_COMMIT_SHARD_IDS) {
    throw new WorkerInvalidArgumentError(`"shardIds" must be an array of 1..${MAX_COMMIT_SHARD_IDS} shard ids`);
  }
  const shardIds = ids.map((id) => checkShardId(id));
  if (new Set(shardIds).size !== shardIds.length) throw new WorkerInvalidArgumentError(`"shardIds" repeats an id`);
  return {
    uploadId: checkUploadId(body["uploadId"]),
    dataset: checkDatasetName(body["dataset"]),
    version: checkInteger(body["version"], "version", 1),
    shardCount: checkInteger(body["shardCount"], "shardCount", 1),
    committedAt: checkInteger(body["committedAt"], "committedAt", 0),
    shardIds,
  };
}

/** Why `entry` cannot be part of `notice`, or undefined when it can. */
function contradiction(entry: ManifestEntry, notice: ShardCommitNotice): string | undefined {
  if (entry.dataset !== notice.dataset || entry.version !== notice.version) {
    return `is held for ${entry.dataset} v${entry.version}, not ${notice.dataset} v${notice.version}`;
  }
  if (!entry.committed && entry.uploadId !== notice.uploadId) {
    return `was stored by upload ${entry.uploadId ?? "(repair copy)"}, not ${notice.uploadId}`;
  }
  if (entry.index >= notice.shardCount) {
    return `has index ${entry.index}, outside the version's ${notice.shardCount} shards`;
  }
  return undefined;
}

/** Ask the registry whether the upload is still pending; unknown (null) when it cannot answer. */
async function stillPending(wc: WorkerContext, ctx: ServerCallContext, uploadId: string): Promise<boolean | null> {
  try {
    return (await wc.registry.getUpload(uploadId, ctx.signal)) !== null;
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    wc.logger.log("warn", "shard_commit_unverified", { uploadId, error });
    return null;
  }
}

/**
 * Run `shard.commit` (see the file comment).
 * @throws FlightInvalidArgumentError for a malformed body; ShardCommitRefusedError
 *   (FAILED_PRECONDITION) when the notice contradicts the registry or the manifest;
 *   the file system's error when the manifest cannot be written (nothing is answered).
 */
export async function commitShards(wc: WorkerContext, ctx: ServerCallContext, action: Action): Promise<Result[]> {
  const body = parseActionBody(action, wc.options.maxRequestBytes);
  const notice = checkField(action.type, () => parseShardCommitNotice(body));
  if ((await stillPending(wc, ctx, notice.uploadId)) === true) {
    throw new ShardCommitRefusedError(
      `${action.type}: upload ${notice.uploadId} is still pending in the registry (not committed); nothing was marked`,
    );
  }
  const toMark: ManifestEntry[] = [];
  const notHeld: string[] = [];
  let already = 0;
  for (const shardId of notice.shardIds) {
    const entry = wc.store.get(shardId);
    if (entry === undefined) {
      notHeld.push(shardId);
      continue;
    }
    const problem = contradiction(entry, notice);
    if (problem !== undefined) {
      throw new ShardCommitRefusedError(`${action.type}: shard ${shardId} ${problem}; nothing was marked`);
    }
    if (entry.committed && entry.shardCount === notice.shardCount) already++;
    else toMark.push(entry);
  }
  const info = { shardCount: notice.shardCount, committedAt: notice.committedAt };
  // Concurrent manifest changes are group-committed: one or two durable writes in all.
  const outcomes = await Promise.allSettled(toMark.map((entry) => wc.store.markCommitted(entry.shardId, info)));
  let marked = 0;
  for (const [i, outcome] of outcomes.entries()) {
    if (outcome.status === "fulfilled") marked++;
    else if (outcome.reason instanceof ShardNotHeldError) notHeld.push((toMark[i] as ManifestEntry).shardId);
    else throw outcome.reason;
  }
  if (marked > 0) wc.shardsChanged();
  wc.logger.log("info", "shards_committed", {
    uploadId: notice.uploadId,
    dataset: notice.dataset,
    version: notice.version,
    marked,
    already,
    notHeld: notHeld.length,
  });
  const answer: ShardCommitAnswer = { uploadId: notice.uploadId, marked, already, notHeld };
  return [jsonResult(answer)];
}
