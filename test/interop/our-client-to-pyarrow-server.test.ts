// Direction 2: our FlightClient against pyarrow.flight's server (pyarrow_server.py, a real
// Python process). Received data is compared cell by cell with the same table decoded by
// apache-arrow's own IPC file reader from the file pyarrow wrote; uploads are compared by
// pyarrow itself (the "compare" action).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CancelStatus,
  connect,
  type FlightClient,
  FlightDescriptor,
  FlightError,
  FlightInvalidArgumentError,
  FlightNotFoundError,
  type FlightStreamChunk,
  FlightTimedOutError,
  FlightUnauthenticatedError,
  FlightUnauthorizedError,
  FlightUnavailableError,
  FlightUnimplementedError,
  StatusCode,
} from "@flight-cluster/protocol";
import { type RecordBatch, type Schema, Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeSchema, type IpcFileContents, readIpcFile, tableDifferences } from "./arrow-compare.js";
import { Fixture, PYARROW_USERS, type PyarrowServer, type PyCompare, startPyarrowServer } from "./pyarrow-peers.js";

const EXPIRATION_MS = 1_893_553_445_678; // pyarrow_server.py
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);

let dir = "";
let server: PyarrowServer | undefined;
const expected = new Map<Fixture, IpcFileContents>();
const clients: FlightClient[] = [];
let alice: FlightClient;
let bob: FlightClient;
let anonymous: FlightClient;
let aliceHeader: readonly [string, string];

function fixture(name: Fixture): IpcFileContents {
  const contents = expected.get(name);
  if (contents === undefined) throw new Error(`fixture ${name} was not loaded`);
  return contents;
}

function location(): string {
  if (server === undefined) throw new Error("the pyarrow server did not start");
  return server.location;
}

function open(): FlightClient {
  const client = connect(location());
  clients.push(client);
  return client;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function pyCompare(
  name: string,
  expectedFixture: Fixture,
): Promise<PyCompare & { batchRows: number[]; appMetadata: (string | null)[] }> {
  const body = utf8(JSON.stringify({ name, expected: expectedFixture }));
  const [result] = await collect(alice.doAction({ type: "compare", body }));
  return JSON.parse(text(result?.body) ?? "null");
}

function tableOf(schema: Schema, batches: readonly RecordBatch[]): Table {
  return batches.length === 0 ? new Table(schema) : new Table(batches);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "flight-interop-pyarrow-"));
  server = await startPyarrowServer(dir);
  for (const name of Object.values(Fixture)) {
    expected.set(name, await readIpcFile(server.fixtures[name].path));
  }
  anonymous = open();
  alice = open();
  bob = open();
  aliceHeader = await alice.authenticateBasicToken(PYARROW_USERS.writer.user, PYARROW_USERS.writer.password);
  await bob.authenticateBasicToken(PYARROW_USERS.reader.user, PYARROW_USERS.reader.password);
});

