/**
 * Scenario process for our client ((a) parallel, (a') ordered, (b) one endpoint at a
 * time): one `createClusterClient` for the whole run (channels and round-trip estimates
 * stay warm, as in a long-lived application). A pass is `client.fetch(dataset)` iterated
 * to the end, timed from the call (so it includes GetFlightInfo) to the last batch,
 * reading one value at each end of every batch. Line protocol: scenario-output.ts.
 *
 *   node fetch-scenario.js --planner URI --dataset NAME --concurrency K --ordered true|false
 *
 * Every pass must deliver exactly the FlightInfo's total_records, or the process fails.
 */

import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { createClusterClient } from "@flight-cluster/client";
import { useStreamingHeapGrowth } from "@flight-cluster/protocol";
import { runQueueWaitSeconds, type ScenarioPass } from "./scenario-output.js";

const { values } = parseArgs({
  options: {
    planner: { type: "string" },
    dataset: { type: "string" },
    concurrency: { type: "string", default: "8" },
    ordered: { type: "string", default: "false" },
    "heap-growth": { type: "string", default: "streaming" },
    "receive-threads": { type: "string", default: "0" },
  },
});

function positive(name: string, text: string | undefined, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${text}`);
  return n;
}

async function main(): Promise<void> {
  const planner = values.planner;
  const dataset = values.dataset;
  if (planner === undefined || dataset === undefined) throw new Error("--planner and --dataset are required");
  const concurrency = positive("concurrency", values.concurrency, 1);
  if (values.ordered !== "true" && values.ordered !== "false") throw new Error("--ordered must be true or false");
  const ordered = values.ordered === "true";
  // "streaming": what the CLI does and docs/client.md recommends; "v8": V8's own heap growth.
  if (values["heap-growth"] === "streaming") useStreamingHeapGrowth();
  else if (values["heap-growth"] !== "v8") throw new Error("--heap-growth must be streaming or v8");
  process.stdout.write(`${JSON.stringify({ event: "ready" })}\n`);

  const receiveThreads = positive("receive-threads", values["receive-threads"], 0);
  const client = createClusterClient(planner, { receiveThreads });
  const runPass = async (): Promise<ScenarioPass> => {
    const served = new Map<number, string>();
    const cpuBefore = process.cpuUsage();
    const waitBefore = runQueueWaitSeconds();
    const started = performance.now();
    const fetch = client.fetch(dataset, {
      concurrency,
      ordered,
      onEvent: (event) => {
        if (event.kind === "endpoint-done") served.set(event.endpoint, event.location);
      },
    });
    let rows = 0;
    let batches = 0;
    let touched = 0n;
    for await (const batch of fetch) {
      rows += batch.numRows;
      batches++;
      const first = batch.getChildAt(0)?.get(0);
      const last = batch.getChildAt(batch.numCols - 1)?.get(batch.numRows - 1);
      if (typeof first === "bigint" && typeof last === "bigint") touched ^= first ^ last;
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const waited = runQueueWaitSeconds() - waitBefore;
    const info = await fetch.info();
    if (rows !== info.totalRecords)
      throw new Error(`a pass read ${rows} rows, the FlightInfo says ${info.totalRecords}`);
    const locations: Record<string, number> = {};
    for (const location of served.values()) locations[location] = (locations[location] ?? 0) + 1;
    return {
      seconds,
      rows,
      bytes: info.totalBytes,
      batches,
      endpoints: info.endpoints.length,
      locations,
      checksum: BigInt.asUintN(64, touched).toString(16),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      runQueueWaitSeconds: waited,
    };
  };

  for await (const line of createInterface({ input: process.stdin })) {
    const command = line.trim();
    if (command === "pass") {
      process.stdout.write(`${JSON.stringify({ event: "pass", ...(await runPass()) })}\n`);
    } else if (command === "end") {
      break;
    } else if (command !== "") {
      throw new Error(`unknown command ${command}`);
    }
  }
  client.close();
  process.stdout.write(`${JSON.stringify({ event: "result", maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
  process.stdin.destroy();
}

main().catch((error: unknown) => {
  process.stderr.write(`fetch-scenario failed: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
  process.exit(1);
});
