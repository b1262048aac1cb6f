/**
 * The read path with a real cluster (Redis, a planner, four workers in zones a
 * and b, as child processes) and a real pyarrow client: 1,000,000 rows put through the
 * planner, read back at every location of every endpoint; zone-aware ordering; two
 * planners answering alike; ticket expiry, cancel and renew; hostile input; an upload
 * killed halfway; a planner restart. One cluster serves the whole file: the scenarios
 * that change state (aborted upload, restart) come last and check they lost nothing.
 */
import { connect, FlightDataEncoder, FlightDescriptor, FlightError, StatusCode } from "@flight-cluster/protocol";
import { Field, Float64, Int64, makeData, RecordBatch, Schema, Struct, Utf8 } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, lastJson, runCli, runPython, startCluster, waitFor } from "../kit/cluster.js";
import { startProcess } from "../kit/process.js";
import { pythonPath, REPO_ROOT, requirePyarrow } from "../kit/python.js";

const ROWS = 1_000_000;
const DATASET = "issue3/sales";

interface EndpointJson {
  readonly ticket: string;
  readonly locations: readonly string[];
  readonly expiration_ms: number | null;
  readonly app_metadata: { readonly rows?: number; readonly index?: number; readonly shard?: string } | null;
  readonly rows?: number;
}
interface VerifyJson {
  readonly ok: boolean;
  readonly message?: string;
  readonly total_records: number;
  readonly total_bytes: number;
  readonly ordered: boolean;
  readonly endpoints: readonly EndpointJson[];
  readonly rows: number;
  readonly equal: boolean;
  readonly replicas_identical: boolean;
  readonly failures: readonly unknown[];
}
interface Attempt {
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error_class?: string;
  readonly message?: string;
}

let cluster: Cluster;

async function py<T>(args: readonly string[]): Promise<T> {
  const result = await runPython("cluster_client.py", args);
  return lastJson<T>(result);
}

function verify(extra: readonly string[] = []): Promise<VerifyJson> {
  return py<VerifyJson>([
    "verify",
    "--uri",
    cluster.plannerUri,
    "--dataset",
    DATASET,
    "--rows",
    String(ROWS),
    ...extra,
  ]);
}

beforeAll(async () => {
  await requirePyarrow();
  cluster = await startCluster({ workers: 4, zones: ["a", "b"], shardTargetBytes: "4MiB" });
  const put = await py<{ ok: boolean; rows: number; message?: string }>([
    "put",
    "--uri",
    cluster.plannerUri,
    "--dataset",
    DATASET,
    "--rows",
    String(ROWS),
  ]);
  expect(put, JSON.stringify(put)).toMatchObject({ ok: true, rows: ROWS });
}, 240_000);

afterAll(async () => {
  await cluster?.close();
});

describe("reading what pyarrow put", () => {
  it("lists several endpoints, each with 2 locations in distinct zones; every location serves identical data equal to the input", async () => {
    const result = await verify();
    expect(result.ok, result.message).toBe(true);
    expect(result.total_records).toBe(ROWS);
    expect(result.ordered).toBe(true);
    expect(result.endpoints.length).toBeGreaterThanOrEqual(3);
    let rows = 0;
    result.endpoints.forEach((endpoint, index) => {
      expect(endpoint.locations).toHaveLength(2);
      const zones = endpoint.locations.map((location) => cluster.zoneOf(location));
      expect(zones.every((zone) => zone !== undefined)).toBe(true);
      expect(new Set(zones).size).toBe(2);
      expect(endpoint.expiration_ms).toBeGreaterThan(Date.now());
      expect(endpoint.app_metadata?.index).toBe(index);
      expect(endpoint.app_metadata?.rows).toBe(endpoint.rows);
      rows += endpoint.rows ?? 0;
    });
    expect(rows).toBe(ROWS);
    expect(result.replicas_identical).toBe(true);
    expect(result.equal).toBe(true);
    expect(result.total_bytes).toBeGreaterThan(0);
  }, 120_000);

  it.each(["a", "b"])("lists the replica in the caller's zone (%s) first", async (zone) => {
    const info = await py<{ ok: boolean; value: { endpoints: EndpointJson[] } }>([
      "info",
      "--uri",
      cluster.plannerUri,
      "--dataset",
      DATASET,
      "--zone",
      zone,
    ]);
    expect(info.ok).toBe(true);
    expect(info.value.endpoints.length).toBeGreaterThanOrEqual(3);
    for (const endpoint of info.value.endpoints) {
      expect(cluster.zoneOf(endpoint.locations[0] ?? "")).toBe(zone);
    }
  });

  it("reads a column projection (CMD JSON descriptor) equal to the input's columns", async () => {
    const result = await verify(["--columns", "value,id", "--zone", "b"]);
    expect(result.ok, result.message).toBe(true);
    expect(result.equal).toBe(true);
    expect(result.replicas_identical).toBe(true);
  });

  it("gives the same answer from a second planner on the same registry (stateless)", async () => {
    const second = await cluster.startPlanner();
    const answers = await Promise.all(
      [cluster.plannerUri, second.uri].map((uri) =>
        py<{ ok: boolean; value: { total_records: number; endpoints: EndpointJson[] } }>([
          "info",
          "--uri",
          uri,
          "--dataset",
          DATASET,
          "--zone",
          "a",
        ]),
      ),
    );
    const shape = (answer: (typeof answers)[number]) => ({
      total: answer.value.total_records,
      endpoints: answer.value.endpoints.map((e) => ({ locations: e.locations, meta: e.app_metadata })),
    });
    expect(answers[0]?.ok && answers[1]?.ok).toBe(true);
    expect(shape(answers[1]!)).toEqual(shape(answers[0]!));
    // Tickets are per request, never shared.
    expect(answers[1]?.value.endpoints[0]?.ticket).not.toBe(answers[0]?.value.endpoints[0]?.ticket);
  });
});

