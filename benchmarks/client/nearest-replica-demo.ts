/**
 * The nearest-replica demo (deploy/demo/nearest-replica.sh): a planner and workers in
 * three zones, each worker behind a delay proxy whose delay depends on its zone (default
 * 2, 15 and 40 ms one way), replicas 2 in distinct zones. It loads a dataset with our
 * client's parallel put, fetches it with a fresh client, and prints for every endpoint the
 * locations offered (zone, injected delay, the client's round-trip estimate) and the one
 * that served it. Exit status: 0 when every endpoint was served by its lowest-latency
 * replica, 1 when one was not, 2 when the demo could not run.
 *
 *   node benchmarks/dist/client/nearest-replica-demo.js [--delays 2,15,40] [--workers-per-zone 2] [--shards 12] [--concurrency 4]
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createClusterClient } from "@flight-cluster/client";
import { Table } from "apache-arrow";
import { shardBatches } from "./bench-data.js";
import { killAllChildren } from "./child-process.js";
import { type ClusterWorker, type LatencyCluster, startLatencyCluster } from "./latency-cluster.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const ZONES = ["a", "b", "c"] as const;
const MiB = 1024 * 1024;
const say = (line: string): void => void process.stdout.write(`${line}\n`);

const { values } = parseArgs({
  options: {
    delays: { type: "string", default: "2,15,40" },
    "workers-per-zone": { type: "string", default: "2" },
    shards: { type: "string", default: "12" },
    concurrency: { type: "string", default: "4" },
  },
});

function numbers(name: string, text: string, count: number | undefined, min: number, max: number): number[] {
  const list = text.split(",").map((s) => Number(s.trim()));
  if (
    (count !== undefined && list.length !== count) ||
    list.some((n) => !Number.isSafeInteger(n) || n < min || n > max)
  ) {
    throw new Error(`--${name} must be ${count ?? "one or more"} integer(s) in ${min}..${max}, got ${text}`);
  }
  return list;
}

const pad = (text: string, width: number): string => text.padEnd(width);
const fmt = (ms: number | undefined): string => (ms === undefined ? "   n/a" : `${ms.toFixed(1).padStart(6)} ms`);

async function main(): Promise<number> {
  const delays = numbers("delays", values.delays, 3, 0, 5_000);
  const perZone = numbers("workers-per-zone", values["workers-per-zone"], 1, 1, 8)[0] as number;
  const shards = numbers("shards", values.shards, 1, 1, 200)[0] as number;
  const concurrency = numbers("concurrency", values.concurrency, 1, 1, 64)[0] as number;
  const workDir = join(REPO_ROOT, "benchmarks/.work/demo", String(process.pid));
  const specs = ZONES.flatMap((zone, z) =>
    Array.from({ length: perZone }, () => ({ zone, delayMs: delays[z] as number })),
  );
  say(`Starting Redis, a planner and ${specs.length} workers (zones ${ZONES.join(", ")}; replicas 2).`);
  say(
    `Every worker is reached only through its own delay proxy: ${ZONES.map((z, i) => `zone ${z} +${delays[i]} ms`).join(", ")} each way.`,
  );
  let cluster: LatencyCluster | undefined;
  try {
    cluster = await startLatencyCluster({
      repoRoot: REPO_ROOT,
      workDir,
      workers: specs,
      replicas: 2,
      shardTargetBytes: MiB,
    });
    const byLocation = new Map<string, ClusterWorker>(cluster.workers.map((w) => [w.location, w]));
    const label = (uri: string): string => {
      const w = byLocation.get(uri);
      return w === undefined ? uri : `${w.id} (zone ${w.zone}, +${w.delayMs} ms)`;
    };

    const loader = createClusterClient(cluster.plannerUri);
    const table = new Table(Array.from({ length: shards }, (_, i) => shardBatches(i, 1)).flat());
    const stored = await loader.put("demo/nearest", table).finally(() => loader.close());
    say(`Loaded demo/nearest with our client's parallel put: ${stored.shards} shards, ${stored.rows} rows.`);

    const client = createClusterClient(cluster.plannerUri);
    const probes = new Map<string, number | undefined>();
    const served = new Map<number, string>();
    // What the client knew when it chose each endpoint's location (its first attempt).
    const atChoice = new Map<number, Map<string, { rttMs: number | undefined; inflight: number }>>();
    const fetch = client.fetch("demo/nearest", {
      concurrency,
      onEvent: (event) => {
        if (event.kind === "probe") probes.set(event.location, event.rttMs);
        if (event.kind === "attempt" && !atChoice.has(event.endpoint)) {
          const snapshot = new Map<string, { rttMs: number | undefined; inflight: number }>();
          for (const [uri, state] of client.locations()) {
            // The attempt's own call is already counted in flight; show what the others saw.
            const inflight = uri === event.location ? state.inflight - 1 : state.inflight;
            snapshot.set(uri, { rttMs: state.rttMs, inflight: Math.max(0, inflight) });
          }
          atChoice.set(event.endpoint, snapshot);
        }
        if (event.kind === "endpoint-done") served.set(event.endpoint, event.location);
      },
    });
    let rows = 0;
    for await (const batch of fetch) rows += batch.numRows;
    const info = await fetch.info();
    client.close();
    if (rows !== info.totalRecords) throw new Error(`fetched ${rows} rows, the FlightInfo says ${info.totalRecords}`);

    say("");
    say("Probe round trips (one cheap call per location, in parallel, before the first DoGet):");
    for (const w of cluster.workers) say(`  ${pad(label(w.location), 28)} ${fmt(probes.get(w.location))}`);
    say("");
    say("Per endpoint: the locations offered (planner order), each with the client's round-trip estimate");
    say("and its calls in flight at the moment the client chose, and the one that served it.");
    let misses = 0;
    for (const [index, endpoint] of info.endpoints.entries()) {
      const offered = endpoint.locations.map((l) => l.uri);
      const servedBy = served.get(index) ?? "?";
      const lowest = Math.min(...offered.map((uri) => byLocation.get(uri)?.delayMs ?? Number.POSITIVE_INFINITY));
      const ok = byLocation.get(servedBy)?.delayMs === lowest;
      if (!ok) misses++;
      const seen = atChoice.get(index);
      const list = offered
        .map((uri) => `${label(uri)} ${fmt(seen?.get(uri)?.rttMs)}, ${seen?.get(uri)?.inflight ?? 0} in flight`)
        .join(" | ");
      say(`  endpoint ${String(index).padStart(2)}: ${list}`);
      say(
        `               served by ${label(servedBy)}${ok ? "  [lowest latency]" : "  [NOT the lowest-latency replica]"}`,
      );
    }
    say("");
    if (misses === 0) {
      say(`All ${info.endpoints.length} endpoints were served by their lowest-latency replica (${rows} rows).`);
      return 0;
    }
    say(`${misses} of ${info.endpoints.length} endpoints were NOT served by their lowest-latency replica.`);
    return 1;
  } finally {
    say("Stopping the cluster.");
    await cluster?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    killAllChildren();
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
