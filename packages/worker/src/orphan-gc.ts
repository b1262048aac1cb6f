/**
 * Orphan collection: reconciles the manifest with the registry, at start and on a timer.
 *
 * For a shard not yet known to be committed:
 * - its upload is pending and not expired: keep it;
 * - its upload expired: delete it (the upload can never commit);
 * - the catalog holds it (its upload committed): record it as committed in the
 *   manifest (with the version's shard count), so it is announced from now on;
 * - otherwise (upload aborted, or lost with the registry's data) delete it once it is
 *   older than `orphanGraceMs`.
 * For a committed shard, at most once a minute: if the catalog has not listed it for
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
}

/** What one pass did. */
export interface CollectReport {
  readonly committed: number;
  readonly deleted: number;
  readonly kept: number;
}

/** Minimum pause between sweeps of committed shards, ms. */
const COMMITTED_SWEEP_MS = 60_000;

/** Reconciles manifest and registry; see the file comment. */
export class OrphanCollector {
  readonly #o: OrphanCollectorOptions;
  readonly #now: () => number;
  readonly #missingSince = new Map<string, number>();
  #lastCommittedSweep = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(options: OrphanCollectorOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
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
    const registryNow = await registry.now(signal);
    const sweepCommitted = this.#now() - this.#lastCommittedSweep >= COMMITTED_SWEEP_MS;
    for (const entry of store.list()) {
      if (store.writing.has(entry.shardId)) continue;
      const action = entry.committed
        ? sweepCommitted
          ? await this.#checkCommitted(entry, signal)
          : "keep"
        : await this.#checkPending(entry, registryNow, signal);
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
    if (deleted > 0) this.#o.metrics.orphansDeleted(deleted);
    if (deleted > 0 || committed > 0) this.#o.onChanged();
    return { committed, deleted, kept };
  }

  async #checkPending(
    entry: ManifestEntry,
    registryNow: number,
    signal: AbortSignal | undefined,
  ): Promise<"keep" | "commit" | { readonly reason: string }> {
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
    return this.#now() - entry.storedAt > this.#o.orphanGraceMs ? { reason: "upload gone" } : "keep";
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
    const since = this.#missingSince.get(entry.shardId) ?? this.#now();
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
