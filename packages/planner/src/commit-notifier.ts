/**
 * Commit notices: after an upload commits in the registry, and before the client is
 * answered, every replica worker is told which of its shards are now committed
 * (worker action `shard.commit`). The worker answers once its manifest records them
 * durably, so its next announcement carries them and a catalog rebuild after the
 * registry lost its data restores the version the client was told about.
 *
 * A notice that cannot be delivered (worker down, timeout) does not fail the commit:
 * it is logged, counted (`PlannerMetrics.commitNotice("missed")`) and queued in this
 * process, and the repair loop re-sends queued notices on every pass until they are
 * delivered or `retainMs` old. A worker also learns the commit on its own on its next
 * orphan-collection pass, as long as the registry still holds the catalog; the queue
 * covers the case where it does not. Refusals (the worker's manifest contradicts the
 * notice) and workers without the action are not retried.
 */
import { FlightError, StatusCode } from "@flight-cluster/protocol";
import type { DatasetVersion, Registry, WorkerInfo } from "@flight-cluster/registry";
import { type CommitNoticeOutcome, noopPlannerMetrics, type PlannerMetrics } from "./metrics.js";
import { type PlannerLogger, silentPlannerLogger } from "./planner-logger.js";
import { encodeJson } from "./worker-protocol.js";
import type { WorkerTransport } from "./worker-transport.js";

/** The worker action carrying a commit notice. */
export const SHARD_COMMIT_ACTION = "shard.commit";

/** Shard ids per `shard.commit` call (well under the worker's 64 KiB body limit). */
export const NOTICE_SHARD_IDS_PER_CALL = 256;

/** Body of `shard.commit`. */
export interface CommitNoticeBody {
  readonly uploadId: string;
  readonly dataset: string;
  readonly version: number;
  /** Shards of the committed version. */
  readonly shardCount: number;
  /** When the version was committed (registry clock, ms since epoch). */
  readonly committedAt: number;
  /** The shards of the version this worker holds. */
  readonly shardIds: readonly string[];
}

/** Worker notices of one commit or one resend pass. */
export interface NoticeReport {
  /** Notices the workers acknowledged. */
  readonly delivered: number;
  /** Notices not delivered now (queued for the repair loop unless refused). */
  readonly missed: number;
  /** Notices given up (refused, too old, or pushed out of a full queue). */
  readonly abandoned: number;
}

/** Options of {@link createCommitNotifier}. */
export interface CommitNotifierOptions {
  readonly registry: Registry;
  readonly transport: WorkerTransport;
  /** Deadline of one `shard.commit` call, ms (default 5 000). */
  readonly timeoutMs?: number;
  /** Most undelivered notices kept for resending; the oldest goes first (default 10 000). */
  readonly maxQueued?: number;
  /** How long an undelivered notice is resent before it is abandoned, ms (default 3 600 000). */
  readonly retainMs?: number;
  readonly metrics?: PlannerMetrics;
  readonly logger?: PlannerLogger;
  /** Local clock, ms (default Date.now). */
  readonly now?: () => number;
}

/** Sends commit notices and keeps the undelivered ones for the repair loop. */
export interface CommitNotifier {
  /**
   * Tell every replica worker of `committed` which of its shards are committed. Resolves
   * when each worker answered or failed; never throws.
   */
  notify(uploadId: string, committed: DatasetVersion): Promise<NoticeReport>;
  /** Re-send queued notices to the workers that are live now. Never throws except for `signal`. */
  resendQueued(signal?: AbortSignal): Promise<NoticeReport>;
  /** Notices waiting to be resent. */
  readonly queued: number;
}

interface Queued {
  readonly workerId: string;
  readonly body: CommitNoticeBody;
  readonly firstMissedAt: number;
}

/** Parallel notices at most. */
const CONCURRENCY = 8;

type Delivery = "delivered" | "retry" | "refused";