afterAll(async () => {
  for (const client of clients) client.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("our client -> pyarrow server: authentication", () => {
  it("is refused without a token (FlightUnauthenticatedError)", async () => {
    await expect(collect(anonymous.listFlights())).rejects.toBeInstanceOf(FlightUnauthenticatedError);
    const error = await anonymous.getFlightInfo(FlightDescriptor.forPath("small")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlightUnauthenticatedError);
    expect((error as FlightError).code).toBe(StatusCode.UNAUTHENTICATED);
    expect((error as FlightError).rawMessage).toContain("no credentials");
  });

  it("is refused with wrong credentials (FlightUnauthenticatedError)", async () => {
    const error = await anonymous.authenticateBasicToken("alice", "wrong").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlightUnauthenticatedError);
    expect((error as FlightError).rawMessage).toContain("wrong user name or password");
    await expect(anonymous.listActions()).rejects.toBeInstanceOf(FlightUnauthenticatedError);
  });

  it("is refused with a forged bearer token (FlightUnauthenticatedError)", async () => {
    const error = await anonymous
      .listActions({ headers: { authorization: "Bearer forged-token" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlightUnauthenticatedError);
    expect((error as FlightError).rawMessage).toContain("unknown bearer token");
  });

  it("gets a bearer token from pyarrow's Basic handshake and sends it on every call", async () => {
    expect(aliceHeader[0]).toBe("authorization");
    expect(aliceHeader[1]).toMatch(/^Bearer \S{16,}$/);
    const [who] = await collect(alice.doAction({ type: "whoami", body: new Uint8Array(0) }));
    expect(text(who?.body)).toBe("alice");
    const [bobWho] = await collect(bob.doAction({ type: "whoami", body: new Uint8Array(0) }));
    expect(text(bobWho?.body)).toBe("bob");
  });
});

describe("our client -> pyarrow server: metadata RPCs", () => {
  it("lists flights, with and without criteria", async () => {
    const all = await collect(alice.listFlights());
    const names = all.map((info) => (info.descriptor.type === "path" ? info.descriptor.path.join("/") : "?"));
    expect(names).toEqual(expect.arrayContaining(Object.values(Fixture)));
    const small = await collect(alice.listFlights(utf8("sm")));
    expect(small.map((info) => info.descriptor)).toEqual([{ type: "path", path: ["small"] }]);
    expect(small[0]?.totalRecords).toBe(12);
  });

  it("decodes pyarrow's FlightInfo: schema, endpoint, location, expiration, ordered, app_metadata", async () => {
    const info = await alice.getFlightInfo(FlightDescriptor.forPath("all-types"));
    expect(describeSchema(info.schema)).toEqual(describeSchema(fixture(Fixture.AllTypes).table.schema));
    expect(info.descriptor).toEqual({ type: "path", path: ["all-types"] });
    expect(info.totalRecords).toBe(36);
    expect(info.totalBytes).toBeGreaterThan(0);
    expect(info.ordered).toBe(true);
    expect(text(info.appMetadata)).toBe("info:all-types");
    expect(info.endpoints).toHaveLength(1);
    const endpoint = info.endpoints[0];
    expect(text(endpoint?.ticket.ticket)).toBe("all-types");
    expect(endpoint?.locations.map((l) => l.uri)).toEqual([location()]);
    expect(endpoint?.expirationTime?.getTime()).toBe(EXPIRATION_MS);
    expect(text(endpoint?.appMetadata)).toBe("endpoint:all-types");
  });

  it("sends command descriptors", async () => {
    const info = await alice.getFlightInfo(FlightDescriptor.forCommand("small"));
    expect(info.descriptor).toEqual({ type: "cmd", cmd: utf8("small") });
    expect(describeSchema(info.schema)).toEqual(describeSchema(fixture(Fixture.Small).table.schema));
  });

  it("maps pyarrow's KeyError to FlightNotFoundError", async () => {
    const error = await alice.getFlightInfo(FlightDescriptor.forPath("nope")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlightNotFoundError);
    expect((error as FlightError).rawMessage).toContain("no dataset named 'nope'");
  });

  it("decodes GetSchema", async () => {
    const schema = await alice.getSchema(FlightDescriptor.forPath("all-types"));
    expect(describeSchema(schema)).toEqual(describeSchema(fixture(Fixture.AllTypes).table.schema));
  });

  it("lists and runs actions", async () => {
    const actions = await alice.listActions();
    expect(actions.map((a) => a.type)).toEqual([
      "echo",
      "count",
      "raise",
      "compare",
      "whoami",
      "sleep",
      "CancelFlightInfo",
      "RenewFlightEndpoint",
    ]);
    expect(actions[0]?.description).toBe("Returns the body unchanged.");
    const echoed = await collect(alice.doAction({ type: "echo", body: utf8("héllo ✓") }));
    expect(echoed.map((r) => text(r.body))).toEqual(["héllo ✓"]);
    const counted = await collect(alice.doAction({ type: "count", body: utf8("3") }));
    expect(counted.map((r) => text(r.body))).toEqual(["0", "1", "2"]);
    expect(await collect(alice.doAction({ type: "count", body: utf8("0") }))).toEqual([]);
  });

  it("CancelFlightInfo and RenewFlightEndpoint round-trip through pyarrow's message classes", async () => {
    const info = await alice.getFlightInfo(FlightDescriptor.forPath("small"));
    expect(await alice.cancelFlightInfo(info)).toBe(CancelStatus.Cancelled);
    const endpoint = info.endpoints[0];
    if (endpoint === undefined) throw new Error("no endpoint");
    const renewed = await alice.renewFlightEndpoint(endpoint);
    expect(text(renewed.ticket.ticket)).toBe("small");
    expect(renewed.locations.map((l) => l.uri)).toEqual([location()]);
    expect(renewed.expirationTime?.getTime()).toBe(EXPIRATION_MS + 3_600_000);
    expect(text(renewed.appMetadata)).toBe("endpoint:small");
  });

  it("PollFlightInfo, which pyarrow's server does not implement, fails with FlightUnimplementedError", async () => {
    await expect(alice.pollFlightInfo(FlightDescriptor.forPath("small"))).rejects.toBeInstanceOf(
      FlightUnimplementedError,
    );
  });
});

describe("our client -> pyarrow server: DoGet", () => {
  it("decodes every type, value for value, across batches with replaced dictionaries and an empty batch", async () => {
    const info = await alice.getFlightInfo(FlightDescriptor.forPath("all-types"));
    const ticket = info.endpoints[0]?.ticket;
    if (ticket === undefined) throw new Error("no ticket");
    const batches = await collect(alice.doGet(ticket));
    expect(batches.map((b) => b.numRows)).toEqual([11, 0, 16, 9]);
    const want = fixture(Fixture.AllTypes);
    expect(tableDifferences(tableOf(want.table.schema, batches), want.table)).toEqual([]);
  });

  it("applies delta dictionary batches (pyarrow's emit_dictionary_deltas)", async () => {
    const batches = await collect(alice.doGet("dict-deltas"));
    expect(batches.map((b) => b.numRows)).toEqual([5, 6, 0, 7]);
    const want = fixture(Fixture.DictDeltas);
    expect(tableDifferences(tableOf(want.table.schema, batches), want.table)).toEqual([]);
  });

  it.each([
    ["zstd", "ZSTD"],
    ["lz4", "LZ4_FRAME"],
  ])("fails a %s-compressed stream it has no codec for with FlightInvalidArgumentError", async (codec, name) => {
    const error = await alice
      .doGet(`${codec}:small`)
      .readAll()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlightInvalidArgumentError);
    expect((error as FlightError).rawMessage).toContain(`body is compressed with ${name} but no codec is registered`);
  });

  it("runs several DoGet streams at once on one connection without mixing them", async () => {
    const want = fixture(Fixture.AllTypes).table;
    const tickets = ["all-types", "small", "all-types", "dict-deltas", "all-types", "small"] as const;
    const tables = await Promise.all(tickets.map((t) => alice.doGet(t).readAll()));
    for (const [i, table] of tables.entries()) {
      const name = tickets[i] as Fixture;
      expect(tableDifferences(table, name === Fixture.AllTypes ? want : fixture(name).table), name).toEqual([]);
    }
  });

  it("accepts the grpc:// scheme for the same server", async () => {
    const plain = connect(location().replace("grpc+tcp://", "grpc://"));
    clients.push(plain);
    await plain.authenticateBasicToken(PYARROW_USERS.writer.user, PYARROW_USERS.writer.password);
    expect((await plain.listActions()).length).toBeGreaterThan(0);
  });

  it("yields app_metadata with each batch through chunks()", async () => {
    const chunks = await collect(alice.doGet("small").chunks());
    expect(chunks.map((c) => [c.data?.numRows, text(c.appMetadata)])).toEqual([
      [4, "batch-0"],
      [4, "batch-1"],
      [4, "batch-2"],
    ]);
    const want = fixture(Fixture.Small);
    const got = chunks.flatMap((c) => (c.data === undefined ? [] : [c.data]));
    expect(tableDifferences(tableOf(want.table.schema, got), want.table)).toEqual([]);
  });

  it("reads a zero-row table as its schema", async () => {
    const table = await alice.doGet("zero-rows").readAll();
    expect(table.numRows).toBe(0);
    expect(tableDifferences(table, fixture(Fixture.ZeroRows).table)).toEqual([]);
  });

  it("reads messages over 4 MiB (pyarrow does not slice) into the same values", async () => {
    const table = await alice.doGet("large").readAll();
    expect(table.numRows).toBe(300_000);
    expect(tableDifferences(table, fixture(Fixture.Large).table)).toEqual([]);
  });

  it("fails an unknown ticket with FlightNotFoundError", async () => {
    await expect(alice.doGet("missing").readAll()).rejects.toBeInstanceOf(FlightNotFoundError);
  });

  it("delivers the batches before a mid-stream failure, then FlightUnavailableError", async () => {
    const reader = alice.doGet("fail-midstream");
    const first: FlightStreamChunk | undefined = await reader.readChunk();
    expect(first?.data?.numRows).toBe(4);
    expect(text(first?.appMetadata)).toBe("before-failure");
    const error = await reader.readChunk().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlightUnavailableError);
    expect((error as FlightError).rawMessage).toContain("the replica went away mid-stream");
  });
});

describe("our client -> pyarrow server: DoPut", () => {
  it("uploads every type with app_metadata; pyarrow acknowledges each message and stores an equal table", async () => {
    const want = fixture(Fixture.AllTypes);
    const { writer, results } = alice.doPut(FlightDescriptor.forPath("uploads", "all-types"), want.table.schema);
    for (const [index, batch] of want.batches.entries()) await writer.write(batch, utf8(`put-${index}`));
    await writer.writeMetadata(utf8("metadata-only"));
    await writer.done();
    const acks = (await collect(results)).map((r) => JSON.parse(text(r.appMetadata) ?? "null"));
    await writer.close();
    expect(acks).toEqual([
      { index: 0, rows: 11, appMetadata: "put-0" },
      { index: 1, rows: 0, appMetadata: "put-1" },
      { index: 2, rows: 16, appMetadata: "put-2" },
      { index: 3, rows: 9, appMetadata: "put-3" },
      { index: 4, rows: null, appMetadata: "metadata-only" },
    ]);
    const compare = await pyCompare("uploads/all-types", Fixture.AllTypes);
    expect(compare).toMatchObject({ equals: true, schemaEquals: true, rows: 36 });
    expect(compare.batchRows).toEqual([11, 0, 16, 9]);
    expect(compare.appMetadata).toEqual(["put-0", "put-1", "put-2", "put-3"]);
  });

  it("slices batches over 2 MiB; pyarrow reassembles the same table", async () => {
    const want = fixture(Fixture.Large);
    const { writer } = alice.doPut(FlightDescriptor.forPath("uploads", "large"), want.table.schema);
    await writer.writeTable(want.table);
    await writer.close();
    const compare = await pyCompare("uploads/large", Fixture.Large);
    expect(compare).toMatchObject({ equals: true, schemaEquals: true, rows: 300_000 });
    // pyarrow stores one batch per received message: more messages than batches means slicing.
    expect(compare.batchRows.length).toBeGreaterThanOrEqual(5);
    expect(compare.batchRows.reduce((a, b) => a + b, 0)).toBe(300_000);
  });

  it("uploads a schema alone as a zero-row table", async () => {
    const want = fixture(Fixture.ZeroRows);
    const { writer } = alice.doPut(FlightDescriptor.forPath("uploads", "zero"), want.table.schema);
    await writer.close();
    const compare = await pyCompare("uploads/zero", Fixture.ZeroRows);
    expect(compare).toMatchObject({ equals: true, schemaEquals: true, rows: 0 });
    expect(compare.batchRows).toEqual([]);
  });

  it("reports pyarrow's FlightUnauthorizedError for a read-only user", async () => {
    const want = fixture(Fixture.Small);
    const { writer } = bob.doPut(FlightDescriptor.forPath("uploads", "by-bob"), want.table.schema);
    const error = await (async () => {
      for (const batch of want.batches) await writer.write(batch);
      await writer.close();
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlightUnauthorizedError);
    expect((error as FlightError).rawMessage).toContain("user 'bob' may not upload");
  });
});

// View types (Arrow format 1.4: Utf8View, BinaryView). pyarrow 26 and apache-arrow 21
// both read and write them; these tests pin our protocol package's support for them.
describe("our client -> pyarrow server: view types (Utf8View, BinaryView)", () => {
  it("decodes a FlightInfo whose schema has the view types (Utf8View, BinaryView)", async () => {
    const info = await alice.getFlightInfo(FlightDescriptor.forPath("views"));
    expect(describeSchema(info.schema)).toEqual(describeSchema(fixture(Fixture.Views).table.schema));
  });

  it("decodes the view types (Utf8View, BinaryView) that pyarrow and apache-arrow share", async () => {
    const want = fixture(Fixture.Views);
    const table = await alice.doGet("views").readAll();
    expect(tableDifferences(table, want.table)).toEqual([]);
  });

  it("uploads the view types (Utf8View, BinaryView)", async () => {
    const want = fixture(Fixture.Views);
    const { writer } = alice.doPut(FlightDescriptor.forPath("uploads", "views"), want.table.schema);
    await writer.writeTable(want.table);
    await writer.close();
    expect(await pyCompare("uploads/views", Fixture.Views)).toMatchObject({ equals: true, schemaEquals: true });
  });
});

describe("our client -> pyarrow server: DoExchange", () => {
  async function exchange(command: string): Promise<FlightStreamChunk[]> {
    const want = fixture(Fixture.Small);
    const { writer, reader } = alice.doExchange(FlightDescriptor.forCommand(command));
    for (const [index, batch] of want.batches.entries()) await writer.write(batch, utf8(`x-${index}`));
    await writer.writeMetadata(utf8("metadata-only"));
    await writer.done();
    return collect(reader.chunks());
  }

  it("echo: gets back every batch with its app_metadata, and metadata-only messages", async () => {
    const chunks = await exchange("echo");
    expect(chunks.map((c) => [c.data?.numRows, text(c.appMetadata)])).toEqual([
      [4, "x-0"],
      [4, "x-1"],
      [4, "x-2"],
      [undefined, "metadata-only"],
    ]);
    const want = fixture(Fixture.Small).table;
    const got = chunks.flatMap((c) => (c.data === undefined ? [] : [c.data]));
    expect(tableDifferences(tableOf(want.schema, got), want)).toEqual([]);
  });

  it("double: gets back transformed batches as they stream", async () => {
    const chunks = await exchange("double");
    expect(chunks.map((c) => text(c.appMetadata))).toEqual(["doubled-0", "doubled-1", "doubled-2", "metadata-only"]);
    const want = fixture(Fixture.Small).table;
    const got = tableOf(
      want.schema,
      chunks.flatMap((c) => (c.data === undefined ? [] : [c.data])),
    );
    const x = Array.from(got.getChild("x") ?? []);
    expect(x).toEqual(Array.from(want.getChild("x") ?? [], (v) => (v === null ? null : (v as bigint) * 2n)));
    expect(Array.from(got.getChild("label") ?? [])).toEqual(Array.from(want.getChild("label") ?? []));
  });

  it("fails an unknown command with FlightInvalidArgumentError", async () => {
    const { writer, reader } = alice.doExchange(FlightDescriptor.forCommand("explode"));
    await writer.done();
    const error = await reader.readAll().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlightInvalidArgumentError);
    expect((error as FlightError).rawMessage).toContain("unknown exchange command 'explode'");
  });
});

// pyarrow_server.py raises these on the "raise" action; each must arrive as the FlightError
// subclass of the gRPC status pyarrow sends (measured: FlightServerError and any other Python
// exception travel as UNKNOWN, which has no subclass).
const ERRORS_BY_PYARROW_EXCEPTION: ReadonlyArray<readonly [string, StatusCode, string]> = [
  ["unavailable", StatusCode.UNAVAILABLE, "FlightUnavailableError"],
  ["unauthenticated", StatusCode.UNAUTHENTICATED, "FlightUnauthenticatedError"],
  ["unauthorized", StatusCode.PERMISSION_DENIED, "FlightUnauthorizedError"],
  ["timed-out", StatusCode.DEADLINE_EXCEEDED, "FlightTimedOutError"],
  ["cancelled", StatusCode.CANCELLED, "FlightCancelledError"],
  ["internal", StatusCode.INTERNAL, "FlightInternalError"],
  ["server-error", StatusCode.UNKNOWN, "FlightError"],
  ["key-error", StatusCode.NOT_FOUND, "FlightNotFoundError"],
  ["invalid", StatusCode.INVALID_ARGUMENT, "FlightInvalidArgumentError"],
  ["not-implemented", StatusCode.UNIMPLEMENTED, "FlightUnimplementedError"],
  ["runtime-error", StatusCode.UNKNOWN, "FlightError"],
];

describe("our client -> pyarrow server: error codes", () => {
  it.each(ERRORS_BY_PYARROW_EXCEPTION)("pyarrow's %s arrives with code %i as %s", async (kind, code, className) => {
    const error = await collect(alice.doAction({ type: "raise", body: utf8(kind) })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlightError);
    expect((error as FlightError).code).toBe(code);
    expect((error as FlightError).name).toBe(className);
    expect((error as FlightError).rawMessage).toContain(`raised on request: ${kind}`);
  });

  it("a deadline passing fails the call with FlightTimedOutError", async () => {
    const error = await collect(alice.doAction({ type: "sleep", body: utf8("30") }, { timeoutMs: 300 })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FlightTimedOutError);
  });

  it("aborting a call in flight fails it with FlightCancelledError", async () => {
    const controller = new AbortController();
    const results = alice.doAction({ type: "sleep", body: utf8("30") }, { signal: controller.signal });
    const pending = results[Symbol.asyncIterator]().next();
    controller.abort();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlightError);
    expect((error as FlightError).code).toBe(StatusCode.CANCELLED);
  });
});