describe("tickets", () => {
  it("fails unknown, malformed, cancelled and expired tickets clearly; RenewFlightEndpoint extends expiry", async () => {
    const short = await cluster.startPlanner(["--ticket-ttl", "1500ms"]);
    const result = await py<Record<string, Attempt | number | boolean | null>>([
      "tickets",
      "--uri",
      cluster.plannerUri,
      "--short-uri",
      short.uri,
      "--dataset",
      DATASET,
    ]);
    expect(result["ok"]).toBe(true);
    expect(result["valid"]).toMatchObject({ ok: true });
    for (const key of ["unknown", "malformed", "cancelled", "cancelled_last", "expired"]) {
      const attempt = result[key] as Attempt;
      expect(attempt.ok, `${key}: ${JSON.stringify(attempt)}`).toBe(false);
      // NOT_FOUND reaches pyarrow as ArrowKeyError (a KeyError), INVALID_ARGUMENT as ArrowInvalid
      // (bytes that cannot be a ticket at all); the message names the problem.
      expect(attempt.error_class, key).toBe(key === "malformed" ? attempt.error_class : "ArrowKeyError");
      expect(["ArrowKeyError", "ArrowInvalid"], key).toContain(attempt.error_class);
      expect(attempt.message, key).toMatch(/ticket/i);
      expect(attempt.message, key).toMatch(/unknown|expired|cancel|not found|malformed|invalid/i);
    }
    expect(result["cancel_status"]).toBe(1); // CancelStatus.CANCELLED
    expect(result["short_ttl_ms"]).toBeLessThanOrEqual(1500);
    expect(result["new_expiration_ms"]).toBeGreaterThan(result["old_expiration_ms"] as number);
    expect(result["renewed"]).toMatchObject({ ok: true });
    expect((result["renewed"] as Attempt).value).toBeGreaterThan(0);
  });
});