/** Create a {@link CommitNotifier}. */
export function createCommitNotifier(options: CommitNotifierOptions): CommitNotifier {
  const { registry, transport } = options;
  const metrics = options.metrics ?? noopPlannerMetrics;
  const logger = options.logger ?? silentPlannerLogger;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxQueued = options.maxQueued ?? 10_000;
  const retainMs = options.retainMs ?? 3_600_000;
  const now = options.now ?? Date.now;
  const queue = new Map<string, Queued>();

  const count = (outcome: CommitNoticeOutcome, n = 1) => {
    for (let i = 0; i < n; i++) metrics.commitNotice(outcome);
  };

  /** Queue a missed notice; returns how many older notices were pushed out. */
  function enqueue(entry: Queued): number {
    const key = `${entry.body.uploadId}/${entry.workerId}`;
    queue.delete(key);
    queue.set(key, entry);
    let dropped = 0;
    for (const [oldest, value] of queue) {
      if (queue.size <= maxQueued) break;
      queue.delete(oldest);
      dropped++;
      logger.log("error", "commit_notice_abandoned", {
        workerId: value.workerId,
        uploadId: value.body.uploadId,
        reason: "queue full",
      });
    }
    return dropped;
  }

  async function deliver(worker: WorkerInfo, body: CommitNoticeBody, signal?: AbortSignal): Promise<Delivery> {
    const fields = { workerId: worker.id, uploadId: body.uploadId, dataset: body.dataset, version: body.version };
    try {
      for (let at = 0; at < body.shardIds.length; at += NOTICE_SHARD_IDS_PER_CALL) {
        const part = { ...body, shardIds: body.shardIds.slice(at, at + NOTICE_SHARD_IDS_PER_CALL) };
        const callSignal =
          signal === undefined
            ? AbortSignal.timeout(timeoutMs)
            : AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
        const [answer] = await transport.doAction(worker, SHARD_COMMIT_ACTION, encodeJson(part), callSignal);
        const notHeld = notHeldIn(answer);
        if (notHeld.length > 0) logger.log("warn", "commit_notice_not_held", { ...fields, notHeld });
      }
      return "delivered";
    } catch (error) {
      signal?.throwIfAborted();
      const permanent =
        error instanceof FlightError &&
        (error.code === StatusCode.FAILED_PRECONDITION ||
          error.code === StatusCode.INVALID_ARGUMENT ||
          error.code === StatusCode.UNIMPLEMENTED);
      logger.log(permanent ? "error" : "warn", permanent ? "commit_notice_refused" : "commit_notice_failed", {
        ...fields,
        error,
      });
      return permanent ? "refused" : "retry";
    }
  }

  /** Run `task` over `items`, a few at a time. */
  async function each<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const run = async () => {
      while (next < items.length) await task(items[next++] as T);
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, run));
  }

  async function liveWorkers(signal?: AbortSignal): Promise<Map<string, WorkerInfo> | undefined> {
    try {
      const listSignal = signal === undefined ? AbortSignal.timeout(timeoutMs) : signal;
      return new Map((await registry.listWorkers(listSignal)).map((worker) => [worker.id, worker]));
    } catch (error) {
      signal?.throwIfAborted();
      logger.log("warn", "commit_notice_workers_unavailable", { error });
      return undefined;
    }
  }

  return {
    get queued() {
      return queue.size;
    },

    async notify(uploadId, committed) {
      const byWorker = new Map<string, string[]>();
      for (const shard of committed.shards) {
        for (const workerId of new Set(shard.replicas)) {
          const ids = byWorker.get(workerId) ?? [];
          ids.push(shard.id);
          byWorker.set(workerId, ids);
        }
      }
      const live = await liveWorkers();
      let delivered = 0;
      let missed = 0;
      let abandoned = 0;
      await each([...byWorker], async ([workerId, shardIds]) => {
        const body: CommitNoticeBody = {
          uploadId,
          dataset: committed.name,
          version: committed.version,
          shardCount: committed.shards.length,
          committedAt: committed.createdAt,
          shardIds,
        };
        const worker = live?.get(workerId);
        if (worker === undefined) logger.log("warn", "commit_notice_failed", { workerId, uploadId, error: "not live" });
        const outcome = worker === undefined ? "retry" : await deliver(worker, body);
        if (outcome === "delivered") {
          delivered++;
          return;
        }
        missed++;
        if (outcome === "refused") abandoned++;
        else abandoned += enqueue({ workerId, body, firstMissedAt: now() });
      });
      count("delivered", delivered);
      count("missed", missed);
      count("abandoned", abandoned);
      if (missed > 0) {
        logger.log("warn", "commit_notices_missed", { uploadId, delivered, missed, queued: queue.size });
      }
      return { delivered, missed, abandoned };
    },

    async resendQueued(signal) {
      if (queue.size === 0) return { delivered: 0, missed: 0, abandoned: 0 };
      let delivered = 0;
      let missed = 0;
      let abandoned = 0;
      const entries = [...queue];
      const fresh: Array<[string, Queued]> = [];
      for (const [key, entry] of entries) {
        if (now() - entry.firstMissedAt <= retainMs) {
          fresh.push([key, entry]);
          continue;
        }
        queue.delete(key);
        abandoned++;
        logger.log("error", "commit_notice_abandoned", {
          workerId: entry.workerId,
          uploadId: entry.body.uploadId,
          reason: "too old",
        });
      }
      const live = await liveWorkers(signal);
      await each(fresh, async ([key, entry]) => {
        const worker = live?.get(entry.workerId);
        const outcome = worker === undefined ? "retry" : await deliver(worker, entry.body, signal);
        if (outcome === "retry") {
          missed++;
          return;
        }
        if (queue.get(key) === entry) queue.delete(key);
        if (outcome === "delivered") {
          delivered++;
          logger.log("info", "commit_notice_resent", { workerId: entry.workerId, uploadId: entry.body.uploadId });
        } else abandoned++;
      });
      count("resent", delivered);
      count("abandoned", abandoned);
      return { delivered, missed, abandoned };
    },
  };
}

/** The `notHeld` ids of a `shard.commit` answer (empty when absent or malformed: only logged). */
function notHeldIn(answer: Uint8Array | undefined): string[] {
  if (answer === undefined) return [];
  try {
    const value = JSON.parse(new TextDecoder().decode(answer)) as { notHeld?: unknown };
    return Array.isArray(value.notHeld) ? value.notHeld.filter((id): id is string => typeof id === "string") : [];
  } catch {
    return [];
  }
}
