// arrow-go's own Flight client (test/interop-go, a real Go process per command) against
// 1. our FlightServer (interop-server.ts, a real Node process serving pyarrow's fixtures), and
// 2. a real cluster (Redis, planner, workers) holding a dataset put with our CLI.
// What Go received is written by arrow-go's ipc.FileWriter and compared here, value for
// value, with the fixture pyarrow wrote (both files decoded by apache-arrow's file reader).
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StatusCode, statusCodeName } from "@flight-cluster/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, runCli, startCluster } from "../kit/cluster.js";
import { readIpcFile, tableDifferences } from "./arrow-compare.js";
import { buildGoClient, type GoCommonArgs, type GoFlightClient, goText } from "./go-peer.js";
import { type InteropServerPeer, startInteropServer } from "./interop-server-peer.js";
import { Fixture, type FixtureSummary, PYARROW_USERS, writeFixtures } from "./pyarrow-peers.js";

let dir = "";
let fixtures: Readonly<Record<Fixture, FixtureSummary>>;
let goClient: GoFlightClient | undefined;
let server: InteropServerPeer | undefined;
let cluster: Cluster | undefined;

function go(): GoFlightClient {
  if (goClient === undefined) throw new Error("the Go client was not built");
  return goClient;
}

/** Flags to reach our server as `user` (alice may write, bob may only read). */
function at(user: "writer" | "reader" | "anonymous" = "reader"): GoCommonArgs {
  const location = server?.location;
  if (location === undefined) throw new Error("our server did not start");
  return user === "anonymous" ? { location } : { location, ...PYARROW_USERS[user] };
}

/** Differences between the Arrow IPC file Go wrote and the fixture pyarrow wrote (empty: equal). */
async function differencesFromFixture(goFile: string, fixture: Fixture): Promise<string[]> {
  const [got, expected] = await Promise.all([readIpcFile(goFile), readIpcFile(fixtures[fixture].path)]);
  return tableDifferences(got.table, expected.table);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "flight-interop-go-"));
  // Independent and slow: the Go build, pyarrow writing the fixtures, and the cluster.
  const [written, built, started] = await Promise.all([
    writeFixtures(join(dir, "fixtures")),
    buildGoClient(),
    startCluster({ workers: 3, shardTargetBytes: "1MiB" }),
  ]);
  fixtures = written;
  goClient = built;
  cluster = started;
  server = await startInteropServer(join(dir, "fixtures"));
}, 300_000);

