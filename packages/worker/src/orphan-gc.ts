/**
 * Orphan collection: reconciles the manifest with the registry, at start and on a timer.
 *
 * For a shard not yet known to be committed (the planner's `shard.commit` notice
 * normally marks it before the client hears of the commit; this pass is the fallback):
 * - its upload is pending and not expired: keep it;
 * - its upload expired: delete it (the upload can never commit);
 * - the catalog holds it (its upload committed): record it as committed in the
 *   manifest (with the version's shard count), so it is announced from now on;
 * - otherwise (upload aborted, or lost with the registry's data) delete it once it is
 *   older than `orphanGraceMs`, **unless the registry looks freshly emptied**.
 *
 * The registry looks freshly emptied for `resetGraceMs` (default 10 minutes) after
 * this worker saw any of: its registration recreated (the heartbeat found it gone and
 * registered again: a new epoch), its registration missing or of another epoch when a
 * deletion was about to happen, or a committed shard it holds missing from the catalog.
 * In that window an unknown upload may be one that committed just before the registry
 * lost its data and whose notice this worker missed: the shard is kept until other
 * replicas have re-announced, a catalog rebuild had the chance to run (the planner's
 * repair loop, every few seconds) and the planner could re-send its missed notices;
 * if the catalog then holds the shard, the pass above marks it committed.
 *
 * For a committed shard, at most once a minute (and before the uncommitted ones, so a
 * registry that lost its data is noticed first): if the catalog has not listed it for
 * `droppedGraceMs` in a row (its dataset was dropped while this worker was away),
 * delete it. The long grace covers a registry that lost its data and is being rebuilt.
 * Shards being written are never touched.
 */
import type { Registry } from "@flight-cluster/registry";
import type { WorkerLogger } from "./logger.js";
import type { ManifestEntry } from "./manifest.js";
import type { WorkerMetrics } from "./metrics.js";
import type { ShardStore } from "./shard-store.js";

/** Options of {@link OrphanCollector}. */
export interface OrphanCollectorOptions {
  readonly store: ShardStore;
  readonly registry: Registry;
  readonly orphanGraceMs: number;
  readonly droppedGraceMs: number;
  readonly logger: WorkerLogger;
  readonly metrics: WorkerMetrics;
  /** Called after a pass that changed the manifest. */
  readonly onChanged: () => void;
  /** Local clock, ms (default Date.now). */
  readonly now?: () => number;
  /**
   * The worker's current registration epoch, undefined before it first registered.
   * Without it, registration changes are not watched (only missing committed shards).
   */
  readonly epoch?: () => number | undefined;
  /** How long the registry counts as freshly emptied after a sign of it, ms (default {@link REGISTRY_RESET_GRACE_MS}). */
  readonly resetGraceMs?: number;
}

/** What one pass did. */
export interface CollectReport {
  readonly committed: number;
  readonly deleted: number;
  readonly kept: number;
}

/** Minimum pause between sweeps of committed shards, ms. */
const COMMITTED_SWEEP_MS = 60_000;

/** Default of {@link OrphanCollectorOptions.resetGraceMs}: 10 minutes. */
export const REGISTRY_RESET_GRACE_MS = 600_000;

type Verdict = "keep" | "commit" | "gone" | { readonly reason: string };

