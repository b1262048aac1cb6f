/**
 * Location choice under real wire latency: every worker sits behind its own delay proxy
 * (test/kit/delay-proxy.ts, a separate process) and advertises the proxy's address, so
 * every byte between the client and a worker is delayed on the wire.
 *
 * - Different delays: the client reads at least 95% of endpoints from the replica with
 *   the lowest latency.
 * - Equal delays: the replicas share the endpoints (balanced split).
 */
import { createClusterClient, type FetchEvent } from "@flight-cluster/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DelayProxy, startDelayProxy } from "../kit/delay-proxy.js";
import { columnValues, makeTable, sequenceProblem, startTestCluster, type TestCluster } from "./cluster-kit.js";

interface Bed {
  cluster: TestCluster;
  proxies: DelayProxy[];
  /** Proxy URI -> one-way delay, ms. */
  delays: Map<string, number>;
}

const ROWS = 48_000;
/** Round-trip estimates of the last fetch (for failure messages). */
let lastEstimates: unknown;

/** Workers in zones a, b, c... each behind a proxy with the given delay; a dataset of 48 one-batch shards. */
async function startBed(delaysMs: readonly number[], replicas: number): Promise<Bed> {
  const proxies: DelayProxy[] = [];
  try {
    for (const d of delaysMs) proxies.push(await startDelayProxy(d));
    const cluster = await startTestCluster({
      workers: proxies.map((p, i) => ({ zone: String.fromCharCode(97 + i), advertise: p.uri })),
      replicas,
      shardTargetBytes: 16 * 1024,
    });
    for (const [i, p] of proxies.entries()) await p.setTarget("127.0.0.1", cluster.workers[i]?.port as number);
    const client = createClusterClient(cluster.uri);
    try {
      await client.put("data", makeTable(ROWS, 1000), { concurrency: 8 });
    } finally {
      client.close();
    }
    return { cluster, proxies, delays: new Map(proxies.map((p, i) => [p.uri, delaysMs[i] as number])) };
  } catch (error) {
    for (const p of proxies) await p.stop();
    throw error;
  }
}

async function stopBed(bed: Bed | undefined): Promise<void> {
  if (bed === undefined) return;
  await bed.cluster.close();
  for (const p of bed.proxies) await p.stop();
}

/** Fetches "data" with a fresh client; returns the endpoint -> location choices and the candidates. */
async function fetchChoices(bed: Bed): Promise<{ chosen: Map<number, string>; candidates: string[][] }> {
  const client = createClusterClient(bed.cluster.uri);
  try {
    const events: FetchEvent[] = [];
    const fetch = client.fetch("data", { concurrency: 4, onEvent: (e) => events.push(e) });
    const info = await fetch.info();
    const table = await fetch.readTable();
    expect(sequenceProblem(columnValues(table.batches, "id"), ROWS)).toBeUndefined();
    const chosen = new Map<number, string>();
    for (const e of events) if (e.kind === "endpoint-done") chosen.set(e.endpoint, e.location);
    expect(chosen.size).toBe(info.endpoints.length);
    expect(events.filter((e) => e.kind === "failover")).toEqual([]);
    lastEstimates = [...client.locations()].map(([uri, st]) => ({ delay: bed.delays.get(uri), rtt: st.rttMs }));
    return { chosen, candidates: info.endpoints.map((ep) => ep.locations.map((l) => l.uri)) };
  } finally {
    client.close();
  }
}

describe("replicas at different latencies", () => {
  let bed: Bed | undefined;
  beforeAll(async () => {
    bed = await startBed([1, 25, 60], 2);
  }, 120_000);
  afterAll(async () => {
    await stopBed(bed);
  });

  it("reads at least 95% of endpoints from the lowest-latency replica", async () => {
    const b = bed as Bed;
    const { chosen, candidates } = await fetchChoices(b);
    let best = 0;
    for (const [endpoint, location] of chosen) {
      const options = candidates[endpoint] ?? [];
      const lowest = options.reduce((x, y) => ((b.delays.get(x) ?? 0) <= (b.delays.get(y) ?? 0) ? x : y));
      if (location === lowest) best++;
    }
    expect(chosen.size).toBeGreaterThanOrEqual(40);
    expect(best / chosen.size, `estimates: ${JSON.stringify(lastEstimates)}`).toBeGreaterThanOrEqual(0.95);
  });
});

describe("replicas at equal latencies", () => {
  let bed: Bed | undefined;
  beforeAll(async () => {
    bed = await startBed([10, 10], 2);
  }, 120_000);
  afterAll(async () => {
    await stopBed(bed);
  });

  it("splits the endpoints evenly between them", async () => {
    const b = bed as Bed;
    const { chosen } = await fetchChoices(b);
    const perLocation = new Map<string, number>();
    for (const location of chosen.values()) perLocation.set(location, (perLocation.get(location) ?? 0) + 1);
    expect(perLocation.size).toBe(2);
    for (const count of perLocation.values()) {
      expect(count / chosen.size).toBeGreaterThanOrEqual(0.3);
      expect(count / chosen.size).toBeLessThanOrEqual(0.7);
    }
  });
});
