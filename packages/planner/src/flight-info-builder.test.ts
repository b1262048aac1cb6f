import { FlightDescriptor, StatusCode } from "@flight-cluster/protocol";
import { describe, expect, it } from "vitest";
import { createFlightInfoBuilder, type EndpointMetadata } from "./flight-info-builder.js";
import { commitDataset, populatedRegistry } from "./planner.test-kit.js";
import { PlannerError } from "./planner-error.js";

const utf8 = new TextDecoder();

async function failure(promise: Promise<unknown>): Promise<PlannerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PlannerError) return error;
    throw error;
  }
  throw new Error("expected a PlannerError");
}

async function setup() {
  const { registry } = await populatedRegistry();
  const dataset = await commitDataset(registry, "sales/2026", [
    ["w-a1", "w-b1"],
    ["w-b1", "w-c1"],
    ["w-a2", "w-c1"],
  ]);
  const counted: number[] = [];
  const builder = createFlightInfoBuilder({
    registry,
    ticketTtlMs: 60_000,
    maxDescriptorBytes: 4096,
    metrics: {
      rpcFinished() {},
      ticketsIssued: (n) => counted.push(n),
      uploadFinished() {},
      repairAction() {},
      commitNotice() {},
    },
  });
  return { registry, dataset, builder, counted };
}

describe("FlightInfoBuilder.getFlightInfo", () => {
  it("answers one endpoint per shard in order, with exact totals and registered tickets", async () => {
    const { registry, dataset, builder, counted } = await setup();
    const before = Date.now();
    const descriptor = FlightDescriptor.forPath("sales", "2026");
    const info = await builder.getFlightInfo(descriptor, { principal: "alice" });
    expect(info.ordered).toBe(true);
    expect(info.descriptor).toBe(descriptor);
    expect(info.totalRecords).toBe(100 + 101 + 102);
    expect(info.totalBytes).toBe(10_000 + 10_001 + 10_002);
    expect(info.schema.fields.map((f) => f.name)).toEqual(["id", "name", "amount"]);
    expect(info.endpoints).toHaveLength(3);
    expect(counted).toEqual([3]);
    const ids = new Set<string>();
    for (const [index, endpoint] of info.endpoints.entries()) {
      const shard = dataset.shards[index]!;
      const meta = JSON.parse(utf8.decode(endpoint.appMetadata)) as EndpointMetadata;
      expect(meta).toEqual({ shard: shard.id, index, rows: shard.rows, bytes: shard.bytes, digest: shard.digest });
      const id = utf8.decode(endpoint.ticket.ticket);
      ids.add(id);
      const ticket = await registry.resolveTicket(id);
      expect(ticket?.payload).toEqual({
        dataset: "sales/2026",
        version: dataset.version,
        shardId: shard.id,
        principal: "alice",
      });
      expect(endpoint.expirationTime?.getTime()).toBe(ticket?.expiresAt);
      expect(endpoint.expirationTime!.getTime()).toBeGreaterThanOrEqual(before + 60_000);
      expect(endpoint.locations).toHaveLength(2);
    }
    expect(ids.size).toBe(3);
    const again = await builder.getFlightInfo(descriptor);
    expect(utf8.decode(again.endpoints[0]!.ticket.ticket)).not.toBe(utf8.decode(info.endpoints[0]!.ticket.ticket));
  });

  it("orders every endpoint's locations by the caller's zone, then by load", async () => {
    const { builder } = await setup();
    const uris = async (zone?: string) =>
      (await builder.getFlightInfo(FlightDescriptor.forPath("sales/2026"), { zone })).endpoints.map((e) =>
        e.locations.map((l) => l.uri.replace(/^grpc\+tcp:\/\/|:9000$/g, "")),
      );
    expect(await uris("a")).toEqual([
      ["w-a1", "w-b1"],
      ["w-c1", "w-b1"],
      ["w-a2", "w-c1"],
    ]);
    expect(await uris("b")).toEqual([
      ["w-b1", "w-a1"],
      ["w-b1", "w-c1"],
      ["w-c1", "w-a2"],
    ]);
    // No zone: lowest load first (w-c1 0 < w-a2 1 < w-b1 2 < w-a1 3).
    expect(await uris()).toEqual([
      ["w-b1", "w-a1"],
      ["w-c1", "w-b1"],
      ["w-c1", "w-a2"],
    ]);
  });

  it("projects columns in schema order; tickets carry them; bytes are unknown (-1)", async () => {
    const { registry, builder } = await setup();
    const descriptor = FlightDescriptor.forCommand(
      JSON.stringify({ dataset: "sales/2026", columns: ["amount", "id"] }),
    );
    const info = await builder.getFlightInfo(descriptor);
    expect(info.schema.fields.map((f) => f.name)).toEqual(["id", "amount"]);
    expect(info.totalRecords).toBe(303);
    expect(info.totalBytes).toBe(-1);
    const ticket = await registry.resolveTicket(utf8.decode(info.endpoints[0]!.ticket.ticket));
    expect(ticket?.payload.columns).toEqual(["id", "amount"]);
    expect((await builder.getSchema(descriptor)).fields.map((f) => f.name)).toEqual(["id", "amount"]);
  });

  it("fails clearly: unknown dataset, unknown column, bad descriptor, shard without live replica", async () => {
    const { registry, builder } = await setup();
    const missing = await failure(builder.getFlightInfo(FlightDescriptor.forPath("nope")));
    expect(missing.code).toBe(StatusCode.NOT_FOUND);
    expect(missing.rawMessage).toBe('dataset "nope" does not exist');

    const column = await failure(
      builder.getFlightInfo(FlightDescriptor.forCommand(JSON.stringify({ dataset: "sales/2026", columns: ["price"] }))),
    );
    expect(column.code).toBe(StatusCode.INVALID_ARGUMENT);
    expect(column.rawMessage).toMatch(/has no column "price"/);

    const big = await failure(builder.getFlightInfo(FlightDescriptor.forCommand("x".repeat(5000))));
    expect(big.code).toBe(StatusCode.RESOURCE_EXHAUSTED);
    expect((await failure(builder.getFlightInfo(FlightDescriptor.forPath("../etc")))).code).toBe(
      StatusCode.INVALID_ARGUMENT,
    );

    const b1 = await registry.getWorker("w-b1");
    const c1 = await registry.getWorker("w-c1");
    await registry.deregisterWorker("w-b1", b1!.epoch);
    await registry.deregisterWorker("w-c1", c1!.epoch);
    const down = await failure(builder.getFlightInfo(FlightDescriptor.forPath("sales/2026")));
    expect(down.code).toBe(StatusCode.UNAVAILABLE);
    expect(down.reason).toBe("PLANNER_SHARD_UNAVAILABLE");
    expect(down.rawMessage).toMatch(
      /^shard 1 \(.+\.1\) of dataset "sales\/2026" version 1 has no live replica \(replicas: w-b1, w-c1\)/,
    );
  });
});

