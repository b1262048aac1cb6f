/**
 * Does reading streams or decoding in worker threads (each with its own channel) beat the
 * main thread? Fetches one dataset from a real cluster (planner and workers as separate
 * processes, test/kit/cluster.ts) in three ways, alternating, and reports the medians:
 *
 * - `main`: the client as shipped (`createClusterClient(...).fetch`), everything on the
 *   main thread, batches yielded to the caller;
 * - `threads-relay`: K worker threads, each with its own channels, DoGet their share of
 *   the endpoints and post every FlightData message (buffer transferred) to the main
 *   thread, which decodes it into record batches (what a threaded `fetch` would have to do
 *   to yield batches on the main thread);
 * - `threads-consume`: the same threads decode and count rows themselves and post only
 *   counts (an upper bound: the consumer's own work would also have to move into the
 *   threads).
 *
 * The server is either a real cluster (`cluster`: planner and 3 workers as CLI processes on
 * Redis) or a pyarrow.flight (C++) server process (`pyarrow`: 16 endpoints redeemed on it),
 * which serves faster than one client reads, so the client is what is measured.
 *
 * Run (after `pnpm exec tsc --build`):
 *   node --import ./test/interop/ts-register.mjs packages/client/bench/threads-bench.ts [cluster|pyarrow] [rows] [rounds]
 * Prints one JSON line per run and a summary line.
 */
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type ClusterClient, createClusterClient } from "@flight-cluster/client";
import { connect, FlightDataDecoder, FlightDescriptor, useStreamingHeapGrowth } from "@flight-cluster/protocol";
import { makeTable } from "../../../test/client/cluster-kit.js";
import { startCluster } from "../../../test/kit/cluster.js";
import { startProcess } from "../../../test/kit/process.js";
import { requirePyarrow } from "../../../test/kit/python.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
// The setup docs/client.md recommends for a process that reads a lot (V8 flags are
// process-wide, so the threads share it).
useStreamingHeapGrowth();
const CONCURRENCY = 4;
const WINDOW = 16 * 1024 * 1024;

interface Run {
  readonly variant: string;
  readonly seconds: number;
  readonly bytes: number;
  readonly rows: number;
  /** Client process CPU seconds (user + system, all threads). */
  readonly cpuSeconds: number;
}

async function timed(variant: string, body: () => Promise<{ bytes: number; rows: number }>): Promise<Run> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const { bytes, rows } = await body();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { variant, seconds, bytes, rows, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** One fetch with a client kept across runs (warm channels and probes, as the thread pools have). */
async function mainThread(client: ClusterClient, dataset: string): Promise<{ bytes: number; rows: number }> {
  const fetch = client.fetch(dataset, { concurrency: CONCURRENCY, ordered: false });
  let rows = 0;
  for await (const batch of fetch) rows += batch.numRows;
  return { bytes: fetch.progress().bytes, rows };
}

/** A pool of worker threads kept across runs (a threaded client would keep its threads). */
class ThreadPool {
  readonly #workers: Worker[];
  readonly #mode: "relay" | "consume";

  constructor(threads: number, mode: "relay" | "consume") {
    this.#mode = mode;
    this.#workers = Array.from(
      { length: threads },
      () =>
        new Worker(`${HERE}threads-bench-worker.mjs`, {
          workerData: { mode, concurrency: Math.max(1, CONCURRENCY / threads), windowBytes: WINDOW },
        }),
    );
  }

  async run(uri: string, dataset: string): Promise<{ bytes: number; rows: number }> {
    const planner = connect(uri);
    const info = await planner.getFlightInfo(FlightDescriptor.forPath(dataset));
    planner.close();
    const threads = this.#workers.length;
    const shares: Array<Array<{ endpoint: number; uri: string; ticket: Uint8Array }>> = Array.from(
      { length: threads },
      () => [],
    );
    info.endpoints.forEach((e, i) => {
      shares[i % threads]?.push({ endpoint: i, uri: e.locations[0]?.uri ?? uri, ticket: e.ticket.ticket });
    });
    const decoders = new Map<number, FlightDataDecoder>();
    let rows = 0;
    let bytes = 0;
    await Promise.all(
      this.#workers.map(
        (worker, i) =>
          new Promise<void>((resolve, reject) => {
            const onMessage = (m: Record<string, unknown>) => {
              if (m["kind"] === "frame") {
                const buffer = m["buffer"] as ArrayBuffer;
                const [ho, hl] = m["header"] as [number, number];
                const [bo, bl] = m["body"] as [number, number];
                const endpoint = m["endpoint"] as number;
                let decoder = decoders.get(endpoint);
                if (decoder === undefined) {
                  decoder = new FlightDataDecoder();
                  decoders.set(endpoint, decoder);
                }
                const d = decoder.decode({
                  header: new Uint8Array(buffer, ho, hl),
                  body: new Uint8Array(buffer, bo, bl),
                  appMetadata: new Uint8Array(0),
                });
                if (d.kind === "batch") rows += d.batch.numRows;
              } else if (m["kind"] === "done") {
                rows += m["rows"] as number;
                bytes += m["bytes"] as number;
              } else if (m["kind"] === "finished") {
                worker.off("message", onMessage);
                worker.off("error", reject);
                resolve();
              }
            };
            worker.on("message", onMessage);
            worker.on("error", reject);
            worker.postMessage({ kind: "run", tasks: shares[i] });
          }),
      ),
    );
    return { bytes, rows };
  }

  get mode(): string {
    return this.#mode;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#workers.map((w) => {
        const exited = new Promise((resolve) => w.once("exit", resolve));
        w.postMessage({ kind: "close" });
        return exited;
      }),
    );
  }
}

