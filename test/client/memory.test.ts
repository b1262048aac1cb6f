/**
 * Peak memory of a fetch is bounded by the byte budget and the transport's buffers, not
 * by the dataset: a child process (test/client/memory-fetch-child.ts, the built client)
 * fetches a dataset many times larger than the budget and reports its peak RSS, which
 * must stay within the bound documented in docs/client.md ("Memory"):
 *
 *   peak RSS - baseline <= byteBudget + concurrency * (window + 16 * largest message) + 64 MiB
 *
 * where the window is the largest a stream may reach (the child fixes it at 1 MiB).
 *
 * The same dataset read into a Table (the reference, holding everything) peaks far higher.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProcess } from "../kit/process.js";
import { loadThroughPlanner, makeTable, startTestCluster, type TestCluster } from "./cluster-kit.js";

const MiB = 1024 * 1024;
const ROWS = 6_000_000; // 16 bytes a row: about 92 MiB of Arrow bodies
const BATCH_ROWS = 8192; // 128 KiB messages
const BUDGET = 4 * MiB;
const CONCURRENCY = 4;
const WINDOW = MiB;
const SLACK = 64 * MiB;
const HERE = fileURLToPath(new URL(".", import.meta.url));

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster({
    workers: [{ zone: "a" }, { zone: "b" }],
    replicas: 1,
    shardTargetBytes: 8 * MiB,
  });
  await loadThroughPlanner(cluster.uri, "big", makeTable(ROWS, BATCH_ROWS));
}, 120_000);

afterAll(async () => {
  await cluster?.close();
});

interface Report {
  baselineRss: number;
  peakRss: number;
  rows: number;
  bytes: number;
  batches: number;
}

async function measure(mode: "stream" | "table"): Promise<Report> {
  const child = await startProcess({
    name: `memory fetch (${mode})`,
    command: process.execPath,
    args: [
      "--expose-gc",
      "--import",
      `${HERE}../interop/ts-register.mjs`,
      `${HERE}memory-fetch-child.ts`,
      cluster.uri,
      "big",
      String(BUDGET),
      String(CONCURRENCY),
      String(WINDOW),
      mode,
    ],
    isReady: (line) => line.includes('"done"'),
    readyTimeoutMs: 120_000,
  });
  await child.exited;
  return JSON.parse(child.readyLine) as Report;
}

describe("memory of a fetch", () => {
  it("stays within the documented bound while streaming a dataset many times the budget", async () => {
    const streamed = await measure("stream");
    expect(streamed.rows).toBe(ROWS);
    expect(streamed.bytes).toBeGreaterThan(20 * BUDGET);
    const largestMessage = BATCH_ROWS * 16 + 4096;
    const bound = BUDGET + CONCURRENCY * (WINDOW + 16 * largestMessage) + SLACK;
    const growth = streamed.peakRss - streamed.baselineRss;
    expect(growth, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB`).toBeLessThanOrEqual(bound);
    const table = await measure("table");
    expect(table.rows).toBe(ROWS);
    // The reference holds the whole dataset: streaming must use clearly less than it.
    expect(growth).toBeLessThan(table.peakRss - table.baselineRss);
    console.log(
      `memory: streaming grew RSS by ${(growth / MiB).toFixed(1)} MiB (bound ${(bound / MiB).toFixed(0)} MiB), ` +
        `readTable by ${((table.peakRss - table.baselineRss) / MiB).toFixed(1)} MiB, ` +
        `${(streamed.bytes / MiB).toFixed(0)} MiB fetched`,
    );
  });
});
