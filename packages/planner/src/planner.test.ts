import {
  connect,
  type FlightClient,
  FlightDescriptor,
  FlightError,
  type FlightInfo,
  StatusCode,
} from "@flight-cluster/protocol";
import { createMemoryRegistry, type Registry } from "@flight-cluster/registry";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningPlanner, startPlanner } from "./planner.js";
import { commitDataset, populatedRegistry, salesSchema } from "./planner.test-kit.js";
import { PLANNER_ERROR_TRAILER } from "./planner-error.js";
import { silentPlannerLogger } from "./planner-logger.js";
import { PLANNER_ACTIONS } from "./planner-service.js";

const utf8 = new TextEncoder();
const text = new TextDecoder();

let planner: RunningPlanner | undefined;
let client: FlightClient | undefined;

afterEach(async () => {
  client?.close();
  client = undefined;
  await planner?.close();
  planner = undefined;
});

async function start(registry?: Registry) {
  const reg = registry ?? (await populatedRegistry()).registry;
  planner = await startPlanner({
    registry: reg,
    port: 0,
    host: "127.0.0.1",
    repair: false,
    ticketTtlMs: 60_000,
    maxDescriptorBytes: 4096,
    logger: silentPlannerLogger,
  });
  client = connect(planner.uri);
  return { registry: reg, planner, client };
}

async function action(c: FlightClient, type: string, body: unknown = ""): Promise<unknown> {
  const bytes = typeof body === "string" ? utf8.encode(body) : utf8.encode(JSON.stringify(body));
  const results: unknown[] = [];
  for await (const result of c.doAction({ type, body: bytes })) results.push(JSON.parse(text.decode(result.body)));
  expect(results).toHaveLength(1);
  return results[0];
}

async function rejection(promise: Promise<unknown>): Promise<FlightError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FlightError) return error;
    throw error;
  }
  throw new Error("expected a FlightError");
}

function locations(info: FlightInfo): string[][] {
  return info.endpoints.map((e) => e.locations.map((l) => l.uri.replace(/^grpc\+tcp:\/\/|:9000$/g, "")));
}

