/**
 * Worker registrations, fencing and shard announcements on Redis: the worker half
 * of the Redis registry (see registry-redis.ts).
 */

import { decodeAnnouncement, decodeWorker, encodeAnnounced, replyArray, replyHash, replyInt } from "./redis-codec.js";
import type { LuaScript, RedisConnection } from "./redis-connection.js";
import type { RedisKeys } from "./redis-keys.js";
import { S } from "./redis-scripts.js";
import { StaleEpochError, WorkerNotRegisteredError } from "./registry-error.js";
import type {
  AnnouncedShard,
  HeartbeatResult,
  LostWorker,
  WorkerAnnouncement,
  WorkerInfo,
  WorkerRegistration,
} from "./registry-types.js";
import {
  checkEpoch,
  checkId,
  checkInteger,
  checkLoad,
  normalizeAnnounced,
  normalizeRegistration,
} from "./registry-validate.js";

function staleOrGone(reply: unknown[], id: string, epoch: number): never {
  if (reply[0] === "STALE") {
    throw new StaleEpochError(`worker ${id} epoch ${epoch} is stale: epoch ${String(reply[1])} registered since`);
  }
  throw new WorkerNotRegisteredError(`worker ${id} epoch ${epoch} has no live registration; register again`);
}

/** The worker methods of the Redis registry. */
export class RedisWorkers {
  readonly #keys: RedisKeys;

  constructor(
    readonly connection: RedisConnection,
    keys: RedisKeys,
  ) {
    this.#keys = keys;
  }

  #run(script: LuaScript, key: string, args: ReadonlyArray<string | number>): Promise<unknown[]> {
    return this.connection.script(script, key, args);
  }

  async registerWorker(registration: WorkerRegistration, signal?: AbortSignal): Promise<WorkerInfo> {
    const r = normalizeRegistration(registration);
    return this.connection.call(signal, async () => {
      const args = [
        this.#keys.base,
        r.id,
        JSON.stringify(r.locations),
        r.zone,
        String(r.capacity),
        String(r.load),
        String(r.ttlMs),
      ];
      const reply = await this.#run(S.REGISTER_WORKER, this.#keys.worker(r.id), args);
      return decodeWorker(replyHash(reply[1], "worker registration"));
    });
  }

  async heartbeat(id: string, epoch: number, load: number, signal?: AbortSignal): Promise<HeartbeatResult> {
    checkId(id, "worker id");
    checkEpoch(epoch);
    checkLoad(load);
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.HEARTBEAT, this.#keys.worker(id), [
        this.#keys.base,
        id,
        String(epoch),
        String(load),
      ]);
      if (reply[0] !== "OK") staleOrGone(reply, id, epoch);
      return { worker: decodeWorker(replyHash(reply[2], "worker registration")), announced: reply[1] === 1 };
    });
  }

  async deregisterWorker(id: string, epoch: number, signal?: AbortSignal): Promise<void> {
    checkId(id, "worker id");
    checkEpoch(epoch);
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.DEREGISTER_WORKER, this.#keys.worker(id), [this.#keys.base, id, String(epoch)]);
      if (reply[0] !== "OK") staleOrGone(reply, id, epoch);
    });
  }

  async getWorker(id: string, signal?: AbortSignal): Promise<WorkerInfo | null> {
    checkId(id, "worker id");
    return this.connection.call(signal, async () => {
      const h = await this.connection.client.hgetall(this.#keys.worker(id));
      return Object.keys(h).length === 0 ? null : decodeWorker(new Map(Object.entries(h)));
    });
  }

  async listWorkers(signal?: AbortSignal): Promise<WorkerInfo[]> {
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.LIST_WORKERS, this.#keys.workers, [this.#keys.base]);
      const list = replyArray(reply[1], "worker list").map((h) => decodeWorker(replyHash(h, "worker registration")));
      return list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    });
  }

  async listLostWorkers(signal?: AbortSignal): Promise<LostWorker[]> {
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.LIST_LOST_WORKERS, this.#keys.workers, [this.#keys.base]);
      const flat = replyArray(reply[1], "lost workers");
      const out: LostWorker[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        out.push({ id: String(flat[i]), lastSeenAt: replyInt(flat[i + 1], "last-seen time") });
      }
      return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    });
  }

  async forgetWorker(id: string, lastSeenAt: number, signal?: AbortSignal): Promise<boolean> {
    checkId(id, "worker id");
    checkInteger(lastSeenAt, "lastSeenAt", 0);
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.FORGET_WORKER, this.#keys.workers, [this.#keys.base, id, String(lastSeenAt)]);
      return reply[1] === 1;
    });
  }

  async announceShards(
    workerId: string,
    epoch: number,
    shards: readonly AnnouncedShard[],
    signal?: AbortSignal,
  ): Promise<void> {
    checkId(workerId, "worker id");
    checkEpoch(epoch);
    const list = normalizeAnnounced(shards);
    return this.connection.call(signal, async () => {
      const args = [this.#keys.base, workerId, String(epoch), encodeAnnounced(list)];
      const reply = await this.#run(S.ANNOUNCE_SHARDS, this.#keys.worker(workerId), args);
      if (reply[0] !== "OK") staleOrGone(reply, workerId, epoch);
    });
  }

  async listAnnouncements(signal?: AbortSignal): Promise<WorkerAnnouncement[]> {
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.LIST_ANNOUNCEMENTS, this.#keys.announcements, [this.#keys.base]);
      const flat = replyArray(reply[1], "announcements");
      const out: WorkerAnnouncement[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        out.push(decodeAnnouncement(String(flat[i]), replyHash(flat[i + 1], "announcement")));
      }
      return out.sort((a, b) => (a.workerId < b.workerId ? -1 : a.workerId > b.workerId ? 1 : 0));
    });
  }
}
