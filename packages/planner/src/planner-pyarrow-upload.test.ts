/**
 * pyarrow.flight uploads 1,000,000 rows to a planner with three real workers (in process)
 * and reads them back at every location of every endpoint.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createMemoryRegistry, type Registry } from "@flight-cluster/registry";
import { type RunningWorker, silentWorkerLogger, startWorker } from "@flight-cluster/worker";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type RunningPlanner, startPlanner } from "./planner.js";
import { silentPlannerLogger } from "./planner-logger.js";

const python =
  process.env["FLIGHT_CLUSTER_PYTHON"] || fileURLToPath(new URL("../../../.venv/bin/python", import.meta.url));

const SCRIPT = `
import json, sys
import pyarrow as pa
import pyarrow.flight as fl

rows = 1_000_000
table = pa.table({
    "id": pa.array(range(rows), pa.int64()),
    "name": pa.array([f"customer-{i % 9973}" for i in range(rows)], pa.string()),
    "amount": pa.array([i * 0.25 for i in range(rows)], pa.float64()),
})
client = fl.connect(sys.argv[1])
writer, reader = client.do_put(fl.FlightDescriptor.for_path("big"), table.schema)
writer.write_table(table, max_chunksize=65536)
writer.done_writing()
ack = json.loads(reader.read().to_pybytes())
writer.close()

zone = fl.FlightCallOptions(headers=[(b"x-flight-zone", b"b")])
info = client.get_flight_info(fl.FlightDescriptor.for_path("big"), zone)
parts, identical, first_zones = [], True, []
for endpoint in info.endpoints:
    copies = [fl.connect(loc.uri.decode()).do_get(endpoint.ticket).read_all() for loc in endpoint.locations]
    identical = identical and all(c.equals(copies[0]) for c in copies)
    parts.append(copies[0])
    first_zones.append(endpoint.locations[0].uri.decode())
whole = pa.concat_tables(parts)
print(json.dumps({
    "ack": ack,
    "endpoints": len(info.endpoints),
    "locations": [[l.uri.decode() for l in e.locations] for e in info.endpoints],
    "first": first_zones,
    "identical": identical,
    "equal": whole.equals(table),
    "rows": whole.num_rows,
    "total_records": info.total_records,
}))
`;

let root: string;
let registry: Registry;
let workers: RunningWorker[];
let planner: RunningPlanner;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "planner-pyarrow-"));
  registry = createMemoryRegistry();
  workers = await Promise.all(
    ["a", "b", "c"].map((zone) =>
      startWorker({
        registry,
        dataDir: join(root, zone),
        zone,
        id: `w-${zone}`,
        port: 0,
        host: "127.0.0.1",
        cpuThreads: 0,
        logger: silentWorkerLogger,
      }),
    ),
  );
  planner = await startPlanner({
    registry,
    port: 0,
    host: "127.0.0.1",
    repair: false,
    shardTargetBytes: 4 * 1024 * 1024,
    logger: silentPlannerLogger,
  });
});

afterAll(async () => {
  await planner?.close();
  await Promise.all((workers ?? []).map((w) => w.close()));
  await registry?.close();
  await rm(root, { recursive: true, force: true });
});

it("pyarrow do_put of 1,000,000 rows; every replica of every endpoint serves identical data equal to the input", async () => {
  const out = await new Promise<Record<string, unknown>>((resolve, reject) => {
    execFile(python, ["-c", SCRIPT, planner.uri], { timeout: 240_000, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`pyarrow script failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
  expect(out["ack"]).toMatchObject({ dataset: "big", rows: 1_000_000, replicas: 2 });
  expect(out["endpoints"]).toBeGreaterThan(3);
  expect(out["total_records"]).toBe(1_000_000);
  const zoneOf = new Map(workers.map((w) => [w.uri, w.zone]));
  for (const locations of out["locations"] as string[][]) {
    expect(locations).toHaveLength(2);
    expect(new Set(locations.map((uri) => zoneOf.get(uri))).size).toBe(2);
  }
  // The caller said zone b: every endpoint with a replica in b lists it first.
  for (const [i, locations] of (out["locations"] as string[][]).entries()) {
    if (locations.some((uri) => zoneOf.get(uri) === "b")) expect(zoneOf.get((out["first"] as string[])[i]!)).toBe("b");
  }
  expect(out["identical"]).toBe(true);
  expect(out["rows"]).toBe(1_000_000);
  expect(out["equal"]).toBe(true);
}, 300_000);
