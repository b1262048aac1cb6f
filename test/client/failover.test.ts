/**
 * Failover, resume, dead locations and cancellation against a generic Flight service
 * (test/client/toy-flight-service.ts: several real servers on real sockets serving the
 * same data, which fail, stall or ignore the resume header on demand).
 */
import { createServer, type Socket } from "node:net";
import { createClusterClient, type FetchEvent, isClientError } from "@flight-cluster/client";
import { FlightCancelledError } from "@flight-cluster/protocol";
import type { RecordBatch } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { columnValues } from "./cluster-kit.js";
import { expectedIds, startToyService, type ToyService, type ToyServiceOptions } from "./toy-flight-service.js";

let service: ToyService | undefined;
const servers: Array<{ close(done: () => void): void; destroyConnections(): void }> = [];

afterEach(async () => {
  await service?.close();
  service = undefined;
  for (const s of servers.splice(0)) {
    s.destroyConnections();
    await new Promise<void>((resolve) => s.close(resolve));
  }
});

/** A TCP listener that accepts connections and never answers; counts them. */
async function startStalledListener(): Promise<{ uri: string; accepted: () => number }> {
  let accepted = 0;
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    accepted++;
    sockets.push(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push({
    close: (done) => server.close(done),
    destroyConnections: () => {
      for (const s of sockets) s.destroy();
    },
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { uri: `grpc+tcp://127.0.0.1:${port}`, accepted: () => accepted };
}

/** Active handles and requests by type (timers, sockets, servers...). */
function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** Resource types with more active instances than in `baseline`. */
function resourcesAbove(baseline: Map<string, number>): string[] {
  return [...resourceCounts()].filter(([type, n]) => n > (baseline.get(type) ?? 0)).map(([type, n]) => `${type} x${n}`);
}

async function readAll(
  uri: string,
  options: Parameters<ReturnType<typeof createClusterClient>["fetch"]>[1] = {},
  clientOptions: Parameters<typeof createClusterClient>[1] = {},
): Promise<{ ids: number[]; events: FetchEvent[] }> {
  const client = createClusterClient(uri, clientOptions);
  const events: FetchEvent[] = [];
  try {
    const batches: RecordBatch[] = [];
    for await (const b of client.fetch("toy", { ...options, onEvent: (e) => events.push(e) })) batches.push(b);
    return { ids: columnValues(batches, "id"), events };
  } finally {
    client.close();
  }
}

const SHAPE: ToyServiceOptions = { replicas: 2, endpoints: 4, batchesPerEndpoint: 6, rowsPerBatch: 100 };

describe("mid-stream failover", () => {
  // receiveThreads 2: the same through DoGets in worker threads (the resume acknowledgement is a response header).
  it.each([
    0, 2,
  ])("resumes on another replica after the last batch; the server skips and acknowledges (receiveThreads %i)", async (receiveThreads) => {
    service = await startToyService({ ...SHAPE, locations: (_, uris) => uris });
    service.failFirst.set("e1", 4);
    for (const r of service.replicas) r.behaviour.honourSkip = true;
    const { ids, events } = await readAll(service.replicas[0]?.uri as string, {}, { receiveThreads });
    expect(ids).toEqual(expectedIds(SHAPE));
    expect(events).toContainEqual(expect.objectContaining({ kind: "failover", endpoint: 1, batchesDelivered: 4 }));
    expect(events).toContainEqual(
      expect.objectContaining({ kind: "resume", endpoint: 1, skipBatches: 4, skippedBy: "server" }),
    );
    const failed = events.find((e) => e.kind === "failover")?.location;
    const resumed = events.find((e) => e.kind === "resume")?.location;
    expect(resumed).not.toBe(failed);
    expect(service.replicas.flatMap((r) => r.skipsAsked)).toEqual([4]);
  });

  it("skips the delivered batches itself when the server ignores the resume header", async () => {
    service = await startToyService({ ...SHAPE, locations: (_, uris) => uris });
    service.failFirst.set("e2", 3);
    service.failFirst.set("e3", 5);
    const { ids, events } = await readAll(service.replicas[0]?.uri as string, { ordered: false, concurrency: 4 });
    expect([...ids].sort((a, b) => a - b)).toEqual(expectedIds(SHAPE));
    const resumes = events.filter((e) => e.kind === "resume");
    expect(resumes).toHaveLength(2);
    for (const r of resumes) expect(r).toMatchObject({ skippedBy: "client" });
    expect(service.replicas.flatMap((r) => r.skipsAsked).sort()).toEqual([3, 5]);
  });

  it("moves to the next location when a DoGet fails before its first batch", async () => {
    service = await startToyService({ ...SHAPE, locations: (_, uris) => uris });
    service.failFirst.set("e0", 0);
    const { ids, events } = await readAll(service.replicas[0]?.uri as string);
    expect(ids).toEqual(expectedIds(SHAPE));
    expect(events).toContainEqual(expect.objectContaining({ kind: "failover", endpoint: 0, batchesDelivered: 0 }));
    expect(events.filter((e) => e.kind === "resume")).toEqual([]);
  });

  it("fails with CLIENT_NO_LOCATION naming each error when every location fails", async () => {
    service = await startToyService({ ...SHAPE, endpoints: 1, locations: (_, uris) => uris });
    for (const r of service.replicas) r.behaviour.failAfter.set("e0", 0);
    const error = await readAll(service.replicas[0]?.uri as string, { maxAttempts: 2 }).catch((e: unknown) => e);
    expect(isClientError(error, "CLIENT_NO_LOCATION")).toBe(true);
    expect(String(error)).toMatch(/replica 0 fails e0/);
    expect(String(error)).toMatch(/replica 1 fails e0/);
  });
});

describe("locations", () => {
  it("redeems endpoints without locations, or with the reuse-connection location, on the origin", async () => {
    const shape = { ...SHAPE, replicas: 1 };
    service = await startToyService({
      ...shape,
      locations: (i) => (i % 2 === 0 ? [] : ["arrow-flight-reuse-connection://?"]),
    });
    const { ids, events } = await readAll(service.replicas[0]?.uri as string);
    expect(ids).toEqual(expectedIds(shape));
    for (const e of events) if (e.kind === "endpoint-done") expect(e.location).toBe(service.replicas[0]?.uri);
  });

  it("a location that accepts and never answers costs one connect timeout for the whole fetch", async () => {
    const stalled = await startStalledListener();
    const shape = { ...SHAPE, endpoints: 8 };
    service = await startToyService({ ...shape, locations: (_, uris) => [stalled.uri, ...uris] });
    const { ids, events } = await readAll(
      service.replicas[0]?.uri as string,
      { concurrency: 4 },
      { connectTimeoutMs: 300 },
    );
    expect(ids).toEqual(expectedIds(shape));
    expect(stalled.accepted()).toBe(1);
    const failedProbes = events.flatMap((e) => (e.kind === "probe" && e.error !== undefined ? [e.location] : []));
    expect(failedProbes).toEqual([stalled.uri]);
    for (const e of events) if (e.kind === "attempt") expect(e.location).not.toBe(stalled.uri);
  });

  it("without probes, a refused location is tried once and then avoided", async () => {
    const stalled = await startStalledListener();
    const refused = stalled.uri.replace(/:\d+$/, ":1");
    const shape = { ...SHAPE, endpoints: 6 };
    service = await startToyService({ ...shape, locations: (_, uris) => [refused, ...uris] });
    const { ids, events } = await readAll(service.replicas[0]?.uri as string, { concurrency: 1 }, { probe: false });
    expect(ids).toEqual(expectedIds(shape));
    expect(events.filter((e) => e.kind === "attempt" && e.location === refused)).toHaveLength(1);
    expect(events.filter((e) => e.kind === "location-dead")).toHaveLength(1);
  });
});

describe("cancellation", () => {
  it.each([
    0, 2,
  ])("one AbortSignal cancels every DoGet promptly and leaves no handles (receiveThreads %i)", async (receiveThreads) => {
    const baseline = resourceCounts();
    service = await startToyService({ ...SHAPE, endpoints: 6 });
    for (const r of service.replicas) r.behaviour.stallAfter = 2;
    const client = createClusterClient(service.replicas[0]?.uri as string, { receiveThreads });
    const controller = new AbortController();
    let received = 0;
    const reading = (async () => {
      for await (const _ of client.fetch("toy", { signal: controller.signal, concurrency: 3, ordered: false })) {
        received++;
        if (received === 6) controller.abort();
      }
    })();
    const error = await reading.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlightCancelledError);
    const toy = service;
    await expect.poll(() => toy.replicas.reduce((n, r) => n + r.active, 0), { timeout: 5000, interval: 20 }).toBe(0);
    expect(toy.replicas.reduce((n, r) => n + r.cancelled, 0)).toBe(3);
    client.close();
    await toy.close();
    service = undefined;
    await expect.poll(() => resourcesAbove(baseline), { timeout: 5000, interval: 20 }).toEqual([]);
  });

  it("breaking out of the loop cancels the rest", async () => {
    service = await startToyService({ ...SHAPE, endpoints: 6 });
    for (const r of service.replicas) r.behaviour.stallAfter = 3;
    const client = createClusterClient(service.replicas[0]?.uri as string);
    try {
      let received = 0;
      for await (const _ of client.fetch("toy", { concurrency: 2 })) {
        if (++received === 2) break;
      }
      const toy = service;
      await expect.poll(() => toy.replicas.reduce((n, r) => n + r.active, 0), { timeout: 5000, interval: 20 }).toBe(0);
      expect(toy.replicas.reduce((n, r) => n + r.cancelled, 0)).toBe(2);
    } finally {
      client.close();
    }
  });
});
