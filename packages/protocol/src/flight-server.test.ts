import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Field, Int32, Schema, Utf8 } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { connect } from "./flight-client.js";
import { FlightNotFoundError, FlightUnimplementedError } from "./flight-error.js";
import {
  CancelStatus,
  type FlightDescriptor,
  type FlightEndpoint,
  type FlightInfo,
  Location,
} from "./flight-messages.js";
import { FlightServer } from "./flight-server.js";
import type { FlightServerHandlers } from "./flight-server-handlers.js";
import { silentLogger } from "./logger.js";
import { collect, startTestServer, type TestServer, text, utf8 } from "./protocol.test-kit.js";

const schema = new Schema([new Field("id", new Int32(), false), new Field("name", new Utf8(), true)]);

function infoFor(descriptor: FlightDescriptor): FlightInfo {
  const endpoint: FlightEndpoint = {
    ticket: { ticket: utf8("ticket-1") },
    locations: [Location.forGrpcTcp("10.0.0.1", 8815), Location.reuseConnection()],
    expirationTime: new Date("2030-01-02T03:04:05.678Z"),
    appMetadata: utf8("shard-0"),
  };
  return {
    schema,
    descriptor,
    endpoints: [endpoint],
    totalRecords: 42,
    totalBytes: 4096,
    ordered: true,
    appMetadata: utf8("info-meta"),
  };
}

const handlers: FlightServerHandlers = {
  listActions: () => [
    { type: "list_tables", description: "List all stored tables" },
    { type: "drop", description: "Drop a table" },
  ],
  async *doAction(ctx, action) {
    if (action.type === "echo") {
      yield { body: action.body };
      yield { body: utf8(`identity=${ctx.peerIdentity};method=${ctx.method}`) };
      return;
    }
    throw new FlightNotFoundError(`unknown action '${action.type}'`);
  },
  getFlightInfo(_ctx, descriptor) {
    if (descriptor.type === "path" && descriptor.path[0] === "missing") throw new FlightNotFoundError("no such flight");
    return infoFor(descriptor);
  },
  pollFlightInfo: (_ctx, descriptor) => ({ info: infoFor(descriptor), descriptor, progress: 0.5 }),
  getSchema: () => schema,
  *listFlights(_ctx, criteria) {
    yield infoFor({ type: "path", path: ["a", text(criteria.expression)] });
    yield infoFor({ type: "cmd", cmd: utf8("SELECT 1") });
  },
  cancelFlightInfo: (_ctx, info) => (info.totalRecords === 42 ? CancelStatus.Cancelled : CancelStatus.NotCancellable),
  renewFlightEndpoint: (_ctx, endpoint) => ({ ...endpoint, expirationTime: new Date("2031-01-01T00:00:00Z") }),
};