/** The reference: pyarrow's own (C++) client reading the same flight, in a child process. */
async function pyarrowClient(uri: string): Promise<Run> {
  const { python } = await requirePyarrow();
  const child = await startProcess({
    name: "pyarrow bench client",
    command: python,
    args: [`${HERE}pyarrow_bench_client.py`, uri, String(CONCURRENCY)],
    isReady: (line) => line.startsWith("{"),
    readyTimeoutMs: 300_000,
  });
  await child.exited;
  const r = JSON.parse(child.readyLine) as { seconds: number; bytes: number; rows: number; cpuSeconds: number };
  return { variant: "pyarrow-client (reference)", ...r };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** The server: a cluster of CLI processes loaded with the dataset, or a pyarrow (C++) server process. */
async function startServer(
  kind: string,
  rows: number,
): Promise<{ uri: string; dataset: string; close(): Promise<void> }> {
  if (kind === "pyarrow") {
    const { python } = await requirePyarrow();
    const child = await startProcess({
      name: "pyarrow bench server",
      command: python,
      args: [`${HERE}pyarrow_bench_server.py`, String(rows), "16"],
      isReady: (line) => line.includes('"listening"'),
      readyTimeoutMs: 120_000,
    });
    const uri = (JSON.parse(child.readyLine) as { location: string }).location;
    return { uri, dataset: "bench", close: async () => void (await child.stop()) };
  }
  const cluster = await startCluster({ workers: 3, shardTargetBytes: "8MiB" });
  const loader = createClusterClient(cluster.plannerUri);
  await loader.put("bench", makeTable(rows, 65_536), { concurrency: 4 });
  loader.close();
  return { uri: cluster.plannerUri, dataset: "bench", close: () => cluster.close() };
}

async function main(): Promise<void> {
  const kind = process.argv[2] ?? "cluster";
  const rows = Number(process.argv[3] ?? 8_000_000);
  const rounds = Number(process.argv[4] ?? 3);
  const server = await startServer(kind, rows);
  const { uri, dataset } = server;
  const closers: Array<() => Promise<void>> = [];
  try {
    const threads = Math.max(2, availableParallelism());
    const client = createClusterClient(uri, { flowControlWindowBytes: WINDOW });
    closers.push(async () => client.close());
    const threadedClient = createClusterClient(uri, { flowControlWindowBytes: WINDOW, receiveThreads: threads });
    closers.push(async () => threadedClient.close());
    const relay = new ThreadPool(threads, "relay");
    const consume = new ThreadPool(threads, "consume");
    closers.push(
      () => relay.close(),
      () => consume.close(),
    );
    const variants: Array<[string, () => Promise<{ bytes: number; rows: number }>]> = [
      ["main", () => mainThread(client, dataset)],
      [`client receiveThreads ${threads}`, () => mainThread(threadedClient, dataset)],
      [`threads-relay x${threads}`, () => relay.run(uri, dataset)],
      [`threads-consume x${threads}`, () => consume.run(uri, dataset)],
    ];
    // Warm-up (connections, JIT, page cache), not reported.
    for (const [name, run] of variants) await timed(name, run);
    const results = new Map<string, Run[]>();
    const record = (result: Run) => {
      if (result.rows !== rows) throw new Error(`${result.variant} read ${result.rows} rows, expected ${rows}`);
      process.stdout.write(`${JSON.stringify(result)}\n`);
      results.set(result.variant, [...(results.get(result.variant) ?? []), result]);
    };
    for (let r = 0; r < rounds; r++) {
      for (const [name, run] of variants) record(await timed(name, run));
      if (kind === "pyarrow") record(await pyarrowClient(uri));
    }
    // Paired comparison: within a round the variants run back to back, so the ratio of a
    // variant's throughput to main's in the same round is less exposed to the machine's drift.
    const mainRuns = results.get("main") ?? [];
    const summary = [...results].map(([name, runs]) => ({
      variant: name,
      mbPerSecond: Math.round(median(runs.map((x) => x.bytes / x.seconds / 1e6))),
      cpuSecondsPerGB: Number(median(runs.map((x) => x.cpuSeconds / (x.bytes / 1e9))).toFixed(2)),
      speedVsMain: Number(
        median(runs.map((x, i) => (mainRuns[i] === undefined ? 1 : mainRuns[i].seconds / x.seconds))).toFixed(2),
      ),
      roundsFasterThanMain: runs.filter((x, i) => mainRuns[i] !== undefined && x.seconds < mainRuns[i].seconds).length,
      rounds: runs.length,
    }));
    process.stdout.write(`${JSON.stringify({ server: kind, summary, rows, cores: availableParallelism() })}\n`);
  } finally {
    for (const close of closers) await close();
    await server.close();
  }
}

await main();