afterAll(async () => {
  await Promise.allSettled([server?.stop(), cluster?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("arrow-go client -> our server: basic-token authentication", () => {
  it("refuses a call without a token with Unauthenticated", async () => {
    const error = await go().fails("list", at("anonymous"));
    expect(error).toMatchObject({ code: "UNAUTHENTICATED", goCode: "Unauthenticated", origin: "grpc" });
    expect(error.message).toContain("missing authorization header");
  });

  it("refuses a wrong password at AuthenticateBasicToken with Unauthenticated", async () => {
    const error = await go().fails("list", { ...at("anonymous"), user: "alice", password: "wrong" });
    expect(error).toMatchObject({ code: "UNAUTHENTICATED", goCode: "Unauthenticated", origin: "grpc" });
    expect(error.message).toContain("invalid username or password");
  });

  it("the token from AuthenticateBasicToken identifies the user on later calls", async () => {
    const alice = await go().ok("action", { ...at("writer"), type: "whoami" });
    expect(alice.results.map(goText)).toEqual(["alice"]);
    const bob = await go().ok("action", { ...at("reader"), type: "whoami" });
    expect(bob.results.map(goText)).toEqual(["bob"]);
    // Two calls after the handshake in one process (GetFlightInfo, then DoGet), both with the token.
    const fetched = await go().ok("fetch", { ...at("reader"), path: "small", out: join(dir, "auth-small.arrow") });
    expect(fetched.rows).toBe(12);
    expect(await differencesFromFixture(join(dir, "auth-small.arrow"), Fixture.Small)).toEqual([]);
  });

  it("refuses an upload by the read-only user with PermissionDenied", async () => {
    const error = await go().fails("put", {
      ...at("reader"),
      path: "uploads/by-bob",
      in: fixtures[Fixture.Small].path,
    });
    expect(error).toMatchObject({ code: "PERMISSION_DENIED", goCode: "PermissionDenied", origin: "grpc" });
    expect(error.message).toContain("user 'bob' may not upload");
  });
});

describe("arrow-go client -> our server: metadata RPCs", () => {
  it("ListFlights lists every fixture with its record count, and filters by criteria", async () => {
    const all = await go().ok("list", at());
    expect(all.authenticated).toBe(true);
    const paths = all.flights.map((f) => (f.descriptor !== null && "path" in f.descriptor ? f.descriptor.path : null));
    expect(paths).toEqual(expect.arrayContaining(Object.values(Fixture).map((name) => [name])));
    const records = Object.fromEntries(all.flights.map((f) => [JSON.stringify(f.descriptor), f.totalRecords]));
    for (const name of Object.values(Fixture)) {
      expect(records[JSON.stringify({ path: [name] })]).toBe(fixtures[name].rows);
    }
    const filtered = await go().ok("list", { ...at(), criteria: "sm" });
    expect(filtered.flights).toEqual([
      { descriptor: { path: ["small"] }, totalRecords: 12, totalBytes: expect.any(Number), endpoints: 1 },
    ]);
  });

  it("GetFlightInfo: endpoint ticket, location, expiration, app_metadata, totals and schema", async () => {
    const info = await go().ok("info", { ...at(), path: "all-types" });
    expect(info).toMatchObject({
      descriptor: { path: ["all-types"] },
      totalRecords: 36,
      ordered: true,
      appMetadata: { utf8: "info:all-types" },
    });
    expect(info.totalBytes).toBeGreaterThan(0);
    expect(info.endpoints).toEqual([
      {
        ticket: Buffer.from("all-types").toString("base64"),
        locations: [server?.location],
        expirationMs: 1_893_553_445_678,
        appMetadata: { utf8: "endpoint:all-types" },
      },
    ]);
    expect(info.schema?.fields.map((f) => f.name)).toEqual(fixtures[Fixture.AllTypes].columns);
    expect(info.schema?.metadata).toEqual({ fixture: "all-types", batches: "11,0,16,9" });
  });

  it("GetSchema: arrow-go decodes every field's type with its parameters", async () => {
    const schema = await go().ok("schema", { ...at(), path: "all-types" });
    expect(schema.fields.map((f) => f.name)).toEqual(fixtures[Fixture.AllTypes].columns);
    const types = Object.fromEntries(schema.fields.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      id: "int32",
      uint64: "uint64",
      float16: "float16",
      decimal128: "decimal(38, 9)",
      decimal256: "decimal256(70, 12)",
      large_utf8: "large_utf8",
      fixed_size_binary: "fixed_size_binary[5]",
      time64_ns: "time64[ns]",
      timestamp_ns_tz: "timestamp[ns, tz=Asia/Kolkata]",
      duration_ms: "duration[ms]",
      interval_month_day_nano: "month_day_nano_interval",
      interval_year_month: "month_interval",
      interval_day_time: "day_time_interval",
      fixed_size_list_float64: "fixed_size_list<item: float64, nullable>[3]",
      map_utf8_int32: "map<utf8, int32, items_nullable>",
      dense_union: "dense_union<i: type=int32, nullable=0, s: type=utf8, nullable=1, b: type=bool, nullable=2>",
      dictionary_int8_ordered: "dictionary<values=utf8, indices=int8, ordered=true>",
      null: "null",
    });
    expect(schema.fields.find((f) => f.name === "id")?.nullable).toBe(false);
    expect(schema.text).toContain('metadata: ["role": "row number"]');
    const views = await go().ok("schema", { ...at(), path: "views" });
    expect(views.fields.map((f) => f.type)).toEqual(["int32", "string_view", "binary_view"]);
  });

  it("ListActions and DoAction (one, several and no results)", async () => {
    const actions = await go().ok("actions", at());
    expect(actions.actions.map((a) => a.type)).toEqual(["echo", "count", "raise", "whoami", "sleep", "sleep-stats"]);
    expect((await go().ok("action", { ...at(), type: "echo", body: "héllo ✓" })).results).toEqual([
      { utf8: "héllo ✓" },
    ]);
    expect((await go().ok("action", { ...at(), type: "count", body: "3" })).results.map(goText)).toEqual([
      "0",
      "1",
      "2",
    ]);
    expect((await go().ok("action", { ...at(), type: "count", body: "0" })).results).toEqual([]);
  });
});

/** Per fixture: the batches our server sends (large: sliced to 2 MiB messages) and their app_metadata. */
const EXPECTED_CHUNKS: ReadonlyArray<readonly [Fixture, readonly number[] | "sliced", readonly string[]]> = [
  [Fixture.AllTypes, [11, 0, 16, 9], ["batch-0", "batch-1", "batch-2", "batch-3"]],
  [Fixture.ZeroRows, [], []],
  [Fixture.Small, [4, 4, 4], ["batch-0", "batch-1", "batch-2"]],
  [Fixture.Large, "sliced", ["batch-0", "batch-1"]],
  [Fixture.Views, [7, 5], ["batch-0", "batch-1"]],
  [Fixture.DictDeltas, [5, 6, 0, 7], ["batch-0", "batch-1", "batch-2", "batch-3"]],
];

describe("arrow-go client -> our server: DoGet of every fixture, compared value for value", () => {
  it.each(
    EXPECTED_CHUNKS,
  )("%s: arrow-go reads the stream and writes an IPC file equal to the fixture", async (name, rows, metadata) => {
    const out = join(dir, `get-${name}.arrow`);
    const got = await go().ok("get", { ...at(), ticket: name, out });
    expect(got.rows).toBe(fixtures[name].rows);
    if (rows === "sliced") {
      // Batches over the 2 MiB message limit arrive in slices; the batch's app_metadata is on its last slice.
      expect(got.chunks.length).toBeGreaterThan(fixtures[name].batchRows.length);
    } else {
      expect(got.chunks.map((c) => c.rows)).toEqual(rows);
    }
    expect(got.chunks.map((c) => goText(c.appMetadata)).filter((m) => m !== null)).toEqual(metadata);
    expect(got.schema.fields.map((f) => f.name)).toEqual(fixtures[name].columns);
    expect(await differencesFromFixture(out, name)).toEqual([]);
  });

  it("every fixture is covered: arrow-go represents all of them", () => {
    expect(EXPECTED_CHUNKS.map(([name]) => name).sort()).toEqual(Object.values(Fixture).sort());
  });

  it("fails an unknown ticket with NotFound and a stream that breaks midway with Unavailable, leaving no file", async () => {
    const missing = await go().fails("get", { ...at(), ticket: "missing", out: join(dir, "missing.arrow") });
    expect(missing).toMatchObject({ code: "NOT_FOUND", goCode: "NotFound", origin: "grpc" });
    expect(missing.message).toContain("no dataset named 'missing'");
    const broken = await go().fails("get", { ...at(), ticket: "fail-midstream", out: join(dir, "broken.arrow") });
    expect(broken).toMatchObject({ code: "UNAVAILABLE", goCode: "Unavailable", origin: "grpc" });
    expect(broken.message).toContain("the replica went away mid-stream");
    const files = await readdir(dir);
    expect(files.filter((f) => f.startsWith("missing") || f.startsWith("broken") || f.includes(".tmp"))).toEqual([]);
  });

  it("arrow-go v18.8.0 limitation: its Flight reader fails on a metadata-only FlightData message", async () => {
    // The stream is valid (pyarrow reads it: pyarrow-client-to-our-server.test.ts); arrow-go's
    // flight.Reader hands the header-less message to its IPC reader, which panics (recovered).
    const error = await go().fails("get", { ...at(), ticket: "with-metadata-only", out: join(dir, "meta.arrow") });
    expect(error.origin).toBe("client");
    expect(error.message).toContain("arrow/ipc: unknown error while reading");
  });
});

describe("arrow-go client -> our server: DoPut from arrow-go, read back and compared", () => {
  it.each(Object.values(Fixture))("%s: uploaded by arrow-go, served back equal to the fixture", async (name) => {
    const path = `uploads/go/${name}`;
    const put = await go().ok("put", { ...at("writer"), path, in: fixtures[name].path });
    const batches = fixtures[name].batchRows;
    expect(put.sent).toBe(batches.length);
    // Our server acknowledges every chunk (a batch, or a metadata-only message) with a JSON
    // PutResult. arrow-go's flight.Writer also copies a batch's app_metadata onto the Schema
    // and dictionary messages it sends with that batch; our reader drops it there, as Arrow
    // C++ does, so each batch is acknowledged once. arrow-go does not slice on write: large's
    // first batch (over 4 MiB) arrives as one message.
    const expected = batches.map((rows, index) => ({ index, rows, appMetadata: `go-put-${index}` }));
    expect(put.results.map((r) => JSON.parse(goText(r) ?? "null"))).toEqual(expected);
    const out = join(dir, `put-${name}.arrow`);
    const back = await go().ok("get", { ...at(), ticket: path, out });
    expect(back.rows).toBe(fixtures[name].rows);
    // Served back with the app_metadata it was uploaded with (large: sliced, metadata on each batch's last slice).
    if (name === Fixture.Large) expect(back.chunks.length).toBeGreaterThan(batches.length);
    else expect(back.chunks.map((c) => c.rows)).toEqual(batches);
    expect(back.chunks.map((c) => goText(c.appMetadata)).filter((m) => m !== null)).toEqual(
      batches.map((_, k) => `go-put-${k}`),
    );
    expect(await differencesFromFixture(out, name)).toEqual([]);
  });
});

// Every gRPC status our server can send (the `raise` action fails with the named code).
const CODES = Object.values(StatusCode).filter((c): c is StatusCode => typeof c === "number" && c !== StatusCode.OK);

describe("arrow-go client -> our server: error codes", () => {
  it("covers every status code but OK", () => {
    expect(CODES).toHaveLength(16);
  });

  it.each(CODES)("a FlightError with code %i reaches arrow-go with the same gRPC code", async (code) => {
    const name = statusCodeName(code);
    const error = await go().fails("action", { ...at(), type: "raise", body: name });
    expect(error).toMatchObject({ code: name, origin: "grpc" });
    expect(error.message).toContain(`raised on request: ${name}`);
  });
});

describe("arrow-go client -> the cluster (planner FlightInfo, workers' DoGet)", () => {
  const DATASET = "interop/go-large";

  function live(): Cluster {
    if (cluster === undefined) throw new Error("the cluster did not start");
    return cluster;
  }

  it("fetches a multi-shard dataset put with the CLI: every endpoint from a worker, values equal to the source", async () => {
    const source = fixtures[Fixture.Large].path;
    const put = await runCli(["put", live().plannerUri, DATASET, source, "--json"]);
    expect(put.code, put.stderr).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ dataset: DATASET, rows: 300_000 });

    const workers = live().workers.map((w) => w.uri);
    const info = await go().ok("info", { location: live().plannerUri, path: DATASET });
    expect(info.totalRecords).toBe(300_000);
    expect(info.ordered).toBe(true);
    expect(info.endpoints.length).toBeGreaterThan(1);
    for (const endpoint of info.endpoints) {
      expect(endpoint.locations.length).toBeGreaterThan(0);
      for (const location of endpoint.locations) expect(workers).toContain(location);
    }

    const out = join(dir, "cluster-large.arrow");
    const fetched = await go().ok("fetch", { location: live().plannerUri, path: DATASET, out });
    expect(fetched.rows).toBe(300_000);
    expect(fetched.totalRecords).toBe(300_000);
    expect(fetched.endpoints.length).toBeGreaterThan(1);
    for (const endpoint of fetched.endpoints) {
      expect(workers).toContain(endpoint.location);
      expect(endpoint.rows).toBe(JSON.parse(goText(endpoint.appMetadata) ?? "{}").rows);
    }
    expect(await differencesFromFixture(out, Fixture.Large)).toEqual([]);
  });

  it("an unknown dataset fails GetFlightInfo with NotFound in Go", async () => {
    const error = await go().fails("fetch", {
      location: live().plannerUri,
      path: "interop/nope",
      out: join(dir, "nope.arrow"),
    });
    expect(error).toMatchObject({ code: "NOT_FOUND", origin: "grpc" });
  });
});
