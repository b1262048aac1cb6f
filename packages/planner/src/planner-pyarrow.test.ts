/**
 * pyarrow.flight against a real planner (read side and actions): what a Python user sees.
 * Needs the interpreter with pyarrow ($FLIGHT_CLUSTER_PYTHON, default <repo>/.venv/bin/python).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningPlanner, startPlanner } from "./planner.js";
import { commitDataset, populatedRegistry } from "./planner.test-kit.js";
import { silentPlannerLogger } from "./planner-logger.js";

const python =
  process.env["FLIGHT_CLUSTER_PYTHON"] || fileURLToPath(new URL("../../../.venv/bin/python", import.meta.url));

const SCRIPT = `
import json, sys
import pyarrow.flight as fl

client = fl.connect(sys.argv[1])
out = {}
in_b = fl.FlightCallOptions(headers=[(b"x-flight-zone", b"b")])
info = client.get_flight_info(fl.FlightDescriptor.for_path("sales"), in_b)
out["locations"] = [[l.uri.decode() for l in e.locations] for e in info.endpoints]
out["total_records"] = info.total_records
out["ordered"] = info.ordered
out["schema"] = info.schema.names
out["metadata"] = [json.loads(e.app_metadata) for e in info.endpoints]
out["expires"] = [e.expiration_time is not None for e in info.endpoints]
out["tickets"] = [e.ticket.ticket.decode() for e in info.endpoints]
projected = client.get_schema(fl.FlightDescriptor.for_command(json.dumps({"dataset": "sales", "columns": ["amount", "id"]})))
out["projected"] = projected.schema.names

# pyarrow's Python API has no renew/cancel helpers: wrap the serialized messages as field 1
# of RenewFlightEndpointRequest / CancelFlightInfoRequest, as the specification defines them.
def field1(payload):
    n, head = len(payload), bytearray([0x0A])
    while True:
        head.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if n == 0:
            return bytes(head) + payload

def renew(endpoint):
    result = list(client.do_action(fl.Action("RenewFlightEndpoint", field1(endpoint.serialize()))))
    return fl.FlightEndpoint.deserialize(result[0].body.to_pybytes())

renewed = renew(info.endpoints[0])
out["renewed"] = renewed.ticket.ticket.decode() == out["tickets"][0] and renewed.expiration_time is not None
cancelled = list(client.do_action(fl.Action("CancelFlightInfo", field1(info.serialize()))))
out["cancel"] = list(cancelled[0].body.to_pybytes())

def error_of(call):
    try:
        call()
    except Exception as e:
        return [type(e).__name__, str(e).splitlines()[0]]
    return None

out["missing"] = error_of(lambda: client.get_flight_info(fl.FlightDescriptor.for_path("missing")))
out["traversal"] = error_of(lambda: client.get_flight_info(fl.FlightDescriptor.for_path("../etc/passwd")))
out["json"] = error_of(lambda: client.get_flight_info(fl.FlightDescriptor.for_command(b"{nope")))
out["renew_cancelled"] = error_of(lambda: renew(info.endpoints[0]))
out["actions"] = [a.type for a in client.list_actions()]
out["datasets"] = [d["name"] for d in json.loads(list(client.do_action(fl.Action("list_datasets", b"")))[0].body.to_pybytes())]
out["flights"] = [f.descriptor.path[0].decode() for f in client.list_flights()]
print(json.dumps(out))
`;

function runPython(uri: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(python, ["-c", SCRIPT, uri], { timeout: 60_000, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) reject(new Error(`pyarrow script failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

let planner: RunningPlanner;

beforeAll(async () => {
  const { registry } = await populatedRegistry();
  await commitDataset(registry, "sales", [
    ["w-a1", "w-b1"],
    ["w-c1", "w-b1"],
    ["w-a2", "w-c1"],
  ]);
  planner = await startPlanner({ registry, port: 0, host: "127.0.0.1", repair: false, logger: silentPlannerLogger });
});

afterAll(async () => {
  await planner.close();
});

describe("pyarrow.flight client against the planner", () => {
  it("gets zone-ordered endpoints, schemas, tickets it can renew and cancel, and clear errors", async () => {
    const out = await runPython(planner.uri);
    const short = (uris: string[][]) =>
      uris.map((list) => list.map((uri) => uri.replace(/^grpc\+tcp:\/\/|:9000$/g, "")));
    // Zone b first where a replica is in b; otherwise lowest load (w-c1 0 < w-a2 1).
    expect(short(out["locations"] as string[][])).toEqual([
      ["w-b1", "w-a1"],
      ["w-b1", "w-c1"],
      ["w-c1", "w-a2"],
    ]);
    expect(out["total_records"]).toBe(303);
    expect(out["ordered"]).toBe(true);
    expect(out["schema"]).toEqual(["id", "name", "amount"]);
    expect((out["metadata"] as Array<{ index: number }>).map((m) => m.index)).toEqual([0, 1, 2]);
    expect(out["expires"]).toEqual([true, true, true]);
    expect(out["projected"]).toEqual(["id", "amount"]);
    expect(out["renewed"]).toBe(true);
    // CancelFlightInfoResult { status = CANCEL_STATUS_CANCELLED (1) }.
    expect(out["cancel"]).toEqual([0x08, 0x01]);
    expect(out["missing"]).toEqual([expect.any(String), expect.stringContaining('dataset "missing" does not exist')]);
    expect(out["traversal"]).toEqual(["ArrowInvalid", expect.stringContaining("'..' segment")]);
    expect(out["json"]).toEqual(["ArrowInvalid", expect.stringContaining("not valid JSON")]);
    expect(out["renew_cancelled"]).toEqual([
      expect.any(String),
      expect.stringContaining("ticket is unknown, expired or cancelled"),
    ]);
    expect(out["actions"]).toContain("commit_upload");
    expect(out["datasets"]).toEqual(["sales"]);
    expect(out["flights"]).toEqual(["sales"]);
  });
});
