import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tableFromArrays } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { connect, type FlightClient } from "../flight-client.js";
import { FlightNotFoundError, FlightUnauthenticatedError } from "../flight-error.js";
import { collect, text, utf8 } from "../protocol.test-kit.js";

const here = dirname(fileURLToPath(import.meta.url));
const script = resolve(here, "../../dist/examples/example-server.js");
const python = process.env["FLIGHT_CLUSTER_PYTHON"] ?? resolve(here, "../../../../.venv/bin/python");

interface Running {
  child: ChildProcess;
  uri: string;
  exit: Promise<number | null>;
}

/** Starts the built example server and waits for its `listening` line. */
async function start(...args: string[]): Promise<Running> {
  expect(existsSync(script), `build first (pnpm exec tsc --build): ${script}`).toBe(true);
  const child = spawn(process.execPath, [script, "--port", "0", "--host", "127.0.0.1", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exit = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));
  const lines = createInterface({ input: child.stdout! });
  const uri = await new Promise<string>((resolveUri, reject) => {
    lines.on("line", (line) => {
      const match = /listening on (\S+)/.exec(line);
      if (match?.[1] !== undefined) resolveUri(match[1]);
    });
    void exit.then((code) => reject(new Error(`example server exited with ${code} before listening`)));
  });
  return { child, uri, exit };
}

describe("example server (built dist, real process)", () => {
  let running: Running | undefined;
  let client: FlightClient | undefined;
  afterEach(async () => {
    client?.close();
    client = undefined;
    if (running !== undefined && running.child.exitCode === null) {
      running.child.kill("SIGKILL");
      await running.exit;
    }
    running = undefined;
  });

  it("serves list/get/put/exchange/actions and exits 0 on SIGTERM", async () => {
    running = await start();
    expect(running.uri).toMatch(/^grpc\+tcp:\/\/127\.0\.0\.1:\d+$/);
    client = connect(running.uri);
    const flights = await collect(client.listFlights());
    expect(flights.map((f) => f.descriptor)).toEqual([
      { type: "path", path: ["dataset", "sales"] },
      { type: "path", path: ["dataset", "products"] },
    ]);
    expect(flights[0]!.endpoints[0]!.locations).toEqual([{ uri: running.uri }]);

    const upload = tableFromArrays({
      id: Int32Array.from({ length: 5000 }, (_, i) => i),
      v: new Float64Array(5000).fill(0.25),
    });
    const { writer, results } = client.doPut({ type: "path", path: ["uploads", "numbers"] }, upload.schema);
    const acks = (async () => (await collect(results)).map((r) => JSON.parse(text(r.appMetadata)) as unknown))();
    await writer.writeTable(upload);
    await writer.close();
    expect(await acks).toEqual([{ batch: 1, rows: 5000 }]);

    const info = await client.getFlightInfo({ type: "path", path: ["uploads", "numbers"] });
    expect(info.totalRecords).toBe(5000);
    expect((await client.getSchema({ type: "path", path: ["uploads", "numbers"] })).fields.map((f) => f.name)).toEqual([
      "id",
      "v",
    ]);
    const back = await client.doGet(info.endpoints[0]!.ticket).readAll();
    expect(back.numRows).toBe(5000);
    expect(back.getChild("id")!.get(4999)).toBe(4999);

    const { writer: ew, reader: er } = client.doExchange({ type: "cmd", cmd: utf8("echo") });
    await ew.write(upload.batches[0]!.slice(0, 7), utf8("m"));
    await ew.done();
    const echoed = await collect(er.chunks());
    expect(echoed.map((c) => [c.data?.numRows, c.appMetadata && text(c.appMetadata)])).toEqual([[7, "m"]]);

    expect((await client.listActions()).map((a) => a.type)).toEqual(["list_tables", "drop"]);
    const [list] = await collect(client.doAction("list_tables"));
    expect(text(list!.body).split("\n")).toEqual(["dataset/sales", "dataset/products", "uploads/numbers"]);
    await collect(client.doAction({ type: "drop", body: utf8("uploads/numbers") }));
    await expect(client.getFlightInfo({ type: "path", path: ["uploads", "numbers"] })).rejects.toBeInstanceOf(
      FlightNotFoundError,
    );

    running.child.kill("SIGTERM");
    expect(await running.exit).toBe(0);
  });

  it("requires Basic -> Bearer auth with --user, for our client and for pyarrow's authenticate_basic_token", async () => {
    running = await start("--user", "alice:s3cret");
    client = connect(running.uri);
    await expect(client.listActions()).rejects.toBeInstanceOf(FlightUnauthenticatedError);
    await client.authenticateBasicToken("alice", "s3cret");
    expect(await client.listActions()).toHaveLength(2);

    const port = running.uri.split(":").pop();
    const program = [
      "import pyarrow.flight as fl",
      `c = fl.connect("grpc://127.0.0.1:${port}")`,
      'pair = c.authenticate_basic_token("alice", "s3cret")',
      "opts = fl.FlightCallOptions(headers=[pair])",
      't = c.do_get(fl.Ticket(b"dataset/sales"), options=opts).read_all()',
      "print(t.num_rows, ','.join(t.column_names))",
    ].join("\n");
    const { stdout } = await promisify(execFile)(python, ["-c", program], { timeout: 60_000 });
    expect(stdout.trim()).toBe("3 date,amount,region");
  });
});
