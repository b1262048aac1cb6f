/**
 * The client against an in-process cluster (planner + 3 workers in zones a, b, c, R = 2):
 * ordered and unordered merges, projection, readTable, progress, zone preference, renewal
 * of tickets during a long fetch, and clear errors.
 */
import { createClusterClient, type FetchEvent, isClientError } from "@flight-cluster/client";
import { FlightNotFoundError } from "@flight-cluster/protocol";
import type { RecordBatch } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  columnValues,
  loadThroughPlanner,
  makeTable,
  sequenceProblem,
  startTestCluster,
  type TestCluster,
} from "./cluster-kit.js";

const ROWS = 200_000;
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster({ workers: [{ zone: "a" }, { zone: "b" }, { zone: "c" }] });
  await loadThroughPlanner(cluster.uri, "sales", makeTable(ROWS, 8192));
});

afterAll(async () => {
  await cluster?.close();
});

describe("fetch from the cluster", () => {
  it("reads every endpoint in order, each from one of its replicas", async () => {
    const client = createClusterClient(cluster.uri);
    try {
      const events: FetchEvent[] = [];
      const fetch = client.fetch("sales", { onEvent: (e) => events.push(e), concurrency: 3 });
      const info = await fetch.info();
      expect(info.endpoints.length).toBeGreaterThan(3);
      const batches: RecordBatch[] = [];
      for await (const batch of fetch) batches.push(batch);
      expect(sequenceProblem(columnValues(batches, "id"), ROWS)).toBeUndefined();
      expect(columnValues(batches, "value")[12345]).toBe(12345 * 1.5);
      const done = events.filter((e) => e.kind === "endpoint-done");
      expect(done).toHaveLength(info.endpoints.length);
      for (const e of done) {
        if (e.kind !== "endpoint-done") continue;
        const allowed = (info.endpoints[e.endpoint]?.locations ?? []).map((l) => l.uri);
        expect(allowed).toContain(e.location);
      }
      const progress = fetch.progress();
      expect(progress.rows).toBe(ROWS);
      expect(progress.endpointsDone).toBe(info.endpoints.length);
      expect(progress.current.size).toBe(0);
    } finally {
      client.close();
    }
  });

  it("merges unordered when asked, without losing or duplicating a row, and without a listener-leak warning", async () => {
    const client = createClusterClient(cluster.uri);
    const warned = vi.spyOn(process, "emitWarning");
    try {
      const table = await client.fetch("sales", { ordered: false, concurrency: 32 }).readTable();
      const ids = columnValues(table.batches, "id").sort((a, b) => a - b);
      expect(sequenceProblem(ids, ROWS)).toBeUndefined();
      // Every endpoint in flight holds abort listeners on the fetch's signal, more than Node's
      // default of 10 here; that is by design, not a leak, and must not warn users.
      const leaks = warned.mock.calls.filter((args) => String(args[0]).includes("memory leak"));
      expect(leaks).toEqual([]);
    } finally {
      warned.mockRestore();
      client.close();
    }
  });

  it("projects columns through the planner's command descriptor", async () => {
    const client = createClusterClient(cluster.uri);
    try {
      const table = await client.fetch("sales", { columns: ["tag", "id"] }).readTable();
      expect(table.schema.fields.map((f) => f.name)).toEqual(["id", "tag"]);
      expect(table.numRows).toBe(ROWS);
      expect(columnValues(table.batches, "tag")[100]).toBe(100 % 7);
    } finally {
      client.close();
    }
  });

  it("prefers replicas in the caller's zone", async () => {
    const client = createClusterClient(cluster.uri, { zone: "b" });
    try {
      const events: FetchEvent[] = [];
      const fetch = client.fetch("sales", { onEvent: (e) => events.push(e) });
      const info = await fetch.info();
      await fetch.readTable();
      const zoneOf = new Map(cluster.workers.map((w) => [w.uri, w.zone]));
      for (const e of events) {
        if (e.kind !== "endpoint-done") continue;
        const holders = (info.endpoints[e.endpoint]?.locations ?? []).map((l) => zoneOf.get(l.uri));
        if (holders.includes("b")) expect(zoneOf.get(e.location)).toBe("b");
      }
    } finally {
      client.close();
    }
  });

  it("fails with NOT_FOUND for an unknown dataset and a clear error for a bad column", async () => {
    const client = createClusterClient(cluster.uri);
    try {
      await expect(client.fetch("nope").readTable()).rejects.toBeInstanceOf(FlightNotFoundError);
      await expect(client.fetch("sales", { columns: ["zzz"] }).readTable()).rejects.toThrow(/zzz/);
      expect(() => client.fetch("sales", { concurrency: 0 })).toThrow(/concurrency/);
      const error = (() => {
        try {
          client.fetch("sales", { byteBudget: -1 });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(isClientError(error, "CLIENT_INVALID_OPTIONS")).toBe(true);
    } finally {
      client.close();
    }
  });
});
