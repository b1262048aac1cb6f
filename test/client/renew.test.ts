/**
 * Tickets near expiry are renewed during a long fetch: with a 1 s ticket TTL and a
 * consumer that holds the fetch past the tickets' expiration time, the endpoints not
 * started yet are still redeemable (RenewFlightEndpoint against the planner), whereas
 * without renewal they fail with NOT_FOUND.
 */
import { createClusterClient, type FetchEvent } from "@flight-cluster/client";
import { FlightNotFoundError } from "@flight-cluster/protocol";
import type { RecordBatch } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  columnValues,
  loadThroughPlanner,
  makeTable,
  sequenceProblem,
  startTestCluster,
  type TestCluster,
} from "./cluster-kit.js";

const ROWS = 40_000;
const TTL_MS = 1000;
let cluster: TestCluster;

beforeAll(async () => {
  const options = { ticketCacheMs: 0 };
  cluster = await startTestCluster({
    workers: [
      { zone: "a", options },
      { zone: "b", options },
    ],
    shardTargetBytes: 64 * 1024,
    ticketTtlMs: TTL_MS,
  });
  await loadThroughPlanner(cluster.uri, "slow", makeTable(ROWS, 2000));
});

afterAll(async () => {
  await cluster?.close();
});

/** Reads "slow" one endpoint at a time, holding the first batch until every ticket has expired. */
async function slowFetch(renew: boolean): Promise<{ batches: RecordBatch[]; events: FetchEvent[] }> {
  const client = createClusterClient(cluster.uri);
  const events: FetchEvent[] = [];
  try {
    const fetch = client.fetch("slow", { renew, concurrency: 1, byteBudget: 1, onEvent: (e) => events.push(e) });
    const info = await fetch.info();
    expect(info.endpoints.length).toBeGreaterThan(3);
    const expiry = Math.max(...info.endpoints.map((e) => e.expirationTime?.getTime() ?? 0));
    expect(expiry).toBeGreaterThan(Date.now());
    const batches: RecordBatch[] = [];
    for await (const batch of fetch) {
      if (batches.length === 0) {
        // The condition under test is time itself: hold the fetch until the tickets expire.
        await new Promise((resolve) => setTimeout(resolve, expiry - Date.now() + 300));
      }
      batches.push(batch);
    }
    return { batches, events };
  } finally {
    client.close();
  }
}

describe("ticket renewal", () => {
  it("renews tickets before they expire, so a long fetch completes", async () => {
    const { batches, events } = await slowFetch(true);
    expect(sequenceProblem(columnValues(batches, "id"), ROWS)).toBeUndefined();
    expect(events.filter((e) => e.kind === "renewed").length).toBeGreaterThan(0);
    expect(events.filter((e) => e.kind === "renew-failed")).toEqual([]);
  });

  it("without renewal the endpoints started after the expiry fail with NOT_FOUND", async () => {
    await expect(slowFetch(false)).rejects.toBeInstanceOf(FlightNotFoundError);
  });
});
