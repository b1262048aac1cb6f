/**
 * Receive windows that grow on a long link (packages/protocol/src/grpc-window-tuner.ts): a
 * client whose first HTTP/2 window is 1 MiB reads about 30 MB through a delay proxy adding
 * 20 ms each way (a separate process), from our FlightServer and from a pyarrow server; and
 * our server, with a 1 MiB first window, takes the same amount as a DoPut from our client and
 * from pyarrow's. Each round trip can carry at most one window, so the PING-timed round trips
 * show the window holding the sender back and the receiver grows it, up to its maximum; with
 * the maximum equal to the first window nothing grows. gRPC C++ (pyarrow) must keep serving
 * and uploading while it receives the PINGs. Values are checked at both ends of every batch.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  connect,
  FlightDescriptor,
  FlightServer,
  type FlightStreamReader,
  RecordBatchStream,
  windowTunerStats,
} from "@flight-cluster/protocol";
import { type RecordBatch, tableFromArrays } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DelayProxy, startDelayProxy } from "../kit/delay-proxy.js";
import { type ChildHandle, startProcess } from "../kit/process.js";
import { requirePyarrow } from "../kit/python.js";

const MiB = 1024 * 1024;
const ROWS = 2_500_000;
const SCRIPT = fileURLToPath(new URL("./pyarrow_flight_servers.py", import.meta.url));

/** The port of a `grpc+tcp://host:port` location. */
function portOf(uri: string): number {
  return Number(new URL(uri.replace(/^grpc\+tcp/, "http")).port);
}

/** ROWS rows: `id` = row number, `value` zeros. */
function idTable() {
  return tableFromArrays({ id: Int32Array.from({ length: ROWS }, (_, i) => i), value: new Float64Array(ROWS) });
}

/** Starts `server` on loopback behind a new 20 ms delay proxy, which it returns. */
async function listenBehindProxy(server: FlightServer): Promise<DelayProxy> {
  const { location } = await server.listen({ host: "127.0.0.1", port: 0 });
  const proxy = await startDelayProxy(20);
  await proxy.setTarget("127.0.0.1", portOf(location.uri));
  return proxy;
}

/** Reads every batch of `ticket` through `uri` and checks id = row number (+ offset) at both ends. */
async function readIds(uri: string, ticket: string, maxWindow: number, offset: number): Promise<number> {
  const client = connect(uri, { flowControlWindowBytes: MiB, maxFlowControlWindowBytes: maxWindow });
  try {
    let rows = 0;
    for await (const batch of client.doGet(ticket) as AsyncIterable<RecordBatch>) {
      const ids = batch.getChildAt(0);
      expect(ids?.get(0)).toBe(offset + rows);
      expect(ids?.get(batch.numRows - 1)).toBe(offset + rows + batch.numRows - 1);
      rows += batch.numRows;
    }
    return rows;
  } finally {
    client.close();
  }
}

describe("HTTP/2 windows on a 20 ms link", () => {
  let server: FlightServer;
  let proxy: DelayProxy;

  beforeAll(async () => {
    const table = idTable();
    // Fixed windows on the server side: the counters below are the client's alone.
    server = new FlightServer({ doGet: () => new RecordBatchStream(table) }, { maxReceiveWindowBytes: 16 * MiB });
    proxy = await listenBehindProxy(server);
  });
  afterAll(async () => {
    await proxy?.stop();
    await server?.close();
  });

  it("grow while round trips are held back by them, up to the maximum (our server)", async () => {
    const before = windowTunerStats();
    expect(await readIds(proxy.uri, "t", 8 * MiB, 0)).toBe(ROWS);
    const after = windowTunerStats();
    expect(after.sessions).toBe(before.sessions + 1);
    expect(after.growths).toBeGreaterThan(before.growths);
    expect(after.largestWindow).toBeGreaterThanOrEqual(2 * MiB);
    expect(after.largestWindow).toBeLessThanOrEqual(8 * MiB);
  });

  it("stay fixed when the maximum is the first window", async () => {
    const before = windowTunerStats();
    expect(await readIds(proxy.uri, "t", MiB, 0)).toBe(ROWS);
    const after = windowTunerStats();
    expect(after.sessions).toBe(before.sessions);
    expect(after.pings).toBe(before.pings);
    expect(after.growths).toBe(before.growths);
  });
});

