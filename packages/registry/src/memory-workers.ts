/**
 * Worker registrations, fencing epochs, the last-seen index and shard
 * announcements of the memory backend. Methods take the operation's clock reading
 * (`now`, ms) and validated arguments; the registry class does the checks.
 */
import { StaleEpochError, WorkerNotRegisteredError } from "./registry-error.js";
import type {
  AnnouncedShard,
  LostWorker,
  WorkerAnnouncement,
  WorkerInfo,
  WorkerRegistration,
} from "./registry-types.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The memory backend's worker state. */
export class MemoryWorkers {
  readonly #workers = new Map<string, Mutable<WorkerInfo>>();
  readonly #epochs = new Map<string, number>();
  /** Worker id -> last register/heartbeat of a registration that did not deregister. */
  readonly #seen = new Map<string, number>();
  readonly #announcements = new Map<string, WorkerAnnouncement>();

  /** The live registration of `id` at `now`, or undefined. */
  live(id: string, now: number): Mutable<WorkerInfo> | undefined {
    const w = this.#workers.get(id);
    return w !== undefined && w.expiresAt > now ? w : undefined;
  }

  /** Ids of every live worker at `now`. */
  liveIds(now: number): Set<string> {
    return new Set([...this.#workers.keys()].filter((id) => this.live(id, now) !== undefined));
  }

  #checkNotStale(id: string, epoch: number): void {
    const current = this.#epochs.get(id);
    if (current !== undefined && current > epoch) {
      throw new StaleEpochError(`worker ${id} epoch ${epoch} is stale: epoch ${current} registered since`);
    }
  }

  /** The live registration of `id` at `epoch`; throws StaleEpochError or WorkerNotRegisteredError. */
  fenced(id: string, epoch: number, now: number): Mutable<WorkerInfo> {
    this.#checkNotStale(id, epoch);
    const w = this.live(id, now);
    if (w === undefined || w.epoch !== epoch) {
      throw new WorkerNotRegisteredError(`worker ${id} epoch ${epoch} has no live registration; register again`);
    }
    return w;
  }

  register(reg: Required<WorkerRegistration>, now: number): WorkerInfo {
    const epoch = Math.max((this.#epochs.get(reg.id) ?? 0) + 1, now * 1000);
    this.#epochs.set(reg.id, epoch);
    const info = { ...reg, epoch, startedAt: now, lastSeenAt: now, expiresAt: now + reg.ttlMs };
    this.#workers.set(reg.id, info);
    this.#seen.set(reg.id, now);
    return copyWorker(info);
  }

  heartbeat(id: string, epoch: number, load: number, now: number): { worker: WorkerInfo; announced: boolean } {
    const w = this.fenced(id, epoch, now);
    w.load = load;
    w.lastSeenAt = now;
    w.expiresAt = now + w.ttlMs;
    this.#seen.set(id, now);
    return { worker: copyWorker(w), announced: this.#announcements.get(id)?.epoch === epoch };
  }

  deregister(id: string, epoch: number): void {
    this.#checkNotStale(id, epoch);
    this.#workers.delete(id);
    this.#seen.delete(id);
  }

  get(id: string, now: number): WorkerInfo | null {
    const w = this.live(id, now);
    return w === undefined ? null : copyWorker(w);
  }

  list(now: number): WorkerInfo[] {
    return [...this.liveIds(now)].sort().map((id) => copyWorker(this.#workers.get(id) as WorkerInfo));
  }

  lost(now: number): LostWorker[] {
    const out: LostWorker[] = [];
    for (const id of [...this.#seen.keys()].sort()) {
      const lastSeenAt = this.#seen.get(id) as number;
      if (this.live(id, now) === undefined) out.push({ id, lastSeenAt });
    }
    return out;
  }

  forget(id: string, lastSeenAt: number, now: number): boolean {
    if (this.live(id, now) !== undefined || this.#seen.get(id) !== lastSeenAt) return false;
    this.#seen.delete(id);
    this.#workers.delete(id);
    this.#announcements.delete(id);
    return true;
  }

  announce(workerId: string, epoch: number, shards: AnnouncedShard[], now: number): void {
    this.fenced(workerId, epoch, now);
    this.#announcements.set(workerId, { workerId, epoch, announcedAt: now, shards });
  }

  announcements(): WorkerAnnouncement[] {
    return [...this.#announcements.keys()].sort().map((id) => {
      const a = this.#announcements.get(id) as WorkerAnnouncement;
      return { ...a, shards: a.shards.map((s) => ({ ...s, schema: s.schema.slice() })) };
    });
  }
}

function copyWorker(w: WorkerInfo): WorkerInfo {
  return { ...w, locations: [...w.locations] };
}
