/**
 * The repair loop, run by every planner and serialized by a registry lock so that
 * one planner at a time repairs:
 *
 * 1. rebuild: datasets missing from the catalog (the registry lost its data) are
 *    restored from the workers' shard announcements;
 * 2. expired uploads: pending uploads past their TTL are aborted and their stored
 *    replicas deleted;
 * 3. re-replication: every committed shard with fewer live replicas than R gets new
 *    copies on workers chosen by the same rendezvous order as placement (zones not yet
 *    holding the shard first); each new worker `shard.copy_from`s a surviving replica
 *    with a ticket made for the copy, the copy is checked against the catalog's rows,
 *    bytes and digest, and only then added to the catalog;
 * 4. cleanup: once no shard still needs a lost worker's copy (every shard it held has R
 *    live replicas again), it is removed from those shards and forgotten.
 *
 * Before taking the lock, each planner re-sends the commit notices it could not
 * deliver when its uploads committed (commit-notifier.ts): they live in that
 * planner's memory, and they matter most when the registry lost the commit.
 */
import type { LockLease, Registry, WorkerInfo } from "@flight-cluster/registry";
import { findUnderReplicated, listCommittedVersions, type UnderReplicatedShard } from "./catalog-health.js";
import type { CommitNotifier } from "./commit-notifier.js";
import { noopPlannerMetrics, type PlannerMetrics } from "./metrics.js";
import { placeReplicas } from "./placement.js";
import { type PlannerLogger, silentPlannerLogger } from "./planner-logger.js";
import { orderReplicas } from "./replica-order.js";
import { discardUpload } from "./upload-cleanup.js";
import { type CopyFromRequest, encodeJson, parseStoredShard, WorkerAction } from "./worker-protocol.js";
import type { WorkerTransport } from "./worker-transport.js";

/** Name of the registry lock serializing repair across planners. */
export const REPAIR_LOCK = "planner.repair";

/** What one repair pass did. */
export interface RepairReport {
  /** False when another planner held the lock (nothing was done). */
  readonly ran: boolean;
  /** Dataset versions restored from announcements. */
  readonly rebuilt: ReadonlyArray<{ readonly name: string; readonly version: number }>;
  /** Expired uploads discarded. */
  readonly expiredUploads: number;
  /** Shards found with fewer live replicas than R. */
  readonly underReplicated: number;
  /** New replicas copied and recorded. */
  readonly copied: number;
  /** Copies that failed (retried next pass). */
  readonly failed: number;
  /** Shards with no live replica at all (cannot be repaired until a holder returns). */
  readonly unrepairable: number;
  /** Lost workers removed from the catalog and forgotten. */
  readonly forgotten: number;
  /** Commit notices re-sent successfully (done even when another planner held the lock). */
  readonly noticesResent: number;
}

/** Options of {@link createRepairLoop}. */
export interface RepairLoopOptions {
  readonly registry: Registry;
  readonly transport: WorkerTransport;
  readonly replicas: number;
  /** Pause between passes, in ms. */
  readonly intervalMs: number;
  /** Lifetime of the tickets made for copies, in ms. */
  readonly ticketTtlMs: number;
  /** How long one pass may hold the lock before renewing it, in ms (default max(30 s, 3 * interval)). */
  readonly lockTtlMs?: number;
  /** The planner's commit notifier, whose undelivered notices each pass re-sends. */
  readonly notifier?: CommitNotifier;
  readonly metrics?: PlannerMetrics;
  readonly logger?: PlannerLogger;
}

/** A periodic repair loop. */
export interface RepairLoop {
  /** One pass now (waits for a pass already running to end first). Never throws except for `signal`. */
  runOnce(signal?: AbortSignal): Promise<RepairReport>;
  /** Start passes every `intervalMs` (idempotent). */
  start(): void;
  /** Stop the timer and wait for a running pass to end. */
  stop(): Promise<void>;
}

