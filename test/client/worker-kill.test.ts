/**
 * SIGKILL a real worker process in the middle of a fetch of a multi-shard dataset
 * (a real cluster of CLI processes on a private Redis, test/kit/cluster.ts): the fetch
 * completes from the surviving replicas, resuming the interrupted endpoint after its last
 * batch, and the rows equal the source value for value, without duplicates.
 */
import { createClusterClient, type FetchEvent, type ResumeMode } from "@flight-cluster/client";
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

/** Fetches "kill-me", SIGKILLs the worker serving the endpoint being consumed, checks every row arrived once. */
async function killMidFetch(resume: ResumeMode): Promise<void> {
  const c = cluster as Cluster;
  // A small flow-control window and byte budget keep every stream open mid-shard (the
  // workers cannot send a whole shard ahead of the consumer).
  const client = createClusterClient(c.plannerUri, { flowControlWindowBytes: 65_535 });
  const events: FetchEvent[] = [];
  let victim: number | undefined;
  try {
    const fetch = client.fetch("kill-me", {
      concurrency: 3,
      byteBudget: 128 * 1024,
      resume,
      onEvent: (e) => events.push(e),
    });
    const info = await fetch.info();
    expect(info.endpoints.length).toBeGreaterThan(4);
    const batches: RecordBatch[] = [];
    let victimUri: string | undefined;
    for await (const batch of fetch) {
      batches.push(batch);
      if (victimUri === undefined && batches.length === 3) {
        // The location serving the endpoint being consumed: it has delivered batches already.
        const current = fetch.progress().current;
        victimUri = current.get(0) ?? [...current.values()][0];
        victim = c.workers.findIndex((w) => w.uri === victimUri);
        expect(victim).toBeGreaterThanOrEqual(0);
        await c.killWorker(victim, "SIGKILL");
      }
    }
    expect(sequenceProblem(columnValues(batches, "id"), ROWS)).toBeUndefined();
    expect(columnValues(batches, "value")[ROWS - 1]).toBe((ROWS - 1) * 1.5);
    const failovers = events.filter((e) => e.kind === "failover" && e.location === victimUri);
    expect(failovers.length).toBeGreaterThan(0);
    expect(failovers.some((e) => e.kind === "failover" && e.batchesDelivered > 0)).toBe(true);
    expect(events.some((e) => e.kind === "resume")).toBe(true);
    expect(c.deadProcesses()).toEqual([]);
  } finally {
    client.close();
    if (victim !== undefined && victim >= 0) await c.restartWorker(victim);
  }
}

describe("a worker killed mid-fetch", () => {
  it("the fetch completes with every row exactly once (client-side skip on resume)", async () => {
    await killMidFetch("client");
  });

  it("the fetch completes with every row exactly once (resume acknowledged by the worker)", async () => {
    await killMidFetch("acknowledged");
  });
});