describe("FlightServer and FlightClient: message RPCs over a real socket", () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("ListActions returns the handler's action types", async () => {
    t = await startTestServer(handlers);
    expect(await t.client.listActions()).toEqual([
      { type: "list_tables", description: "List all stored tables" },
      { type: "drop", description: "Drop a table" },
    ]);
  });

  it("DoAction streams every result, and a thrown FlightError keeps its class", async () => {
    t = await startTestServer(handlers);
    const results = await collect(t.client.doAction({ type: "echo", body: utf8("hello") }));
    expect(results.map((r) => text(r.body))).toEqual(["hello", "identity=;method=DoAction"]);
    await expect(collect(t.client.doAction("nope"))).rejects.toBeInstanceOf(FlightNotFoundError);
    await expect(collect(t.client.doAction("nope"))).rejects.toThrow("unknown action 'nope'");
  });

  it("GetFlightInfo round-trips every FlightInfo field", async () => {
    t = await startTestServer(handlers);
    const descriptor: FlightDescriptor = { type: "path", path: ["sales", "2026"] };
    const info = await t.client.getFlightInfo(descriptor);
    const expected = infoFor(descriptor);
    expect(info.descriptor).toEqual(descriptor);
    expect(info.totalRecords).toBe(42);
    expect(info.totalBytes).toBe(4096);
    expect(info.ordered).toBe(true);
    expect(text(info.appMetadata)).toBe("info-meta");
    expect(info.schema.fields.map((f) => [f.name, String(f.type), f.nullable])).toEqual([
      ["id", "Int32", false],
      ["name", "Utf8", true],
    ]);
    expect(info.endpoints).toHaveLength(1);
    const ep = info.endpoints[0]!;
    expect(text(ep.ticket.ticket)).toBe("ticket-1");
    expect(ep.locations).toEqual(expected.endpoints[0]!.locations);
    expect(ep.expirationTime?.toISOString()).toBe("2030-01-02T03:04:05.678Z");
    expect(text(ep.appMetadata)).toBe("shard-0");
    await expect(t.client.getFlightInfo({ type: "path", path: ["missing"] })).rejects.toBeInstanceOf(
      FlightNotFoundError,
    );
  });

  it("GetSchema, PollFlightInfo and ListFlights", async () => {
    t = await startTestServer(handlers);
    const s = await t.client.getSchema({ type: "cmd", cmd: utf8("x") });
    expect(s.fields.map((f) => f.name)).toEqual(["id", "name"]);
    const poll = await t.client.pollFlightInfo({ type: "cmd", cmd: utf8("q") });
    expect(poll.progress).toBe(0.5);
    expect(poll.descriptor).toEqual({ type: "cmd", cmd: utf8("q") });
    expect(poll.info?.totalRecords).toBe(42);
    const flights = await collect(t.client.listFlights(utf8("b")));
    expect(flights.map((f) => f.descriptor)).toEqual([
      { type: "path", path: ["a", "b"] },
      { type: "cmd", cmd: utf8("SELECT 1") },
    ]);
  });

  it("CancelFlightInfo and RenewFlightEndpoint use the typed handlers", async () => {
    t = await startTestServer(handlers);
    const info = infoFor({ type: "path", path: ["x"] });
    expect(await t.client.cancelFlightInfo(info)).toBe(CancelStatus.Cancelled);
    expect(await t.client.cancelFlightInfo({ ...info, totalRecords: 1 })).toBe(CancelStatus.NotCancellable);
    const renewed = await t.client.renewFlightEndpoint(info.endpoints[0]!);
    expect(renewed.expirationTime?.toISOString()).toBe("2031-01-01T00:00:00.000Z");
    expect(text(renewed.ticket.ticket)).toBe("ticket-1");
  });

  it("missing handlers answer UNIMPLEMENTED for every RPC", async () => {
    t = await startTestServer({});
    const c = t.client;
    const d: FlightDescriptor = { type: "path", path: ["x"] };
    await expect(c.listActions()).rejects.toBeInstanceOf(FlightUnimplementedError);
    await expect(collect(c.doAction("x"))).rejects.toBeInstanceOf(FlightUnimplementedError);
    await expect(c.getFlightInfo(d)).rejects.toBeInstanceOf(FlightUnimplementedError);
    await expect(c.pollFlightInfo(d)).rejects.toBeInstanceOf(FlightUnimplementedError);
    await expect(c.getSchema(d)).rejects.toBeInstanceOf(FlightUnimplementedError);
    await expect(collect(c.listFlights())).rejects.toBeInstanceOf(FlightUnimplementedError);
    await expect(c.doGet("t").readAll()).rejects.toBeInstanceOf(FlightUnimplementedError);
    const put = c.doPut(d, schema);
    await expect(put.writer.close()).rejects.toBeInstanceOf(FlightUnimplementedError);
    const exchange = c.doExchange(d);
    await expect(exchange.reader.readAll()).rejects.toBeInstanceOf(FlightUnimplementedError);
    // Handshake has a default (echo) implementation.
    const hs = await c.handshake([{ protocolVersion: 7n, payload: utf8("p") }]);
    expect(hs.messages).toEqual([{ protocolVersion: 7n, payload: new Uint8Array(0) }]);
  });

  it("serves and connects over a unix socket (grpc+unix://)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flight-unix-"));
    const server = new FlightServer(handlers, { logger: silentLogger });
    try {
      const { location, port } = await server.listen(Location.forGrpcUnix(join(dir, "flight.sock")));
      expect(port).toBe(0);
      expect(location.uri).toBe(`grpc+unix://${join(dir, "flight.sock")}`);
      const client = connect(location);
      expect((await client.listActions()).map((a) => a.type)).toEqual(["list_tables", "drop"]);
      client.close();
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a custom Handshake handler gets every request message and streams its replies", async () => {
    t = await startTestServer({
      async *handshake(ctx, incoming) {
        ctx.addHeader("x-handshake", "custom");
        for await (const message of incoming) {
          yield { protocolVersion: message.protocolVersion + 1n, payload: message.payload.slice().reverse() };
        }
      },
    });
    const result = await t.client.handshake([
      { protocolVersion: 1n, payload: utf8("abc") },
      { protocolVersion: 5n, payload: utf8("xy") },
    ]);
    expect(result.messages.map((m) => [m.protocolVersion, text(m.payload)])).toEqual([
      [2n, "cba"],
      [6n, "yx"],
    ]);
    expect(result.headers["x-handshake"]).toEqual(["custom"]);
  });
});
