// Direction 1: pyarrow.flight's client (pyarrow_client.py, a real Python process) against
// our FlightServer (interop-server.ts on the built dist/, a real Node process).
// Every data comparison is done by pyarrow against its own fixture tables.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StatusCode, statusCodeName } from "@flight-cluster/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InteropServerPeer, startInteropServer } from "./interop-server-peer.js";
import {
  Fixture,
  type FixtureSummary,
  PYARROW_USERS,
  type PyarrowClient,
  type PyChunk,
  pyText,
  startPyarrowClient,
  writeFixtures,
} from "./pyarrow-peers.js";

let dir = "";
let fixtures: Readonly<Record<Fixture, FixtureSummary>>;
let server: InteropServerPeer | undefined;
let py: PyarrowClient | undefined;
let aliceHeader: [string, string];

function client(): PyarrowClient {
  if (py === undefined) throw new Error("the pyarrow client did not start");
  return py;
}

const metadataOf = (chunks: readonly PyChunk[]): (string | null)[] => chunks.map((c) => pyText(c.appMetadata));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "flight-interop-ours-"));
  fixtures = await writeFixtures(dir);
  [server, py] = await Promise.all([startInteropServer(dir), startPyarrowClient()]);
  for (const name of ["main", "anonymous", "bob"]) {
    await py.ok("connect", { location: server.location, client: name });
  }
  aliceHeader = (await py.ok("authenticate", PYARROW_USERS.writer)).header;
  await py.ok("authenticate", { ...PYARROW_USERS.reader, client: "bob" });
});