describe("bad input", () => {
  it("rejects hostile dataset names, oversized descriptors and malformed commands clearly; nothing dies, nothing is stored", async () => {
    const filesBefore = await cluster.dataFiles();
    const result = await py<{
      ok: boolean;
      get_flight_info: Record<string, Attempt>;
      do_put: Record<string, Attempt>;
      cmd: Record<string, Attempt>;
    }>(["bad-input", "--uri", cluster.plannerUri]);
    expect(result.ok).toBe(true);
    // Every refusal names the rule broken (messages as a pyarrow user sees them).
    const expected: Record<string, RegExp> = {
      empty: /PATH descriptor component 1 is empty/,
      oversized_cmd: /resource exhausted.*descriptor is \d+ bytes; the limit is 65536 bytes/,
      two_segments_path: /invalid dataset name: "\.\.\/etc" has a '\.\.' segment/,
      dotdot: /has a '\.\.' segment/,
      dotdot_segment: /has a '\.\.' segment/,
      leading_slash: /starts with '\/'/,
      double_slash: /has an empty segment/,
      nul: /control character U\+0000/,
      newline: /control character U\+000A/,
      escape: /control character U\+001B/,
      too_long: /is 5000 characters long; the limit is 200/,
      unicode: /contains "é"/,
    };
    for (const [key, attempt] of Object.entries(result.get_flight_info)) {
      expect(attempt.ok, `get_flight_info ${key}: ${JSON.stringify(attempt)}`).toBe(false);
      expect(attempt.error_class, key).toBe("ArrowInvalid");
      expect(attempt.message, key).toMatch(expected[key] ?? /invalid dataset name/);
    }
    for (const [key, attempt] of Object.entries(result.cmd)) {
      expect(attempt.ok, `cmd ${key}: ${JSON.stringify(attempt)}`).toBe(false);
      expect(attempt.error_class, key).toBe("ArrowInvalid");
    }
    expect(result.cmd["not_json"]?.message).toMatch(/CMD descriptor is not valid JSON/);
    expect(result.cmd["missing_dataset"]?.message).toMatch(/lacks the "dataset" field/);
    expect(result.cmd["bad_utf8"]?.message).toMatch(/not valid UTF-8/);
    expect(result.cmd["traversal"]?.message).toMatch(/dataset name/i);
    for (const [key, attempt] of Object.entries(result.do_put)) {
      expect(attempt.ok, `do_put ${key}: ${JSON.stringify(attempt)}`).toBe(false);
      expect(attempt.error_class, key).toBe("ArrowInvalid");
      expect(attempt.message, key).toMatch(expected[key] ?? /invalid dataset name/);
    }
    expect(cluster.deadProcesses()).toEqual([]);
    expect(await cluster.dataFiles()).toEqual(filesBefore);
    const ls = await runCli(["ls", cluster.plannerUri, "--json"]);
    expect(ls.code, ls.stderr).toBe(0);
    expect((JSON.parse(ls.stdout) as { name: string }[]).map((d) => d.name)).toEqual([DATASET]);
  });

  it("rejects a DoPut whose schema changes mid-stream; nothing is stored", async () => {
    const filesBefore = await cluster.dataFiles();
    const schemaA = new Schema([new Field("id", new Int64(), false), new Field("x", new Float64(), false)]);
    const schemaB = new Schema([new Field("id", new Int64(), false), new Field("name", new Utf8(), false)]);
    const rows = 50_000;
    const batchA = new RecordBatch(
      schemaA,
      makeData({
        type: new Struct(schemaA.fields),
        length: rows,
        nullCount: 0,
        children: [
          makeData({
            type: new Int64(),
            length: rows,
            nullCount: 0,
            data: BigInt64Array.from({ length: rows }, (_, i) => BigInt(i)),
          }),
          makeData({ type: new Float64(), length: rows, nullCount: 0, data: new Float64Array(rows).fill(1.5) }),
        ],
      }),
    );
    const names = new TextEncoder().encode("n".repeat(rows));
    const batchB = new RecordBatch(
      schemaB,
      makeData({
        type: new Struct(schemaB.fields),
        length: rows,
        nullCount: 0,
        children: [
          makeData({ type: new Int64(), length: rows, nullCount: 0, data: new BigInt64Array(rows) }),
          makeData({
            type: new Utf8(),
            length: rows,
            nullCount: 0,
            valueOffsets: Int32Array.from({ length: rows + 1 }, (_, i) => i),
            data: names,
          }),
        ],
      }),
    );
    const client = connect(cluster.plannerUri);
    try {
      const { writer } = client.doPut(FlightDescriptor.forPath("issue3/schema-change"), schemaA);
      await writer.write(batchA);
      const other = new FlightDataEncoder(schemaB);
      await writer.writeFrame(other.encodeSchema());
      for (const frame of other.encodeBatch(batchB)) await writer.writeFrame(frame);
      const error = await writer.close().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FlightError);
      expect((error as FlightError).code).toBe(StatusCode.INVALID_ARGUMENT);
      expect((error as FlightError).message).toMatch(/schema/i);
    } finally {
      client.close();
    }
    await waitFor("no files of the failed upload", async () =>
      JSON.stringify(await cluster.dataFiles()) === JSON.stringify(filesBefore) ? true : undefined,
    );
    const info = await py<Attempt>(["info", "--uri", cluster.plannerUri, "--dataset", "issue3/schema-change"]);
    expect(info).toMatchObject({ ok: false, error_class: "ArrowKeyError" });
    expect(cluster.deadProcesses()).toEqual([]);
  });
});

describe("interrupted upload", () => {
  it("leaves nothing behind when the pyarrow client is killed halfway", async () => {
    const filesBefore = await cluster.dataFiles();
    const client = await startProcess({
      name: "pyarrow put (to be killed)",
      command: pythonPath(),
      args: [
        `${REPO_ROOT}test/cluster/cluster_client.py`,
        "put",
        "--uri",
        cluster.plannerUri,
        "--dataset",
        "issue3/aborted",
        "--rows",
        String(ROWS),
        "--hang-after-rows",
        String(ROWS / 2),
      ],
      isReady: (line) => line.includes('"midway"'),
      readyTimeoutMs: 120_000,
    });
    // Mid-stream: wait until the workers hold files of this upload, so the cleanup has work to do.
    await waitFor(
      "shard files of the upload in progress",
      async () => (JSON.stringify(await cluster.dataFiles()) !== JSON.stringify(filesBefore) ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    process.kill(client.pid, "SIGKILL");
    await client.exited;
    await waitFor(
      "the aborted upload's shard files to be deleted",
      async () => (JSON.stringify(await cluster.dataFiles()) === JSON.stringify(filesBefore) ? true : undefined),
      { timeoutMs: 60_000 },
    );
    const info = await py<Attempt>(["info", "--uri", cluster.plannerUri, "--dataset", "issue3/aborted"]);
    expect(info).toMatchObject({ ok: false, error_class: "ArrowKeyError" });
    expect(cluster.deadProcesses()).toEqual([]);
  }, 180_000);
});

describe("planner restart", () => {
  it("loses nothing: after a drain and restart every row reads back identically", async () => {
    await cluster.restartPlanner();
    const result = await verify();
    expect(result.ok, result.message).toBe(true);
    expect(result.equal).toBe(true);
    expect(result.replicas_identical).toBe(true);
    expect(result.endpoints.every((e) => e.locations.length === 2)).toBe(true);
    expect(cluster.deadProcesses()).toEqual([]);
  }, 120_000);
});
