/**
 * Tickets and locks on Redis: single-key records that lapse at a Redis-time
 * expiry (PEXPIREAT). Tickets live outside the `{c}` slot, spread over a Cluster.
 */
import { Cluster } from "ioredis";
import { randomId } from "./random-id.js";
import { decodeTicketPayload, replyInt } from "./redis-codec.js";
import type { LuaScript, RedisConnection } from "./redis-connection.js";
import type { RedisKeys } from "./redis-keys.js";
import { S } from "./redis-scripts.js";
import { LockLostError, TicketNotFoundError } from "./registry-error.js";
import type { LockLease, TicketInfo, TicketPayload } from "./registry-types.js";
import {
  checkId,
  checkLockLease,
  checkTtl,
  isRandomId,
  MAX_TTL_MS,
  MAX_WORKER_TTL_MS,
  normalizeTicketPayload,
  normalizeTicketPayloads,
} from "./registry-validate.js";

/** Tickets written by one script call of `createTickets` (bounds the time Redis is busy). */
const TICKETS_PER_SCRIPT = 1000;

/** The ticket and lock methods of the Redis registry. */
export class RedisLeases {
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

  async createTicket(payload: TicketPayload, ttlMs: number, signal?: AbortSignal): Promise<TicketInfo> {
    const p = normalizeTicketPayload(payload);
    checkTtl(ttlMs, "ticket ttlMs", 1, MAX_TTL_MS);
    return this.connection.call(signal, async () => {
      const id = randomId();
      const reply = await this.#run(S.PUT_EXPIRING, this.#keys.ticket(id), [
        "p",
        JSON.stringify(p),
        String(ttlMs),
        "0",
      ]);
      return { id, payload: p, expiresAt: replyInt(reply[1], "ticket expiry") };
    });
  }

  async createTickets(payloads: readonly TicketPayload[], ttlMs: number, signal?: AbortSignal): Promise<TicketInfo[]> {
    const normalized = normalizeTicketPayloads(payloads);
    checkTtl(ttlMs, "ticket ttlMs", 1, MAX_TTL_MS);
    return this.connection.call(signal, async () => {
      const ids = normalized.map(() => randomId());
      const expiries: number[] = [];
      if (this.connection.client instanceof Cluster) {
        // Tickets spread over slots: one script per ticket, all sent before any answer.
        const replies = await Promise.all(
          normalized.map((p, i) =>
            this.#run(S.PUT_EXPIRING, this.#keys.ticket(ids[i] as string), [
              "p",
              JSON.stringify(p),
              String(ttlMs),
              "0",
            ]),
          ),
        );
        for (const reply of replies) expiries.push(replyInt(reply[1], "ticket expiry"));
      } else {
        const chunks: Promise<unknown[]>[] = [];
        for (let start = 0; start < normalized.length; start += TICKETS_PER_SCRIPT) {
          const end = Math.min(normalized.length, start + TICKETS_PER_SCRIPT);
          const keys = ids.slice(start, end).map((id) => this.#keys.ticket(id));
          const args = [String(ttlMs), ...normalized.slice(start, end).map((p) => JSON.stringify(p))];
          chunks.push(this.connection.scriptKeys(S.PUT_EXPIRING_MANY, keys, args));
        }
        for (const [c, reply] of (await Promise.all(chunks)).entries()) {
          const expiresAt = replyInt(reply[1], "ticket expiry");
          const count = Math.min(TICKETS_PER_SCRIPT, normalized.length - c * TICKETS_PER_SCRIPT);
          for (let i = 0; i < count; i++) expiries.push(expiresAt);
        }
      }
      return normalized.map((payload, i) => ({ id: ids[i] as string, payload, expiresAt: expiries[i] as number }));
    });
  }

  async resolveTicket(id: string, signal?: AbortSignal): Promise<TicketInfo | null> {
    return this.connection.call(signal, async () => {
      if (!isRandomId(id)) return null;
      const [p, e] = await this.connection.client.hmget(this.#keys.ticket(id), "p", "e");
      if (p === null || p === undefined || e === null || e === undefined) return null;
      return { id, payload: decodeTicketPayload(p), expiresAt: replyInt(e, "ticket expiry") };
    });
  }

  async cancelTicket(id: string, signal?: AbortSignal): Promise<boolean> {
    return this.connection.call(
      signal,
      async () => isRandomId(id) && (await this.connection.client.del(this.#keys.ticket(id))) === 1,
    );
  }

  async renewTicket(id: string, ttlMs: number, signal?: AbortSignal): Promise<number> {
    checkTtl(ttlMs, "ticket ttlMs", 1, MAX_TTL_MS);
    return this.connection.call(signal, async () => {
      const reply = isRandomId(id)
        ? await this.#run(S.RENEW_EXPIRING, this.#keys.ticket(id), [String(ttlMs), "", ""])
        : [];
      if (reply[0] !== "OK") throw new TicketNotFoundError("ticket is unknown, expired or cancelled");
      return replyInt(reply[1], "ticket expiry");
    });
  }

  async tryAcquireLock(name: string, ttlMs: number, signal?: AbortSignal): Promise<LockLease | null> {
    checkId(name, "lock name");
    checkTtl(ttlMs, "lock ttlMs", 100, MAX_WORKER_TTL_MS);
    return this.connection.call(signal, async () => {
      const token = randomId();
      const reply = await this.#run(S.PUT_EXPIRING, this.#keys.lock(name), ["t", token, String(ttlMs), "1"]);
      return reply[0] === "OK" ? { name, token, expiresAt: replyInt(reply[1], "lock expiry") } : null;
    });
  }

  async renewLock(lease: LockLease, ttlMs: number, signal?: AbortSignal): Promise<LockLease> {
    checkLockLease(lease);
    checkTtl(ttlMs, "lock ttlMs", 100, MAX_WORKER_TTL_MS);
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.RENEW_EXPIRING, this.#keys.lock(lease.name), [String(ttlMs), "t", lease.token]);
      if (reply[0] !== "OK") throw new LockLostError(`lock ${lease.name} lapsed or was taken by another holder`);
      return { name: lease.name, token: lease.token, expiresAt: replyInt(reply[1], "lock expiry") };
    });
  }

  async releaseLock(lease: LockLease, signal?: AbortSignal): Promise<boolean> {
    checkLockLease(lease);
    return this.connection.call(signal, async () => {
      const reply = await this.#run(S.RELEASE_LOCK, this.#keys.lock(lease.name), [lease.token]);
      return reply[1] === 1;
    });
  }
}
