/**
 * Child process of the memory test: fetches a dataset with the built client, discards
 * every batch, and reports its peak resident set size.
 *
 *   node --import ./test/interop/ts-register.mjs test/client/memory-fetch-child.ts \
 *     <planner-uri> <dataset> <byteBudget> <concurrency> <flowControlWindowBytes> <mode>
 *
 * `mode` is `stream` (iterate and drop each batch) or `table` (readTable: hold everything,
 * the reference). RSS is sampled every 2 ms from just before the fetch starts (after the
 * client connected and GetFlightInfo answered) to its end. Prints one JSON line
 * `{"event":"done","baselineRss","peakRss","rows","bytes","batches"}`.
 */
import { createClusterClient } from "@flight-cluster/client";

async function main(): Promise<void> {
  const [uri, dataset, budget, concurrency, window, mode] = process.argv.slice(2);
  if (uri === undefined || dataset === undefined || mode === undefined) throw new Error("missing arguments");
  // The bound counts the largest window a stream may reach: fix the window at `window`.
  const client = createClusterClient(uri, {
    flowControlWindowBytes: Number(window),
    maxFlowControlWindowBytes: Number(window),
  });
  try {
    // Warm up: connect, load the client's code paths, settle the heap.
    await client.fetch(dataset, { byteBudget: Number(budget), concurrency: 1 }).info();
    (globalThis as { gc?: () => void }).gc?.();
    const baselineRss = process.memoryUsage.rss();
    let peakRss = baselineRss;
    const timer = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, 2);
    const fetch = client.fetch(dataset, { byteBudget: Number(budget), concurrency: Number(concurrency) });
    let rows = 0;
    let batches = 0;
    if (mode === "table") {
      const table = await fetch.readTable();
      rows = table.numRows;
      batches = table.batches.length;
    } else {
      for await (const batch of fetch) {
        rows += batch.numRows;
        batches++;
      }
    }
    clearInterval(timer);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const bytes = fetch.progress().bytes;
    process.stdout.write(`${JSON.stringify({ event: "done", baselineRss, peakRss, rows, bytes, batches })}\n`);
  } finally {
    client.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
