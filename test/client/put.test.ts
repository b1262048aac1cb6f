/**
 * Parallel put against an in-process cluster: the result is indistinguishable from a
 * DoPut of the same data through the planner (`describe`: shape, rows, bytes and
 * per-shard digests), a failed or cancelled put leaves nothing behind, bad input gets a
 * clear error.
 */
import { createClusterClient, isClientError, type PutEvent } from "@flight-cluster/client";
import { FlightCancelledError, FlightInvalidArgumentError, FlightNotFoundError } from "@flight-cluster/protocol";
import { type RecordBatch, Table, tableFromArrays } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  columnValues,
  loadThroughPlanner,
  makeTable,
  sequenceProblem,
  startTestCluster,
  type TestCluster,
} from "./cluster-kit.js";

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster({ workers: [{ zone: "a" }, { zone: "b" }, { zone: "c" }] });
});

afterAll(async () => {
  await cluster?.close();
});

interface Described {
  rows: number;
  bytes: number;
  fields: unknown;
  shards: Array<{ index: number; rows: number; bytes: number; digest: string; replicas: unknown[] }>;
}

async function describeDataset(name: string): Promise<Described> {
  const client = createClusterClient(cluster.uri);
  try {
    for await (const result of client.flight.doAction({ type: "describe", body: new TextEncoder().encode(name) })) {
      return JSON.parse(new TextDecoder().decode(result.body)) as Described;
    }
    throw new Error("describe returned nothing");
  } finally {
    client.close();
  }
}

function shardFiles(): number {
  return cluster.workers.reduce((sum, w) => sum + w.shards().length, 0);
}

function shape(d: Described) {
  return {
    rows: d.rows,
    bytes: d.bytes,
    fields: d.fields,
    shards: d.shards.map((s) => ({
      index: s.index,
      rows: s.rows,
      bytes: s.bytes,
      digest: s.digest,
      replicas: s.replicas.length,
    })),
  };
}

describe("parallel put", () => {
  it("stores exactly what a DoPut through the planner stores (describe, digests per shard)", async () => {
    // Batches of several sizes: some share a shard, one is larger than the 2 MiB message
    // limit and the 256 KiB shard target (sliced twice), and an empty one.
    const table = new Table([
      ...makeTable(40_000, 8192).batches,
      ...makeTable(200_000, 200_000).batches,
      ...makeTable(0, 1).batches,
      ...makeTable(30_000, 3000).batches,
    ] as RecordBatch[]);
    await loadThroughPlanner(cluster.uri, "via-planner", table);
    const client = createClusterClient(cluster.uri);
    const events: PutEvent[] = [];
    try {
      const summary = await client.put("via-client", table, { concurrency: 3, onEvent: (e) => events.push(e) });
      expect(summary.rows).toBe(table.numRows);
      expect(summary.replicas).toBe(2);
      const [viaPlanner, viaClient] = await Promise.all([
        describeDataset("via-planner"),
        describeDataset("via-client"),
      ]);
      expect(viaClient.shards.length).toBeGreaterThan(5);
      expect(shape(viaClient)).toEqual(shape(viaPlanner));
      expect(summary.shards).toBe(viaClient.shards.length);
      expect(events.filter((e) => e.kind === "shard-stored")).toHaveLength(summary.shards);
      expect(events.at(-1)?.kind).toBe("committed");
      const back = await client.fetch("via-client").readTable();
      expect(columnValues(back.batches, "id")).toEqual(columnValues(table.batches, "id"));
    } finally {
      client.close();
    }
  });

  it("takes an async stream of batches", async () => {
    const client = createClusterClient(cluster.uri);
    try {
      async function* batches() {
        for (const batch of makeTable(50_000, 5000).batches) yield batch;
      }
      const summary = await client.put("streamed", batches(), { shardTargetBytes: 64 * 1024 });
      expect(summary.rows).toBe(50_000);
      expect(summary.shards).toBeGreaterThan(5);
      const ids = columnValues((await client.fetch("streamed").readTable()).batches, "id");
      expect(sequenceProblem(ids, 50_000)).toBeUndefined();
    } finally {
      client.close();
    }
  });

  it("a cancelled put leaves no dataset and, after the abort, no shard files", async () => {
    const before = shardFiles();
    const client = createClusterClient(cluster.uri);
    const controller = new AbortController();
    try {
      async function* batches() {
        for (const [i, batch] of makeTable(100_000, 5000).batches.entries()) {
          if (i === 10) controller.abort();
          yield batch;
        }
      }
      const error = await client
        .put("cancelled", batches(), { signal: controller.signal, shardTargetBytes: 32 * 1024 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FlightCancelledError);
      await expect(client.fetch("cancelled").info()).rejects.toBeInstanceOf(FlightNotFoundError);
      expect(shardFiles()).toBe(before);
    } finally {
      client.close();
    }
  });

  it("a schema change mid-stream fails with INVALID_ARGUMENT and stores nothing", async () => {
    const before = shardFiles();
    const client = createClusterClient(cluster.uri);
    try {
      async function* batches() {
        yield* makeTable(10_000, 5000).batches;
        yield* tableFromArrays({ other: Float64Array.of(1, 2, 3) }).batches;
      }
      await expect(client.put("changed", batches())).rejects.toBeInstanceOf(FlightInvalidArgumentError);
      await expect(client.fetch("changed").info()).rejects.toBeInstanceOf(FlightNotFoundError);
      expect(shardFiles()).toBe(before);
      const empty = await client.put("empty-stream", (async function* () {})()).catch((e: unknown) => e);
      expect(isClientError(empty, "CLIENT_NO_SCHEMA")).toBe(true);
      await expect(client.put("bad/../name", makeTable(10, 10))).rejects.toBeInstanceOf(FlightInvalidArgumentError);
    } finally {
      client.close();
    }
  });

  it("an empty table still commits one empty shard with its schema", async () => {
    const client = createClusterClient(cluster.uri);
    try {
      const summary = await client.put("empty", makeTable(0, 1));
      expect(summary).toMatchObject({ rows: 0, shards: 1 });
      const table = await client.fetch("empty").readTable();
      expect(table.numRows).toBe(0);
      expect(table.schema.fields.map((f) => f.name)).toEqual(["id", "value", "tag"]);
    } finally {
      client.close();
    }
  });
});
