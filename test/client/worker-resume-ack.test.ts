/**
 * Pins the worker's side of the resume rule (docs/client.md, "Resume"): a worker that
 * honours `x-flight-cluster-skip-batches: N` must say so by answering the same header and
 * value in its response headers. Without the acknowledgement the client cannot tell a
 * worker that skipped from a server that ignores the header, and it skips the N batches
 * itself: against a worker that skipped silently, N batches would be lost (the client's
 * row check then fails the fetch with CLIENT_ROW_COUNT_MISMATCH).
 */
import {
  type ClientMiddleware,
  connect,
  FlightDescriptor,
  getHeader,
  type IncomingHeaders,
} from "@flight-cluster/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadThroughPlanner, makeTable, startTestCluster, type TestCluster } from "./cluster-kit.js";

const SKIP = "x-flight-cluster-skip-batches";
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster({ workers: [{ zone: "a" }, { zone: "b" }], shardTargetBytes: 1024 * 1024 });
  await loadThroughPlanner(cluster.uri, "resume", makeTable(40_000, 4000));
});

afterAll(async () => {
  await cluster?.close();
});

describe("worker DoGet with the resume header", () => {
  it("skips the batches and acknowledges the skip in its response headers", async () => {
    const planner = connect(cluster.uri);
    const info = await planner.getFlightInfo(FlightDescriptor.forPath("resume"));
    planner.close();
    const endpoint = info.endpoints[0];
    expect(endpoint).toBeDefined();
    let headers: IncomingHeaders = {};
    const capture: ClientMiddleware = {
      receivedHeaders(h) {
        headers = h;
      },
    };
    const worker = connect(endpoint?.locations[0]?.uri as string, {
      middleware: [{ startCall: () => capture }],
    });
    try {
      const whole = await worker.doGet(endpoint?.ticket.ticket as Uint8Array).readAll();
      expect(whole.batches.length).toBeGreaterThan(3);
      const resumed = await worker.doGet(endpoint?.ticket.ticket as Uint8Array, { headers: { [SKIP]: "2" } }).readAll();
      expect(resumed.numRows).toBe(whole.numRows - (whole.batches[0]?.numRows ?? 0) - (whole.batches[1]?.numRows ?? 0));
      expect(getHeader(headers, SKIP)).toBe("2");
    } finally {
      worker.close();
    }
  });
});