describe("HTTP/2 windows on a 20 ms link to a pyarrow server", () => {
  let child: ChildHandle | undefined;
  let proxy: DelayProxy | undefined;

  afterAll(async () => {
    await proxy?.stop();
    await child?.stop();
  });

  it("grow while pyarrow keeps serving through the PINGs", async () => {
    const { python } = await requirePyarrow();
    child = await startProcess({
      name: "pyarrow flight server",
      command: python,
      args: [SCRIPT, "--servers", "1", "--endpoints", "2", "--rows", String(ROWS / 5)],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
      isReady: (line) => line.includes('"listening"'),
    });
    const [location] = (JSON.parse(child.readyLine) as { locations: string[] }).locations;
    proxy = await startDelayProxy(20);
    await proxy.setTarget("127.0.0.1", portOf(location as string));
    const before = windowTunerStats();
    expect(await readIds(proxy.uri, "e1", 16 * MiB, 1_000_000)).toBe(ROWS);
    const after = windowTunerStats();
    expect(after.growths).toBeGreaterThan(before.growths);
    expect(after.pings).toBeGreaterThan(before.pings);
  });
});

/** Checks that `reader` delivers ids 0..ROWS-1 in order; returns the rows read. */
async function checkUpload(reader: FlightStreamReader): Promise<number> {
  let rows = 0;
  for await (const batch of reader as AsyncIterable<RecordBatch>) {
    const ids = batch.getChildAt(0);
    if (ids?.get(0) !== rows || ids?.get(batch.numRows - 1) !== rows + batch.numRows - 1) {
      throw new Error(`batch at row ${rows} out of order`);
    }
    rows += batch.numRows;
  }
  return rows;
}

describe("HTTP/2 receive windows of our server on a 20 ms link (DoPut)", () => {
  let server: FlightServer;
  let proxy: DelayProxy;
  const uploads: number[] = [];

  beforeAll(async () => {
    server = new FlightServer(
      {
        async doPut(_ctx, reader) {
          uploads.push(await checkUpload(reader));
        },
      },
      { receiveWindowBytes: MiB, maxReceiveWindowBytes: 8 * MiB },
    );
    proxy = await listenBehindProxy(server);
  });
  afterAll(async () => {
    await proxy?.stop();
    await server?.close();
  });

  it("grow while our client's upload is held back by them", async () => {
    const table = idTable();
    const before = windowTunerStats();
    // The client's own windows stay fixed: the growth counted is the server's.
    const client = connect(proxy.uri, { maxFlowControlWindowBytes: 16 * MiB });
    try {
      const { writer, results } = client.doPut(FlightDescriptor.forPath("up"), table.schema);
      const drained = (async () => {
        for await (const _ of results) {
        }
      })();
      await writer.writeTable(table);
      await writer.close();
      await drained;
    } finally {
      client.close();
    }
    expect(uploads.at(-1)).toBe(ROWS);
    const after = windowTunerStats();
    expect(after.growths).toBeGreaterThan(before.growths);
    expect(after.largestWindow).toBeLessThanOrEqual(Math.max(before.largestWindow, 64 * MiB));
  });

  it("grow while pyarrow's client uploads through the PINGs", async () => {
    const { python } = await requirePyarrow();
    const script = [
      "import sys, pyarrow as pa, pyarrow.compute as pc, pyarrow.flight as fl",
      "n = int(sys.argv[2])",
      "ids = pa.array(range(n), pa.int32())",
      "t = pa.table({'id': ids, 'value': pc.divide(ids.cast(pa.float64()), 4.0)})",
      "w, r = fl.connect(sys.argv[1]).do_put(fl.FlightDescriptor.for_path('up'), t.schema)",
      "w.write_table(t, max_chunksize=262144)",
      "w.close()",
      "print('uploaded', n)",
    ].join("\n");
    const before = windowTunerStats();
    const { stdout } = await promisify(execFile)(python, ["-c", script, proxy.uri, String(ROWS)]);
    expect(stdout.trim()).toBe(`uploaded ${ROWS}`);
    expect(uploads.at(-1)).toBe(ROWS);
    expect(windowTunerStats().growths).toBeGreaterThan(before.growths);
  });
});