describe("planner over the wire", () => {
  it("serves GetFlightInfo with zone-ordered locations, tickets and expiry; GetSchema; PollFlightInfo", async () => {
    const { registry, planner: p, client: c } = await start();
    expect(p.uri).toBe(`grpc+tcp://127.0.0.1:${p.port}`);
    expect(p.state).toBe("serving");
    await commitDataset(registry, "sales", [
      ["w-a1", "w-b1"],
      ["w-b1", "w-c1"],
    ]);
    const inB = await c.getFlightInfo(FlightDescriptor.forPath("sales"), { headers: { "x-flight-zone": "b" } });
    expect(locations(inB)).toEqual([
      ["w-b1", "w-a1"],
      ["w-b1", "w-c1"],
    ]);
    const inC = await c.getFlightInfo(FlightDescriptor.forPath("sales"), { headers: { "x-flight-zone": "c" } });
    expect(locations(inC)[1]).toEqual(["w-c1", "w-b1"]);
    expect(inB.ordered).toBe(true);
    expect(inB.totalRecords).toBe(201);
    for (const endpoint of inB.endpoints) {
      const ticket = await registry.resolveTicket(text.decode(endpoint.ticket.ticket));
      expect(ticket).not.toBeNull();
      expect(endpoint.expirationTime?.getTime()).toBe(ticket?.expiresAt);
    }
    const schema = await c.getSchema(
      FlightDescriptor.forCommand(JSON.stringify({ dataset: "sales", columns: ["amount"] })),
    );
    expect(schema.fields.map((f) => f.name)).toEqual(["amount"]);
    const poll = await c.pollFlightInfo(FlightDescriptor.forPath("sales"));
    expect(poll.info?.endpoints).toHaveLength(2);
    expect(poll.descriptor).toBeUndefined();
    const listed: FlightInfo[] = [];
    for await (const info of c.listFlights()) listed.push(info);
    expect(listed.map((info) => info.descriptor)).toEqual([{ type: "path", path: ["sales"] }]);
  });

  it("answers bad requests with clear errors and stays up", async () => {
    const { client: c } = await start();
    const cases: Array<[Promise<unknown>, number, RegExp]> = [
      [c.getFlightInfo(FlightDescriptor.forPath("missing")), StatusCode.NOT_FOUND, /dataset "missing" does not exist/],
      [c.getFlightInfo(FlightDescriptor.forPath("a/../b")), StatusCode.INVALID_ARGUMENT, /'\.\.' segment/],
      [c.getFlightInfo(FlightDescriptor.forPath("/etc/passwd")), StatusCode.INVALID_ARGUMENT, /starts with '\/'/],
      [c.getFlightInfo(FlightDescriptor.forPath("bad\u0001name")), StatusCode.INVALID_ARGUMENT, /control character/],
      [c.getFlightInfo(FlightDescriptor.forCommand("{oops")), StatusCode.INVALID_ARGUMENT, /not valid JSON/],
      [
        c.getFlightInfo(FlightDescriptor.forCommand(JSON.stringify({ dataset: "x", limit: 5 }))),
        StatusCode.INVALID_ARGUMENT,
        /unknown field "limit"/,
      ],
      [
        c.getFlightInfo(FlightDescriptor.forCommand("x".repeat(10_000))),
        StatusCode.RESOURCE_EXHAUSTED,
        /the limit is 4096 bytes/,
      ],
      [
        c.doGet("some-ticket").readAll(),
        StatusCode.UNIMPLEMENTED,
        /redeem the ticket .* at one of the endpoint's locations/,
      ],
      [action(c, "no_such_action"), StatusCode.UNIMPLEMENTED, /unknown action "no_such_action"/],
      [action(c, "describe", "nope"), StatusCode.NOT_FOUND, /dataset "nope" does not exist/],
      [action(c, "begin_upload", "{"), StatusCode.INVALID_ARGUMENT, /begin_upload: body is not valid JSON/],
      [action(c, "begin_upload", { dataset: "ok", x: 1 }), StatusCode.INVALID_ARGUMENT, /unknown field "x"/],
      [action(c, "begin_upload", { dataset: "../x" }), StatusCode.INVALID_ARGUMENT, /invalid dataset name/],
      [action(c, "plan_shards", { uploadId: "A".repeat(32), count: 1 }), StatusCode.NOT_FOUND, /upload/],
      [
        action(c, "plan_shards", { uploadId: "A".repeat(32), count: 0 }),
        StatusCode.INVALID_ARGUMENT,
        /"count" must be an integer in 1\.\.10000/,
      ],
    ];
    for (const [promise, code, message] of cases) {
      const error = await rejection(promise);
      expect({ code: error.code, message: error.rawMessage }).toMatchObject({
        code,
        message: expect.stringMatching(message),
      });
    }
    const unknown = await rejection(action(c, "no_such_action"));
    expect(unknown.metadata[PLANNER_ERROR_TRAILER]).toEqual(["PLANNER_UNKNOWN_ACTION"]);
    expect((await c.listActions()).map((a) => a.type)).toEqual(PLANNER_ACTIONS.map((a) => a.type));
  });

  it("cancels and renews tickets (CancelFlightInfo, RenewFlightEndpoint)", async () => {
    const { registry, client: c } = await start();
    await commitDataset(registry, "sales", [["w-a1"], ["w-b1"]]);
    const info = await c.getFlightInfo(FlightDescriptor.forPath("sales"));
    const [first] = info.endpoints;
    const renewed = await c.renewFlightEndpoint(first!);
    expect(renewed.expirationTime!.getTime()).toBeGreaterThanOrEqual(first!.expirationTime!.getTime());
    expect(text.decode(renewed.ticket.ticket)).toBe(text.decode(first!.ticket.ticket));
    expect(await c.cancelFlightInfo(info)).toBe(1);
    for (const endpoint of info.endpoints)
      expect(await registry.resolveTicket(text.decode(endpoint.ticket.ticket))).toBeNull();
    const gone = await rejection(c.renewFlightEndpoint(first!));
    expect(gone.code).toBe(StatusCode.NOT_FOUND);
    expect(gone.rawMessage).toMatch(/ticket is unknown, expired or cancelled/);
    const forged = await rejection(c.renewFlightEndpoint({ ...first!, ticket: { ticket: utf8.encode("forged") } }));
    expect(forged.code).toBe(StatusCode.NOT_FOUND);
  });

  it("lists datasets, describes them, lists workers and reports status", async () => {
    const { registry, client: c } = await start();
    await commitDataset(registry, "sales", [
      ["w-a1", "w-b1"],
      ["w-c1", "gone-worker"],
    ]);
    expect(await action(c, "list_datasets")).toEqual([
      expect.objectContaining({ name: "sales", version: 1, shards: 2, rows: 201, fields: expect.any(Array) }),
    ]);
    const described = (await action(c, "describe", "sales")) as { shards: Array<{ replicas: unknown[] }> };
    expect(described.shards[1]?.replicas).toEqual(
      expect.arrayContaining([
        { workerId: "w-c1", live: true, zone: "c", location: "grpc+tcp://w-c1:9000" },
        { workerId: "gone-worker", live: false },
      ]),
    );
    expect(await action(c, "describe", { dataset: "sales" })).toEqual(described);
    const workers = (await action(c, "list_workers")) as Array<{ id: string }>;
    expect(workers.map((w) => w.id)).toEqual(["w-a1", "w-a2", "w-b1", "w-c1"]);
    const status = (await action(c, "status")) as {
      zones: Record<string, number>;
      underReplicated: Array<{ shardId: string; liveReplicas: string[]; missing: number }>;
      shards: number;
    };
    expect(status.zones).toEqual({ a: 2, b: 1, c: 1 });
    expect(status.shards).toBe(2);
    expect(status.underReplicated).toEqual([expect.objectContaining({ liveReplicas: ["w-c1"], missing: 1 })]);
  });

  it("write plans: begin, plan (deterministic), commit only when every replica was recorded, abort", async () => {
    const { registry, client: c } = await start();
    const begun = (await action(c, "begin_upload", { dataset: "direct" })) as { uploadId: string; version: number };
    expect(begun.version).toBe(1);
    const plan = (await action(c, "plan_shards", { uploadId: begun.uploadId, count: 3 })) as Array<{
      shardId: string;
      index: number;
      replicas: Array<{ workerId: string; zone: string; location: string }>;
    }>;
    expect(plan.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(plan.map((p) => p.shardId)).toEqual([0, 1, 2].map((i) => `${begun.uploadId}.${i}`));
    for (const entry of plan) {
      expect(entry.replicas).toHaveLength(2);
      expect(new Set(entry.replicas.map((r) => r.zone)).size).toBe(2);
    }
    expect(await action(c, "plan_shards", { uploadId: begun.uploadId, count: 2, firstIndex: 1 })).toEqual(
      plan.slice(1),
    );
    const { encodeSchema } = await import("@flight-cluster/protocol");
    const schema = Buffer.from(encodeSchema(salesSchema)).toString("base64");
    const shards = plan.map((p) => ({ shardId: p.shardId, index: p.index }));
    // Workers record what they stored; only two of three shards so far, one with one replica.
    const record = (i: number, replicas: string[]) =>
      registry.recordUploadShard(begun.uploadId, {
        id: plan[i]!.shardId,
        index: i,
        rows: 10,
        bytes: 100,
        digest: `sha256:${i}`,
        replicas,
      });
    await record(
      0,
      plan[0]!.replicas.map((r) => r.workerId),
    );
    await record(1, [plan[1]!.replicas[0]!.workerId]);
    const incomplete = await rejection(action(c, "commit_upload", { uploadId: begun.uploadId, schema, shards }));
    expect(incomplete.code).toBe(StatusCode.FAILED_PRECONDITION);
    expect(incomplete.rawMessage).toMatch(/shard 1 \(.+\) has 1 of 2 replicas recorded by workers/);
    await record(
      1,
      plan[1]!.replicas.map((r) => r.workerId),
    );
    await record(
      2,
      plan[2]!.replicas.map((r) => r.workerId),
    );
    const badIndex = await rejection(
      action(c, "commit_upload", { uploadId: begun.uploadId, schema, shards: [shards[0], shards[0]] }),
    );
    expect(badIndex.rawMessage).toMatch(/indexes must be 0\.\.1 each exactly once; 1 is missing/);
    const badSchema = await rejection(action(c, "commit_upload", { uploadId: begun.uploadId, schema: "AAAA", shards }));
    expect(badSchema.rawMessage).toMatch(/not an encapsulated Arrow IPC schema message/);
    const summary = await action(c, "commit_upload", { uploadId: begun.uploadId, schema, shards });
    expect(summary).toMatchObject({ dataset: "direct", version: 1, shards: 3, rows: 30, bytes: 300 });
    const dataset = await registry.getDataset("direct");
    expect(dataset?.shards.map((s) => s.replicas.length)).toEqual([2, 2, 2]);

    const second = (await action(c, "begin_upload", { dataset: "direct" })) as { uploadId: string };
    expect(await action(c, "abort_upload", { uploadId: second.uploadId })).toMatchObject({ aborted: true });
    expect(await action(c, "abort_upload", { uploadId: second.uploadId })).toMatchObject({ aborted: false });
    expect((await registry.getDataset("direct"))?.version).toBe(1);
  });

  it("drops datasets; DoPut refuses descriptors with columns and uploads without enough workers", async () => {
    const registry = createMemoryRegistry();
    const { client: c } = await start(registry);
    await commitDataset(registry, "old", [["w-x"]]);
    expect(await action(c, "drop", "old")).toMatchObject({ dropped: "old", versions: [1] });
    expect((await rejection(action(c, "drop", "old"))).code).toBe(StatusCode.NOT_FOUND);
    const { writer } = c.doPut(FlightDescriptor.forPath("new"), salesSchema);
    const error = await rejection(writer.close());
    expect(error.code).toBe(StatusCode.UNAVAILABLE);
    expect(error.rawMessage).toMatch(/needs 2 live workers for 2 replicas; 0 are live/);
    expect(await registry.listExpiredUploads()).toEqual([]);
    const projected = c.doPut(
      FlightDescriptor.forCommand(JSON.stringify({ dataset: "n", columns: ["id"] })),
      salesSchema,
    );
    expect((await rejection(projected.writer.close())).rawMessage).toMatch(/"columns" is not allowed here/);
  });

  it("is stateless: two planners on one registry give identical answers", async () => {
    const { registry, client: c1 } = await start();
    await commitDataset(registry, "sales", [
      ["w-a1", "w-b1"],
      ["w-a2", "w-c1"],
      ["w-b1", "w-c1"],
    ]);
    const second = await startPlanner({
      registry,
      port: 0,
      host: "127.0.0.1",
      repair: false,
      logger: silentPlannerLogger,
    });
    const c2 = connect(second.uri);
    try {
      for (const zone of ["a", "b", "c", ""]) {
        const options = { headers: { "x-flight-zone": zone } };
        const [one, two] = await Promise.all([
          c1.getFlightInfo(FlightDescriptor.forPath("sales"), options),
          c2.getFlightInfo(FlightDescriptor.forPath("sales"), options),
        ]);
        expect(locations(one)).toEqual(locations(two));
        expect(one.endpoints.map((e) => text.decode(e.appMetadata))).toEqual(
          two.endpoints.map((e) => text.decode(e.appMetadata)),
        );
      }
      const begun = (await action(c1, "begin_upload", { dataset: "x" })) as { uploadId: string };
      const body = { uploadId: begun.uploadId, count: 5 };
      expect(await action(c1, "plan_shards", body)).toEqual(await action(c2, "plan_shards", body));
      expect(await action(c1, "status")).toEqual(await action(c2, "status"));
    } finally {
      c2.close();
      await second.close();
    }
  });

  it("opens and closes its own registry when given a URL", async () => {
    const own = await startPlanner({
      registry: "memory://",
      port: 0,
      host: "127.0.0.1",
      repair: false,
      logger: silentPlannerLogger,
    });
    expect(own.registry.backend).toBe("memory");
    await own.close();
    await expect(own.registry.listWorkers()).rejects.toMatchObject({ code: "REGISTRY_CLOSED" });
  });

  it("drains: new calls are refused, the state goes to stopped", async () => {
    const { planner: p, client: c } = await start();
    await p.drain(1000);
    expect(p.state).toBe("stopped");
    const error = await rejection(c.listActions({ timeoutMs: 2000 }));
    expect([StatusCode.UNAVAILABLE, StatusCode.DEADLINE_EXCEEDED]).toContain(error.code);
  });
});