describe("FlightInfoBuilder: poll, schema, list", () => {
  it("PollFlightInfo is complete at once", async () => {
    const { builder } = await setup();
    const poll = await builder.pollFlightInfo(FlightDescriptor.forPath("sales/2026"));
    expect(poll.descriptor).toBeUndefined();
    expect(poll.progress).toBe(1);
    expect(poll.info?.endpoints).toHaveLength(3);
  });

  it("ListFlights lists datasets without endpoints, filtered by a name prefix", async () => {
    const { registry, builder } = await setup();
    await commitDataset(registry, "events", [["w-a1"]]);
    const all = await builder.listFlights();
    expect(all.map((info) => info.descriptor)).toEqual([
      { type: "path", path: ["events"] },
      { type: "path", path: ["sales/2026"] },
    ]);
    expect(all.every((info) => info.endpoints.length === 0)).toBe(true);
    expect(all[1]?.totalRecords).toBe(303);
    expect(JSON.parse(utf8.decode(all[1]!.appMetadata))).toMatchObject({
      dataset: "sales/2026",
      version: 1,
      shards: 3,
    });
    const sales = await builder.listFlights({ expression: new TextEncoder().encode("sales/") });
    expect(sales.map((info) => info.totalRecords)).toEqual([303]);
    const bad = await failure(builder.listFlights({ expression: new Uint8Array([0xff]) }));
    expect(bad.code).toBe(StatusCode.INVALID_ARGUMENT);
  });
});