const NOTHING: RepairReport = {
  ran: false,
  rebuilt: [],
  expiredUploads: 0,
  underReplicated: 0,
  copied: 0,
  failed: 0,
  unrepairable: 0,
  forgotten: 0,
  noticesResent: 0,
};

/** Create a {@link RepairLoop}. */
export function createRepairLoop(options: RepairLoopOptions): RepairLoop {
  const { registry, transport, replicas } = options;
  const metrics = options.metrics ?? noopPlannerMetrics;
  const logger = options.logger ?? silentPlannerLogger;
  const lockTtlMs = options.lockTtlMs ?? Math.max(30_000, 3 * options.intervalMs);
  let running: Promise<RepairReport> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let started = false;

  async function pass(signal: AbortSignal | undefined): Promise<RepairReport> {
    const notifier = options.notifier;
    const noticesResent =
      notifier === undefined || notifier.queued === 0 ? 0 : (await notifier.resendQueued(signal)).delivered;
    const lease = await registry.tryAcquireLock(REPAIR_LOCK, lockTtlMs, signal);
    if (lease === null) return { ...NOTHING, noticesResent };
    const holder: { lease: LockLease; renewedAt: number } = { lease, renewedAt: performance.now() };
    const keepLock = async () => {
      if (performance.now() - holder.renewedAt < lockTtlMs / 3) return;
      holder.lease = await registry.renewLock(holder.lease, lockTtlMs, signal);
      holder.renewedAt = performance.now();
    };
    try {
      return { ...(await repair(signal, keepLock)), noticesResent };
    } finally {
      await registry.releaseLock(holder.lease).catch(() => false);
    }
  }

  async function repair(signal: AbortSignal | undefined, keepLock: () => Promise<void>): Promise<RepairReport> {
    const rebuild = await registry.rebuildFromAnnouncements(true, signal);
    for (const restored of rebuild.restored) {
      metrics.repairAction("dataset_rebuilt");
      logger.log("warn", "dataset_rebuilt", { dataset: restored.name, version: restored.version });
    }
    let expiredUploads = 0;
    for (const upload of await registry.listExpiredUploads(100, signal)) {
      await discardUpload({ registry, transport, logger }, upload.id);
      expiredUploads++;
    }
    const workers = await registry.listWorkers(signal);
    const datasets = await listCommittedVersions(registry, signal);
    const under = findUnderReplicated(datasets, workers, replicas);
    const byId = new Map(workers.map((worker) => [worker.id, worker]));
    let copied = 0;
    let failed = 0;
    let unrepairable = 0;
    for (const shard of under) {
      await keepLock();
      if (shard.liveReplicas.length === 0) {
        unrepairable++;
        metrics.repairAction("unrepairable");
        logger.log("error", "shard_unrepairable", { ...shardFields(shard), replicas: shard.replicas });
        continue;
      }
      const holders = shard.liveReplicas.flatMap((id) => byId.get(id) ?? []);
      const eligible = workers.filter((worker) => !shard.replicas.includes(worker.id));
      for (const target of placeReplicas(shard.shardId, eligible, shard.missing, { holders })) {
        const ok = await copyReplica(shard, holders, target, signal);
        if (ok) copied++;
        else failed++;
      }
    }
    const forgotten = await forgetRepairedWorkers(byId, signal);
    const report: RepairReport = {
      ran: true,
      rebuilt: rebuild.restored,
      expiredUploads,
      underReplicated: under.length,
      copied,
      failed,
      unrepairable,
      forgotten,
      noticesResent: 0,
    };
    if (under.length > 0 || rebuild.restored.length > 0 || expiredUploads > 0 || forgotten > 0) {
      logger.log("info", "repair_pass", { ...report, rebuilt: report.rebuilt.length });
    }
    return report;
  }

  async function copyReplica(
    shard: UnderReplicatedShard,
    holders: readonly WorkerInfo[],
    target: WorkerInfo,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    // Copy from the holder nearest the target (same zone, then least loaded).
    const [source] = orderReplicas(shard.shardId, holders, target.zone);
    const location = source?.locations[0];
    if (source === undefined || location === undefined) return false;
    const fields = { ...shardFields(shard), from: source.id, to: target.id };
    let ticketId: string | undefined;
    try {
      const expected = await registry.getShard(shard.shardId, signal);
      if (expected === null) return false; // dropped meanwhile
      const ticket = await registry.createTicket(
        { dataset: shard.dataset, version: shard.version, shardId: shard.shardId, principal: "planner-repair" },
        options.ticketTtlMs,
        signal,
      );
      ticketId = ticket.id;
      const request: CopyFromRequest = {
        shardId: shard.shardId,
        dataset: shard.dataset,
        version: shard.version,
        index: shard.index,
        location,
        ticket: ticket.id,
      };
      const results = await transport.doAction(target, WorkerAction.copyFrom, encodeJson(request), signal);
      const stored = parseStoredShard(results[0] ?? new Uint8Array(), `shard.copy_from result of worker ${target.id}`);
      if (stored.rows !== expected.rows || stored.bytes !== expected.bytes || stored.digest !== expected.digest) {
        logger.log("error", "repair_copy_mismatch", { ...fields, expected, stored });
        await transport
          .doAction(target, WorkerAction.delete, encodeJson({ shardId: shard.shardId }), signal)
          .catch(() => undefined);
        metrics.repairAction("copy_failed");
        return false;
      }
      await registry.addReplica(shard.shardId, target.id, signal);
      metrics.repairAction("copied");
      logger.log("info", "replica_repaired", fields);
      return true;
    } catch (error) {
      metrics.repairAction("copy_failed");
      logger.log("warn", "repair_copy_failed", { ...fields, error });
      return false;
    } finally {
      if (ticketId !== undefined) await registry.cancelTicket(ticketId).catch(() => false);
    }
  }

  /** Remove lost workers from shards that no longer need them, and forget those workers. */
  async function forgetRepairedWorkers(
    live: ReadonlyMap<string, WorkerInfo>,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const lost = await registry.listLostWorkers(signal);
    if (lost.length === 0) return 0;
    const datasets = await listCommittedVersions(registry, signal);
    let forgotten = 0;
    for (const worker of lost) {
      if (live.has(worker.id)) continue;
      const held = datasets.flatMap((dataset) => dataset.shards.filter((shard) => shard.replicas.includes(worker.id)));
      const stillNeeded = held.some((shard) => shard.replicas.filter((id) => live.has(id)).length < replicas);
      if (stillNeeded) continue;
      for (const shard of held) await registry.removeReplica(shard.id, worker.id, signal);
      if (await registry.forgetWorker(worker.id, worker.lastSeenAt, signal)) {
        forgotten++;
        metrics.repairAction("worker_forgotten");
        logger.log("info", "worker_forgotten", { workerId: worker.id, shards: held.length });
      }
    }
    return forgotten;
  }

  function runOnce(signal?: AbortSignal): Promise<RepairReport> {
    const previous = running ?? Promise.resolve(NOTHING);
    const next = previous
      .catch(() => NOTHING)
      .then(() => pass(signal))
      .catch((error: unknown) => {
        if (signal?.aborted === true) throw error;
        logger.log("warn", "repair_pass_failed", { error });
        return NOTHING;
      });
    running = next;
    const clear = () => {
      if (running === next) running = undefined;
    };
    void next.then(clear, clear);
    return next;
  }

  function schedule(): void {
    if (!started) return;
    timer = setTimeout(() => {
      void runOnce().finally(schedule);
    }, options.intervalMs);
    timer.unref();
  }

  return {
    runOnce,
    start() {
      if (started) return;
      started = true;
      schedule();
    },
    async stop() {
      started = false;
      if (timer !== undefined) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}

function shardFields(shard: UnderReplicatedShard) {
  return { dataset: shard.dataset, version: shard.version, shardId: shard.shardId, index: shard.index };
}
