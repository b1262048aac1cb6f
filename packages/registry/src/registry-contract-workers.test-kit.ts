/** Contract tests: workers, fencing, TTLs, tickets, locks, prefixes and lifecycle. */
import { describe, expect, it } from "vitest";
import { type ContractContext, registration } from "./registry-contract-support.test-kit.js";
import {
  LockLostError,
  RegistryAbortedError,
  RegistryClosedError,
  RegistryError,
  RegistryInvalidArgumentError,
  StaleEpochError,
  TicketNotFoundError,
  WorkerNotRegisteredError,
} from "./registry-error.js";
import type { TicketPayload } from "./registry-types.js";

/** Register the worker, ticket, lock and lifecycle contract tests. */
export function workerContract(ctx: ContractContext): void {
  const { open, eventually } = ctx;
  const short = () => ctx.harness().shortTtlMs;

  it("registers a worker and lists it while its TTL runs", async () => {
    const r = await open();
    const before = await r.now();
    const w = await r.registerWorker(registration("w1", { zone: "z1", capacity: 42, load: 0.5 }));
    expect(w).toMatchObject({ id: "w1", zone: "z1", capacity: 42, load: 0.5, ttlMs: 60_000 });
    expect(w.epoch).toBeGreaterThanOrEqual(1);
    expect(w.startedAt).toBeGreaterThanOrEqual(before);
    expect(w.expiresAt).toBe(w.lastSeenAt + 60_000);
    expect(await r.getWorker("w1")).toEqual(w);
    expect(await r.listWorkers()).toEqual([w]);
    expect(await r.listLostWorkers()).toEqual([]);
  });

  it("fences a stale process: heartbeat and deregister with an old epoch fail", async () => {
    const r = await open();
    const old = await r.registerWorker(registration("w1"));
    const next = await r.registerWorker(registration("w1", { zone: "z2" }));
    expect(next.epoch).toBeGreaterThan(old.epoch);
    await expect(r.heartbeat("w1", old.epoch, 1)).rejects.toThrow(StaleEpochError);
    await expect(r.deregisterWorker("w1", old.epoch)).rejects.toMatchObject({ code: "REGISTRY_STALE_EPOCH" });
    await expect(r.announceShards("w1", old.epoch, [])).rejects.toThrow(StaleEpochError);
    expect((await r.getWorker("w1"))?.epoch).toBe(next.epoch);
    const beat = await r.heartbeat("w1", next.epoch, 3);
    expect(beat.worker).toMatchObject({ epoch: next.epoch, zone: "z2", load: 3 });
    await r.deregisterWorker("w1", next.epoch);
    expect(await r.getWorker("w1")).toBeNull();
    expect(await r.listLostWorkers()).toEqual([]);
    await expect(r.heartbeat("w1", next.epoch, 0)).rejects.toThrow(WorkerNotRegisteredError);
  });

  it("gives concurrent registrations of one id distinct epochs, and the newest wins", async () => {
    const r = await open();
    const all = await Promise.all(Array.from({ length: 20 }, () => r.registerWorker(registration("same"))));
    const epochs = all.map((w) => w.epoch);
    expect(new Set(epochs).size).toBe(20);
    const newest = Math.max(...epochs);
    expect((await r.getWorker("same"))?.epoch).toBe(newest);
    for (const epoch of epochs.filter((e) => e !== newest)) {
      await expect(r.heartbeat("same", epoch, 0)).rejects.toThrow(StaleEpochError);
    }
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => r.registerWorker(registration(`w${i}`))));
    const listed = await r.listWorkers();
    expect(listed.map((w) => w.id).sort()).toEqual(["same", ...many.map((w) => w.id)].sort());
  });

  it("expires a worker without heartbeats, reports it lost, and forgets it", async () => {
    const r = await open();
    const gone = await r.registerWorker(registration("gone", { ttlMs: short() }));
    const kept = await r.registerWorker(registration("kept", { ttlMs: short() }));
    await eventually(async () => {
      await r.heartbeat("kept", kept.epoch, 7);
      await ctx.harness().elapse(short() / 4);
      expect(await r.getWorker("gone")).toBeNull();
    });
    expect(await r.getWorker("kept")).toMatchObject({ load: 7 });
    expect((await r.listWorkers()).map((w) => w.id)).toEqual(["kept"]);
    const lost = await r.listLostWorkers();
    expect(lost).toHaveLength(1);
    expect(lost[0]?.id).toBe("gone");
    expect(lost[0]?.lastSeenAt).toBe(gone.lastSeenAt);
    await expect(r.heartbeat("gone", gone.epoch, 0)).rejects.toThrow(WorkerNotRegisteredError);
    expect(await r.forgetWorker("gone", gone.lastSeenAt + 1)).toBe(false);
    expect(await r.forgetWorker("kept", kept.lastSeenAt)).toBe(false);
    expect(await r.forgetWorker("gone", gone.lastSeenAt)).toBe(true);
    expect(await r.listLostWorkers()).toEqual([]);
    const again = await r.registerWorker(registration("gone"));
    expect(again.epoch).toBeGreaterThan(gone.epoch);
  });

  it("rejects malformed registrations and heartbeats without writing anything", async () => {
    const r = await open();
    await expect(r.registerWorker(registration("bad id"))).rejects.toThrow(/worker id/);
    await expect(r.registerWorker(registration("w1", { locations: [] }))).rejects.toThrow(RegistryInvalidArgumentError);
    await expect(r.registerWorker(registration("w1", { locations: ["no-scheme"] }))).rejects.toThrow(/URI/);
    await expect(r.registerWorker(registration("w1", { ttlMs: 0 }))).rejects.toThrow(/ttlMs/);
    await expect(r.registerWorker(registration("w1", { capacity: -1 }))).rejects.toThrow(/capacity/);
    await expect(r.heartbeat("w1", 1, Number.NaN)).rejects.toThrow(/load/);
    await expect(r.heartbeat("w1", 0, 1)).rejects.toThrow(/epoch/);
    expect(await r.listWorkers()).toEqual([]);
    expect(await r.listLostWorkers()).toEqual([]);
  });

  describe("tickets", () => {
    const payload: TicketPayload = {
      dataset: "sales",
      version: 3,
      shardId: "s-1",
      columns: ["id", "ümlaut"],
      principal: "alice",
    };

    it("creates, resolves and cancels tickets; unknown and malformed ids resolve to null", async () => {
      const r = await open();
      const before = await r.now();
      const t = await r.createTicket(payload, 60_000);
      const after = await r.now();
      expect(t.id).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(t.expiresAt).toBeGreaterThanOrEqual(before + 60_000);
      expect(t.expiresAt).toBeLessThanOrEqual(after + 60_000);
      expect(await r.resolveTicket(t.id)).toEqual({ id: t.id, payload, expiresAt: t.expiresAt });
      const bare = await r.createTicket({ dataset: "d", version: 1, shardId: "x" }, 60_000);
      expect(bare.id).not.toBe(t.id);
      expect((await r.resolveTicket(bare.id))?.payload).toEqual({ dataset: "d", version: 1, shardId: "x" });
      expect(await r.resolveTicket("A".repeat(32))).toBeNull();
      expect(await r.resolveTicket("not a ticket")).toBeNull();
      expect(await r.cancelTicket(t.id)).toBe(true);
      expect(await r.resolveTicket(t.id)).toBeNull();
      expect(await r.cancelTicket(t.id)).toBe(false);
      await expect(r.renewTicket(t.id, 1000)).rejects.toThrow(TicketNotFoundError);
      await expect(r.createTicket({ ...payload, version: 0 }, 1000)).rejects.toThrow(/ticket version/);
    });

    it("creates many tickets at once, in order, each resolvable; validates every payload first", async () => {
      const r = await open();
      const payloads: TicketPayload[] = Array.from({ length: 1500 }, (_, i) => ({
        dataset: "d",
        version: 2,
        shardId: `s-${i}`,
        ...(i % 2 === 0 ? {} : { columns: ["a", "b"], principal: "bob" }),
      }));
      const before = await r.now();
      const tickets = await r.createTickets(payloads, 60_000);
      expect(tickets.map((t) => t.payload)).toEqual(payloads);
      expect(new Set(tickets.map((t) => t.id)).size).toBe(1500);
      for (const t of tickets) {
        expect(t.id).toMatch(/^[A-Za-z0-9_-]{32}$/);
        expect(t.expiresAt).toBeGreaterThanOrEqual(before + 60_000);
      }
      for (const i of [0, 999, 1000, 1499]) expect(await r.resolveTicket(tickets[i]!.id)).toEqual(tickets[i]);
      expect(await r.cancelTicket(tickets[3]!.id)).toBe(true);
      expect(await r.resolveTicket(tickets[3]!.id)).toBeNull();
      expect(await r.createTickets([], 1000)).toEqual([]);
      await expect(r.createTickets([payloads[0]!, { ...payloads[1]!, version: 0 }], 1000)).rejects.toThrow(
        /ticket payloads\[1\]: ticket version/,
      );
      await expect(r.createTickets(payloads.slice(0, 2), 0)).rejects.toThrow(/ticket ttlMs/);
    });

    it("expires tickets after their TTL, and renewal keeps one alive past it", async () => {
      const r = await open();
      const lapsing = await r.createTicket(payload, short());
      const renewed = await r.createTicket(payload, short());
      const newExpiry = await r.renewTicket(renewed.id, 60_000);
      expect(newExpiry).toBeGreaterThan(renewed.expiresAt);
      await ctx.harness().elapse(short());
      await eventually(async () => expect(await r.resolveTicket(lapsing.id)).toBeNull());
      expect(await r.resolveTicket(renewed.id)).toEqual({ id: renewed.id, payload, expiresAt: newExpiry });
      await expect(r.renewTicket(lapsing.id, 60_000)).rejects.toMatchObject({ code: "REGISTRY_TICKET_NOT_FOUND" });
    });
  });

  it("grants a lock to one holder at a time, renews and releases it", async () => {
    const r = await open();
    const lease = await r.tryAcquireLock("repair", 60_000);
    expect(lease).not.toBeNull();
    if (lease === null) return;
    expect(await r.tryAcquireLock("repair", 60_000)).toBeNull();
    const contenders = await Promise.all(Array.from({ length: 10 }, () => r.tryAcquireLock("other", 60_000)));
    expect(contenders.filter((l) => l !== null)).toHaveLength(1);
    const renewed = await r.renewLock(lease, 120_000);
    expect(renewed.expiresAt).toBeGreaterThan(lease.expiresAt);
    expect(await r.releaseLock(lease)).toBe(true);
    expect(await r.releaseLock(lease)).toBe(false);
    await expect(r.renewLock(lease, 1000)).rejects.toThrow(LockLostError);
    const lapsing = await r.tryAcquireLock("repair", short());
    expect(lapsing).not.toBeNull();
    await ctx.harness().elapse(short());
    const successor = await eventually(async () => {
      const next = await r.tryAcquireLock("repair", 60_000);
      expect(next).not.toBeNull();
      return next;
    });
    if (lapsing !== null) {
      await expect(r.renewLock(lapsing, 1000)).rejects.toThrow(LockLostError);
      expect(await r.releaseLock(lapsing)).toBe(false);
    }
    expect(successor !== null && (await r.releaseLock(successor))).toBe(true);
  });

  it("isolates clusters by key prefix", async () => {
    const a = await open("contract-a:");
    const b = await open("contract-b:");
    expect(a.prefix).toBe("contract-a:");
    await a.registerWorker(registration("w1"));
    const ticket = await a.createTicket({ dataset: "d", version: 1, shardId: "s" }, 60_000);
    const up = await a.beginUpload("d", 60_000);
    expect(await b.listWorkers()).toEqual([]);
    expect(await b.resolveTicket(ticket.id)).toBeNull();
    expect(await b.getUpload(up.id)).toBeNull();
    const upB = await b.beginUpload("d", 60_000);
    expect(upB.version).toBe(1);
    await b.registerWorker(registration("w1"));
    expect(await a.listWorkers()).toHaveLength(1);
    expect(await a.resolveTicket(ticket.id)).not.toBeNull();
  });

  it("rejects calls with an aborted signal and after close", async () => {
    const r = await open();
    const controller = new AbortController();
    controller.abort();
    await expect(r.listWorkers(controller.signal)).rejects.toThrow(RegistryAbortedError);
    await expect(
      r.createTicket({ dataset: "d", version: 1, shardId: "s" }, 1000, controller.signal),
    ).rejects.toMatchObject({
      code: "REGISTRY_ABORTED",
    });
    await r.close();
    await r.close();
    const error = await r.listWorkers().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryClosedError);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).grpcCode).toBe(14);
  });
}