/** Reconciles manifest and registry; see the file comment. */
export class OrphanCollector {
  readonly #o: OrphanCollectorOptions;
  readonly #now: () => number;
  readonly #missingSince = new Map<string, number>();
  readonly #resetGraceMs: number;
  #lastCommittedSweep = Number.NEGATIVE_INFINITY;
  #resetSeenAt = Number.NEGATIVE_INFINITY;
  #lastEpoch: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(options: OrphanCollectorOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#resetGraceMs = options.resetGraceMs ?? REGISTRY_RESET_GRACE_MS;
  }

  /**
   * Record a sign that the registry lost its data (e.g. the worker had to register
   * again): for `resetGraceMs` from now, shards of unknown uploads are kept.
   */
  noteRegistryReset(reason: string): void {
    const fresh = this.#now() - this.#resetSeenAt >= this.#resetGraceMs;
    this.#resetSeenAt = this.#now();
    if (fresh) {
      this.#o.logger.log("warn", "registry_reset_suspected", { reason, keepUnknownUploadsMs: this.#resetGraceMs });
    }
  }

  /** True while shards of unknown uploads are kept because the registry looks freshly emptied. */
  get guarding(): boolean {
    return this.#now() - this.#resetSeenAt < this.#resetGraceMs;
  }

  #watchEpoch(): void {
    const epoch = this.#o.epoch?.();
    if (epoch === undefined) return;
    if (this.#lastEpoch !== undefined && epoch !== this.#lastEpoch) this.noteRegistryReset("registration recreated");
    this.#lastEpoch = epoch;
  }

  /** Whether the registry looks freshly emptied; asks for this worker's registration when not known yet. */
  async #looksEmptied(signal: AbortSignal | undefined): Promise<boolean> {
    if (this.guarding) return true;
    const epoch = this.#o.epoch?.();
    if (epoch === undefined) return false;
    const registered = await this.#o.registry.getWorker(this.#o.store.workerId, signal);
    if (registered !== null && registered.epoch === epoch) return false;
    this.noteRegistryReset(registered === null ? "registration missing" : "registration of another epoch");
    return true;
  }

  /**
   * One pass over the manifest. @throws the registry's error (the pass stops; nothing
   * is deleted on the strength of an unanswered question).
   */
  async runOnce(signal?: AbortSignal): Promise<CollectReport> {
    const { store, registry } = this.#o;
    let committed = 0;
    let deleted = 0;
    let kept = 0;
    let guarded = 0;
    this.#watchEpoch();
    const registryNow = await registry.now(signal);
    const sweepCommitted = this.#now() - this.#lastCommittedSweep >= COMMITTED_SWEEP_MS;
    const entries = store.list().filter((entry) => !store.writing.has(entry.shardId));
    // Committed shards first: one missing from the catalog is a sign of a registry reset.
    const ordered = [...entries.filter((e) => e.committed), ...entries.filter((e) => !e.committed)];
    for (const entry of ordered) {
      if (store.writing.has(entry.shardId)) continue;
      let action: Verdict;
      if (entry.committed) action = sweepCommitted ? await this.#checkCommitted(entry, signal) : "keep";
      else action = await this.#checkPending(entry, registryNow, signal);
      if (action === "gone") {
        if (await this.#looksEmptied(signal)) {
          guarded++;
          kept++;
          continue;
        }
        action = { reason: "upload gone" };
      }
      if (action === "commit") committed++;
      else if (action === "keep") kept++;
      else {
        if (await store.delete(entry.shardId)) deleted++;
        this.#o.logger.log("info", "orphan_deleted", {
          shardId: entry.shardId,
          dataset: entry.dataset,
          version: entry.version,
          uploadId: entry.uploadId,
          reason: action.reason,
        });
      }
    }
    if (sweepCommitted) this.#lastCommittedSweep = this.#now();
    if (guarded > 0) {
      this.#o.logger.log("info", "orphans_kept_registry_reset", {
        shards: guarded,
        keptForMs: Math.max(0, this.#resetSeenAt + this.#resetGraceMs - this.#now()),
      });
    }
    if (deleted > 0) this.#o.metrics.orphansDeleted(deleted);
    if (deleted > 0 || committed > 0) this.#o.onChanged();
    return { committed, deleted, kept };
  }

  async #checkPending(entry: ManifestEntry, registryNow: number, signal: AbortSignal | undefined): Promise<Verdict> {
    const { registry, store } = this.#o;
    if (entry.uploadId !== null) {
      const upload = await registry.getUpload(entry.uploadId, signal);
      if (upload !== null) return upload.expiresAt > registryNow ? "keep" : { reason: "upload expired" };
    }
    const shard = await registry.getShard(entry.shardId, signal);
    if (shard !== null && shard.dataset === entry.dataset && shard.version === entry.version) {
      if (shard.digest !== entry.digest) {
        this.#o.logger.log("error", "shard_digest_differs_from_catalog", {
          shardId: entry.shardId,
          held: entry.digest,
          catalog: shard.digest,
        });
        return "keep";
      }
      const version = await registry.getDataset(entry.dataset, entry.version, signal);
      if (version === null) return "keep";
      await store.markCommitted(entry.shardId, { shardCount: version.shards.length, committedAt: version.createdAt });
      return "commit";
    }
    return this.#now() - entry.storedAt > this.#o.orphanGraceMs ? "gone" : "keep";
  }

  async #checkCommitted(
    entry: ManifestEntry,
    signal: AbortSignal | undefined,
  ): Promise<"keep" | { readonly reason: string }> {
    const shard = await this.#o.registry.getShard(entry.shardId, signal);
    if (shard !== null) {
      this.#missingSince.delete(entry.shardId);
      return "keep";
    }
    const known = this.#missingSince.get(entry.shardId);
    if (known === undefined) this.noteRegistryReset("a committed shard is missing from the catalog");
    const since = known ?? this.#now();
    this.#missingSince.set(entry.shardId, since);
    if (this.#now() - since < this.#o.droppedGraceMs) return "keep";
    this.#missingSince.delete(entry.shardId);
    return { reason: "not in the catalog (dataset dropped)" };
  }

  /** Run a pass every `intervalMs` until {@link stop}; failures are logged. */
  start(intervalMs: number): void {
    const loop = (): void => {
      if (this.#stopped) return;
      this.#timer = setTimeout(() => {
        this.#running = this.runOnce()
          .catch((error: unknown) => this.#o.logger.log("warn", "orphan_gc_failed", { error }))
          .finally(loop);
      }, intervalMs);
      this.#timer.unref();
    };
    loop();
  }

  /** Stop the timer and wait for a running pass. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#running;
  }
}
