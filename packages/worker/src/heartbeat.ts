/**
 * The worker's registration in the registry: register (getting a fencing epoch),
 * heartbeat every third of the TTL with the current load, announce the committed
 * shards of the manifest, and deregister on graceful shutdown.
 *
 * - Registration lost (TTL lapsed during a pause, registry restarted or flushed): the
 *   heartbeat gets WorkerNotRegisteredError; the worker registers again (new epoch)
 *   and re-announces its manifest, so the planner can rebuild the catalog.
 * - Announcement missing (`announced: false`): re-announce.
 * - Fenced (StaleEpochError: a newer process registered this id): stop heartbeating,
 *   log an error, and call `onFenced` (the worker then refuses writes).
 * - Registry unreachable: log, count, and try again at the next tick.
 */
import type { AnnouncedShard, Registry, WorkerInfo, WorkerRegistration } from "@flight-cluster/registry";
import { StaleEpochError, WorkerNotRegisteredError } from "@flight-cluster/registry";
import type { WorkerLogger } from "./logger.js";
import type { ManifestEntry } from "./manifest.js";
import type { WorkerMetrics } from "./metrics.js";

/** State of a {@link Heartbeat}. */
export type HeartbeatState = "idle" | "registered" | "fenced" | "stopped";

/** Options of {@link Heartbeat}. */
export interface HeartbeatOptions {
  readonly registry: Registry;
  /** What to register (ttlMs included). */
  readonly registration: Omit<WorkerRegistration, "load">;
  /** Current load (see worker-activity.ts). */
  readonly load: () => number;
  /** The manifest's entries (only committed ones are announced). */
  readonly shards: () => readonly ManifestEntry[];
  readonly logger: WorkerLogger;
  readonly metrics: WorkerMetrics;
  /** Called once when the worker is fenced. */
  readonly onFenced: (error: Error) => void;
}

/** The shards of a manifest that can be announced: committed ones with a known shard count. */
export function announcedShards(entries: readonly ManifestEntry[]): AnnouncedShard[] {
  const out: AnnouncedShard[] = [];
  for (const e of entries) {
    if (!e.committed || e.shardCount === null) continue;
    out.push({
      dataset: e.dataset,
      version: e.version,
      shardId: e.shardId,
      index: e.index,
      shardCount: e.shardCount,
      rows: e.rows,
      bytes: e.bytes,
      digest: e.digest,
      schema: Buffer.from(e.schema, "base64"),
      ...(e.committedAt === null ? {} : { createdAt: e.committedAt }),
    });
  }
  return out;
}

/** Registration, heartbeats and announcements of one worker; see the file comment. */
export class Heartbeat {
  readonly #o: HeartbeatOptions;
  #state: HeartbeatState = "idle";
  #info: WorkerInfo | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #announceWanted = false;

  constructor(options: HeartbeatOptions) {
    this.#o = options;
  }

  /** Current state. */
  get state(): HeartbeatState {
    return this.#state;
  }

  /** The current registration (epoch included), once registered. */
  get info(): WorkerInfo | undefined {
    return this.#info;
  }

  /**
   * Register, announce the manifest and start heartbeating.
   * @throws the registry's error when the first registration fails (the worker should not start).
   */
  async start(signal?: AbortSignal): Promise<WorkerInfo> {
    const info = await this.#register(signal);
    this.#schedule();
    return info;
  }

  async #register(signal?: AbortSignal): Promise<WorkerInfo> {
    const info = await this.#o.registry.registerWorker({ ...this.#o.registration, load: this.#o.load() }, signal);
    this.#info = info;
    this.#state = "registered";
    this.#o.logger.log("info", "worker_registered", { workerId: info.id, epoch: info.epoch, zone: info.zone });
    await this.#announce(signal);
    return info;
  }

  async #announce(signal?: AbortSignal): Promise<void> {
    const info = this.#info;
    if (info === undefined) return;
    this.#announceWanted = false;
    const shards = announcedShards(this.#o.shards());
    await this.#o.registry.announceShards(info.id, info.epoch, shards, signal);
    this.#o.metrics.heartbeat("announced");
    this.#o.logger.log("debug", "shards_announced", { workerId: info.id, epoch: info.epoch, shards: shards.length });
  }

  #schedule(): void {
    if (this.#state !== "registered") return;
    const delay = Math.max(50, Math.floor(this.#o.registration.ttlMs / 3));
    this.#timer = setTimeout(() => {
      this.#running = this.tick().finally(() => {
        this.#running = undefined;
        this.#schedule();
      });
    }, delay);
    this.#timer.unref();
  }

  /** Ask for the manifest to be announced again at the next heartbeat (after shards changed). */
  announceSoon(): void {
    this.#announceWanted = true;
  }

  /** One heartbeat now (also used by tests). Never throws. */
  async tick(): Promise<void> {
    const info = this.#info;
    if (this.#state !== "registered" || info === undefined) return;
    const { registry, logger, metrics } = this.#o;
    try {
      const result = await registry.heartbeat(info.id, info.epoch, this.#o.load());
      this.#info = result.worker;
      metrics.heartbeat("ok");
      if (!result.announced || this.#announceWanted) await this.#announce();
    } catch (error) {
      if (error instanceof StaleEpochError) {
        this.#fence(error);
        return;
      }
      if (error instanceof WorkerNotRegisteredError) {
        logger.log("warn", "worker_registration_lost", { workerId: info.id, epoch: info.epoch });
        try {
          await this.#register();
          metrics.heartbeat("reregistered");
        } catch (again) {
          if (again instanceof StaleEpochError) this.#fence(again);
          else {
            metrics.heartbeat("failed");
            logger.log("warn", "heartbeat_failed", { workerId: info.id, error: again });
          }
        }
        return;
      }
      metrics.heartbeat("failed");
      logger.log("warn", "heartbeat_failed", { workerId: info.id, error });
    }
  }

  #fence(error: Error): void {
    if (this.#state === "fenced") return;
    this.#state = "fenced";
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#o.metrics.heartbeat("fenced");
    this.#o.logger.log("error", "worker_fenced", {
      workerId: this.#info?.id,
      epoch: this.#info?.epoch,
      message: "a newer process registered this worker id: this process stops taking writes",
    });
    this.#o.onFenced(error);
  }

  /** Stop heartbeating; with `deregister`, remove the registration (graceful shutdown). Never throws. */
  async stop(deregister: boolean): Promise<void> {
    const wasRegistered = this.#state === "registered";
    if (this.#state !== "fenced") this.#state = "stopped";
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#running;
    const info = this.#info;
    if (deregister && wasRegistered && info !== undefined) {
      try {
        await this.#o.registry.deregisterWorker(info.id, info.epoch);
        this.#o.logger.log("info", "worker_deregistered", { workerId: info.id, epoch: info.epoch });
      } catch (error) {
        this.#o.logger.log("warn", "deregister_failed", { workerId: info.id, error });
      }
    }
  }
}