afterAll(async () => {
  await Promise.allSettled([py?.stop(), server?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("pyarrow client -> our server: authentication", () => {
  it("refuses a call without a token with FlightUnauthenticatedError", async () => {
    const error = await client().fails("list_flights", { client: "anonymous" });
    expect(error.type).toBe("FlightUnauthenticatedError");
    expect(error.message).toContain("authorization");
  });

  it("refuses wrong credentials at Handshake with FlightUnauthenticatedError", async () => {
    const error = await client().fails("authenticate", { client: "anonymous", user: "alice", password: "wrong" });
    expect(error.type).toBe("FlightUnauthenticatedError");
    // Still no token: the next call is refused too.
    const next = await client().fails("get_flight_info", { client: "anonymous", descriptor: { path: ["small"] } });
    expect(next.type).toBe("FlightUnauthenticatedError");
  });

  it("refuses a forged bearer token with FlightUnauthenticatedError", async () => {
    await client().ok("connect", { location: server?.location ?? "", client: "forged" });
    await client().ok("set_header", { client: "forged", name: "authorization", value: "Bearer forged-token" });
    const error = await client().fails("list_flights", { client: "forged" });
    expect(error.type).toBe("FlightUnauthenticatedError");
    expect(error.message).toContain("invalid or expired bearer token");
  });

  it("pyarrow quirk: get_schema turns UNAUTHENTICATED into OSError (it does the same with its own server)", async () => {
    // pyarrow 26's get_schema checks the status without the Flight exception mapping; the
    // status code still arrives, in the message. Measured against pyarrow's own server too.
    const error = await client().fails("get_schema", { client: "anonymous", descriptor: { path: ["small"] } });
    expect(error.type).toBe("OSError");
    expect(error.message).toContain("Flight returned unauthenticated error");
  });

  it("answers authenticate_basic_token with a bearer header that pyarrow sends on every call", async () => {
    expect(aliceHeader[0]).toBe("authorization");
    expect(aliceHeader[1]).toMatch(/^Bearer \S{16,}$/);
    const who = await client().ok("do_action", { type: "whoami" });
    expect(who.bodies.map(pyText)).toEqual(["alice"]);
    const bob = await client().ok("do_action", { type: "whoami", client: "bob" });
    expect(bob.bodies.map(pyText)).toEqual(["bob"]);
  });
});

describe("pyarrow client -> our server: metadata RPCs", () => {
  it("list_flights lists every dataset, and filters by criteria", async () => {
    const all = await client().ok("list_flights", {});
    const names = all.flights.map((f) => f.descriptor.path?.join("/"));
    expect(names).toEqual(expect.arrayContaining(Object.values(Fixture)));
    const filtered = await client().ok("list_flights", { criteria: "sm" });
    expect(filtered.flights.map((f) => f.descriptor.path)).toEqual([["small"]]);
    expect(filtered.flights[0]?.totalRecords).toBe(12);
  });

  it("get_flight_info returns schema, endpoint, expiration and app_metadata as pyarrow expects", async () => {
    const info = await client().ok("get_flight_info", { descriptor: { path: ["all-types"] }, expected: "all-types" });
    expect(info.schema.schemaEquals).toBe(true);
    expect(info.descriptor).toEqual({ path: ["all-types"] });
    expect(info.totalRecords).toBe(fixtures[Fixture.AllTypes].rows);
    expect(info.totalBytes).toBeGreaterThan(0);
    expect(info.ordered).toBe(true);
    expect(pyText(info.appMetadata)).toBe("info:all-types");
    expect(info.endpoints).toEqual([
      {
        ticket: { utf8: "all-types" },
        locations: [server?.location],
        expirationMs: 1_893_553_445_678,
        appMetadata: { utf8: "endpoint:all-types" },
      },
    ]);
  });

  it("get_flight_info accepts a command descriptor", async () => {
    const info = await client().ok("get_flight_info", { descriptor: { command: "small" }, expected: "small" });
    expect(info.descriptor).toEqual({ command: { utf8: "small" } });
    expect(info.schema.schemaEquals).toBe(true);
  });

  it("get_flight_info for an unknown flight raises KeyError (ArrowKeyError)", async () => {
    const error = await client().fails("get_flight_info", { descriptor: { path: ["nope"] } });
    expect(error.type).toBe("ArrowKeyError");
    expect(error.bases).toContain("builtins.KeyError");
    expect(error.message).toContain("no dataset named 'nope'");
  });

  it("get_schema returns the schema with its metadata", async () => {
    const schema = await client().ok("get_schema", { descriptor: { path: ["all-types"] }, expected: "all-types" });
    expect(schema.schemaEquals).toBe(true);
    expect(schema.metadata).toEqual({ fixture: "all-types", batches: "11,0,16,9" });
  });

  it("list_actions and do_action (one, several and no results)", async () => {
    const actions = await client().ok("list_actions", {});
    expect(actions.actions.map((a) => a.type)).toEqual(["echo", "count", "raise", "whoami", "sleep", "sleep-stats"]);
    expect((await client().ok("do_action", { type: "echo", body: "héllo ✓" })).bodies).toEqual([{ utf8: "héllo ✓" }]);
    expect((await client().ok("do_action", { type: "count", body: "3" })).bodies.map(pyText)).toEqual(["0", "1", "2"]);
    expect((await client().ok("do_action", { type: "count", body: "0" })).bodies).toEqual([]);
  });
});

describe("pyarrow client -> our server: DoGet", () => {
  it("serves the all-types table: equal values and schema, every batch (the empty one too) with its app_metadata", async () => {
    const got = await client().ok("do_get", { ticket: "all-types", expected: "all-types" });
    expect(got.compare).toMatchObject({ equals: true, schemaEquals: true, rows: 36 });
    expect(got.chunks.map((c) => c.rows)).toEqual([11, 0, 16, 9]);
    expect(metadataOf(got.chunks)).toEqual(["batch-0", "batch-1", "batch-2", "batch-3"]);
  });

  it("sends metadata-only messages before, between and after batches", async () => {
    const got = await client().ok("do_get", { ticket: "with-metadata-only", expected: "small" });
    expect(got.chunks).toEqual([
      { rows: null, appMetadata: { utf8: "start" } },
      { rows: 4, appMetadata: null },
      { rows: null, appMetadata: { utf8: "middle" } },
      { rows: 4, appMetadata: null },
      { rows: 4, appMetadata: null },
      { rows: null, appMetadata: { utf8: "end" } },
    ]);
    expect(got.compare).toMatchObject({ equals: true, schemaEquals: true, rows: 12 });
  });

  it("serves a zero-row table as its schema alone", async () => {
    const got = await client().ok("do_get", { ticket: "zero-rows", expected: "zero-rows" });
    expect(got.compare).toMatchObject({ equals: true, schemaEquals: true, rows: 0 });
    expect(got.chunks).toEqual([]);
  });

  it("slices batches over 2 MiB into several messages that pyarrow reassembles into the same table", async () => {
    const got = await client().ok("do_get", { ticket: "large", expected: "large" });
    expect(got.compare).toMatchObject({ equals: true, schemaEquals: true, rows: 300_000 });
    expect(got.chunks.length).toBeGreaterThanOrEqual(5);
    // The batch's app_metadata travels once, on its last slice.
    expect(metadataOf(got.chunks).filter((m) => m !== null)).toEqual(["batch-0", "batch-1"]);
  });

  it("raises KeyError for an unknown ticket and FlightUnavailableError for a stream that fails midway", async () => {
    const unknown = await client().fails("do_get", { ticket: "missing" });
    expect(unknown.type).toBe("ArrowKeyError");
    const midway = await client().fails("do_get", { ticket: "fail-midstream" });
    expect(midway.type).toBe("FlightUnavailableError");
    expect(midway.message).toContain("the replica went away mid-stream");
  });
});

describe("pyarrow client -> our server: cancellation and deadlines", () => {
  it("a pyarrow reader cancelling a DoGet midway leaves the server serving", async () => {
    const cancelled = await client().ok("do_get", { ticket: "large", cancel_after: 1 });
    expect(cancelled).toMatchObject({ cancelled: true });
    expect(cancelled.chunks).toHaveLength(1);
    const again = await client().ok("do_get", { ticket: "all-types", expected: "all-types" });
    expect(again.compare).toMatchObject({ equals: true });
  });

  it("a pyarrow deadline fails the call with FlightTimedOutError and aborts the handler's signal", async () => {
    const error = await client().fails("do_action", { type: "sleep", timeout: 0.3 });
    expect(error.type).toBe("FlightTimedOutError");
    // The handler observed the deadline through ctx.signal (bounded poll: it ends right after).
    let stats = { active: -1, cancelled: 0 };
    for (let attempt = 0; attempt < 100 && (stats.active !== 0 || stats.cancelled < 1); attempt++) {
      const reply = await client().ok("do_action", { type: "sleep-stats" });
      stats = JSON.parse(pyText(reply.bodies[0] ?? null) ?? "{}");
    }
    expect(stats).toEqual({ active: 0, cancelled: 1 });
  });
});

describe("pyarrow client -> our server: DoPut", () => {
  it("acknowledges every message with a PutResult, then serves back an identical table (round trip)", async () => {
    const put = await client().ok("do_put", {
      descriptor: { path: ["uploads", "all-types"] },
      fixture: "all-types",
      metadata_only_message: true,
    });
    expect(put.sent).toBe(5);
    expect(put.acks).toEqual([
      { index: 0, rows: 11, appMetadata: "put-0" },
      { index: 1, rows: 0, appMetadata: "put-1" },
      { index: 2, rows: 16, appMetadata: "put-2" },
      { index: 3, rows: 9, appMetadata: "put-3" },
      { index: 4, rows: null, appMetadata: "metadata-only" },
    ]);
    const info = await client().ok("get_flight_info", {
      descriptor: { path: ["uploads", "all-types"] },
      expected: "all-types",
    });
    expect(info.schema.schemaEquals).toBe(true);
    expect(info.totalRecords).toBe(36);
    const ticket = pyText(info.endpoints[0]?.ticket ?? null);
    expect(ticket).toBe("uploads/all-types");
    const back = await client().ok("do_get", { ticket: ticket ?? "", expected: "all-types" });
    expect(back.compare).toMatchObject({ equals: true, schemaEquals: true, rows: 36 });
    expect(back.chunks.map((c) => c.rows)).toEqual([11, 0, 16, 9]);
    expect(metadataOf(back.chunks)).toEqual(["put-0", "put-1", "put-2", "put-3"]);
    // Each batch had its own dictionaries (the empty one too): they come back intact.
    expect(back.compare?.exactEquals).toBe(true);
    expect(back.stats?.replacedDictionaries).toBeGreaterThan(0);
  });

  it("reads delta dictionaries from pyarrow and sends growing dictionaries back as deltas", async () => {
    const put = await client().ok("do_put", {
      descriptor: { path: ["uploads", "dict-deltas"] },
      fixture: "dict-deltas",
      dictionary_deltas: true,
    });
    expect(put.acks.map((a) => (a as { rows: number }).rows)).toEqual([5, 6, 0, 7]);
    const back = await client().ok("do_get", { ticket: "uploads/dict-deltas", expected: "dict-deltas" });
    expect(back.compare).toMatchObject({ equals: true, schemaEquals: true, exactEquals: true, rows: 18 });
    expect(back.stats).toEqual({ dictionaryBatches: 4, dictionaryDeltas: 3, replacedDictionaries: 0 });
  });

  it("refuses a compressed upload it has no codec for with ArrowInvalid naming the codec", async () => {
    const error = await client().fails("do_put", {
      descriptor: { path: ["uploads", "zstd"] },
      fixture: "small",
      compression: "zstd",
    });
    expect(error.type).toBe("ArrowInvalid");
    expect(error.message).toContain("body is compressed with ZSTD but no codec is registered");
  });

  it("takes messages over 4 MiB from pyarrow and serves them back sliced", async () => {
    const put = await client().ok("do_put", { descriptor: { path: ["uploads", "large"] }, fixture: "large" });
    expect(put.acks).toEqual([
      { index: 0, rows: 200_000, appMetadata: "put-0" },
      { index: 1, rows: 100_000, appMetadata: "put-1" },
    ]);
    const back = await client().ok("do_get", { ticket: "uploads/large", expected: "large" });
    expect(back.compare).toMatchObject({ equals: true, schemaEquals: true, rows: 300_000 });
  });

  it("stores a schema-only upload as a zero-row table", async () => {
    const put = await client().ok("do_put", { descriptor: { path: ["uploads", "zero"] }, fixture: "zero-rows" });
    expect(put.acks).toEqual([]);
    const back = await client().ok("do_get", { ticket: "uploads/zero", expected: "zero-rows" });
    expect(back.compare).toMatchObject({ equals: true, schemaEquals: true, rows: 0 });
  });

  it("refuses an upload by a read-only user with FlightUnauthorizedError", async () => {
    const error = await client().fails("do_put", {
      client: "bob",
      descriptor: { path: ["uploads", "by-bob"] },
      fixture: "small",
    });
    expect(error.type).toBe("FlightUnauthorizedError");
    expect(error.message).toContain("user 'bob' may not upload");
    expect((await client().fails("get_schema", { descriptor: { path: ["uploads", "by-bob"] } })).type).toBe(
      "ArrowKeyError",
    );
  });
});

// View types (Arrow format 1.4: Utf8View, BinaryView), which pyarrow 26 and apache-arrow 21
// both read and write. These pin our server's support for them.
describe("pyarrow client -> our server: view types (Utf8View, BinaryView)", () => {
  it("lists and describes a flight with view types", async () => {
    const info = await client().ok("get_flight_info", { descriptor: { path: ["views"] }, expected: "views" });
    expect(info.schema.schemaEquals).toBe(true);
  });

  it("serves view types to pyarrow", async () => {
    const got = await client().ok("do_get", { ticket: "views", expected: "views" });
    expect(got.compare).toMatchObject({ equals: true, schemaEquals: true, rows: 12 });
  });

  it("takes view types from pyarrow and serves them back (round trip)", async () => {
    const put = await client().ok("do_put", { descriptor: { path: ["uploads", "views"] }, fixture: "views" });
    expect(put.acks).toHaveLength(2);
    const back = await client().ok("do_get", { ticket: "uploads/views", expected: "views" });
    expect(back.compare).toMatchObject({ equals: true, schemaEquals: true, rows: 12 });
  });
});

describe("pyarrow client -> our server: DoExchange", () => {
  it("echoes batches with their app_metadata and metadata-only messages", async () => {
    const got = await client().ok("do_exchange", { command: "echo", fixture: "small" });
    expect(got.chunks).toEqual([
      { rows: 4, appMetadata: { utf8: "x-0" } },
      { rows: 4, appMetadata: { utf8: "x-1" } },
      { rows: 4, appMetadata: { utf8: "x-2" } },
      { rows: null, appMetadata: { utf8: "metadata-only" } },
    ]);
    expect(got.compare).toMatchObject({ equals: true, schemaEquals: true, rows: 12 });
  });

  it("transforms batches (x doubled) as they stream", async () => {
    const got = await client().ok("do_exchange", { command: "double", fixture: "small" });
    expect(metadataOf(got.chunks)).toEqual(["doubled-0", "doubled-1", "doubled-2", "metadata-only"]);
    expect(got.compare).toMatchObject({ equals: true, schemaEquals: true, rows: 12 });
  });

  it("fails an unknown exchange command with ArrowInvalid", async () => {
    const error = await client().fails("do_exchange", { command: "explode", fixture: "small" });
    expect(error.type).toBe("ArrowInvalid");
    expect(error.message).toContain("unknown exchange command 'explode'");
  });
});

// What pyarrow 26.0.1 raises for each gRPC status a server returns (measured: pyarrow
// maps codes through Arrow C++'s FromGrpcStatus; there is no Python class for every code).
const PYARROW_EXCEPTION_BY_CODE: ReadonlyArray<readonly [StatusCode, string, string]> = [
  [StatusCode.CANCELLED, "FlightCancelledError", "pyarrow._flight.FlightError"],
  [StatusCode.UNKNOWN, "FlightServerError", "pyarrow._flight.FlightError"],
  [StatusCode.INVALID_ARGUMENT, "ArrowInvalid", "builtins.ValueError"],
  [StatusCode.DEADLINE_EXCEEDED, "FlightTimedOutError", "pyarrow._flight.FlightError"],
  [StatusCode.NOT_FOUND, "ArrowKeyError", "builtins.KeyError"],
  [StatusCode.ALREADY_EXISTS, "ArrowException", "builtins.Exception"],
  [StatusCode.PERMISSION_DENIED, "FlightUnauthorizedError", "pyarrow._flight.FlightError"],
  [StatusCode.RESOURCE_EXHAUSTED, "ArrowInvalid", "builtins.ValueError"],
  [StatusCode.FAILED_PRECONDITION, "ArrowInvalid", "builtins.ValueError"],
  [StatusCode.ABORTED, "FlightInternalError", "pyarrow._flight.FlightError"],
  [StatusCode.OUT_OF_RANGE, "ArrowInvalid", "builtins.ValueError"],
  [StatusCode.UNIMPLEMENTED, "ArrowNotImplementedError", "builtins.NotImplementedError"],
  [StatusCode.INTERNAL, "FlightInternalError", "pyarrow._flight.FlightError"],
  [StatusCode.UNAVAILABLE, "FlightUnavailableError", "pyarrow._flight.FlightError"],
  [StatusCode.DATA_LOSS, "FlightInternalError", "pyarrow._flight.FlightError"],
  [StatusCode.UNAUTHENTICATED, "FlightUnauthenticatedError", "pyarrow._flight.FlightError"],
];

describe("pyarrow client -> our server: error codes", () => {
  it.each(PYARROW_EXCEPTION_BY_CODE)("a FlightError with code %i reaches pyarrow as %s", async (code, pyType, base) => {
    const name = statusCodeName(code);
    const error = await client().fails("do_action", { type: "raise", body: name });
    expect(error.type).toBe(pyType);
    expect(error.bases).toContain(base);
    expect(error.message).toContain(`raised on request: ${name}`);
  });
});
