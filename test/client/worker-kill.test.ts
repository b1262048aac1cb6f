/**
 * SIGKILL a real worker process in the middle of a fetch of a multi-shard dataset
 * (a real cluster of CLI processes on a private Redis, test/kit/cluster.ts): the fetch
 * completes from the surviving replicas, resuming the interrupted endpoint after its last
 * batch, and the rows equal the source value for value, without duplicates.
 */
import { createClusterClient, type FetchEvent } from "@flight-cluster/client";
import type { RecordBatch } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, startCluster } from "../kit/cluster.js";
import { columnValues, makeTable, sequenceProblem } from "./cluster-kit.js";

const ROWS = 400_000;
let cluster: Cluster | undefined;

beforeAll(async () => {
  cluster = await startCluster({ workers: 3, shardTargetBytes: "1MiB", heartbeatTtl: "3s" });
  const client = createClusterClient(cluster.plannerUri);
  try {
    await client.put("kill-me", makeTable(ROWS, 2048), { concurrency: 4 });
  } finally {
    client.close();
  }
}, 180_000);

afterAll(async () => {
  await cluster?.close();
});

describe("a worker killed mid-fetch", () => {
  it("the fetch completes with every row exactly once", async () => {
    const c = cluster as Cluster;
    // A small flow-control window and byte budget keep every stream open mid-shard (the
    // workers cannot send a whole shard ahead of the consumer).
    const client = createClusterClient(c.plannerUri, { flowControlWindowBytes: 65_535 });
    const events: FetchEvent[] = [];
    try {
      const fetch = client.fetch("kill-me", { concurrency: 3, byteBudget: 128 * 1024, onEvent: (e) => events.push(e) });
      const info = await fetch.info();
      expect(info.endpoints.length).toBeGreaterThan(4);
      const batches: RecordBatch[] = [];
      let victim: string | undefined;
      for await (const batch of fetch) {
        batches.push(batch);
        if (victim === undefined && batches.length === 3) {
          // The location serving the endpoint being consumed: it has delivered batches already.
          const current = fetch.progress().current;
          victim = current.get(0) ?? [...current.values()][0];
          const index = c.workers.findIndex((w) => w.uri === victim);
          expect(index).toBeGreaterThanOrEqual(0);
          await c.killWorker(index, "SIGKILL");
        }
      }
      expect(sequenceProblem(columnValues(batches, "id"), ROWS)).toBeUndefined();
      expect(columnValues(batches, "value")[ROWS - 1]).toBe((ROWS - 1) * 1.5);
      const failovers = events.filter((e) => e.kind === "failover" && e.location === victim);
      expect(failovers.length).toBeGreaterThan(0);
      expect(failovers.some((e) => e.kind === "failover" && e.batchesDelivered > 0)).toBe(true);
      expect(events.some((e) => e.kind === "resume")).toBe(true);
      expect(c.deadProcesses()).toEqual([]);
    } finally {
      client.close();
    }
  });
});
