/**
 * GetFlightInfo latency (sequential calls: p50, p99) and rate (calls in flight at once:
 * calls per second) against the planner, for datasets of 1, 100 and 1,000 shards, and the
 * same figures against the static reference server answering the same FlightInfo bytes.
 */
import { connect, FlightDescriptor } from "@flight-cluster/protocol";
import { type LatencyFigures, summarizeLatencies } from "./latency-stats.js";

/** Figures of one target (planner or reference) for one dataset. */
export interface InfoFigures {
  readonly latency: LatencyFigures;
  /** Calls per second with `concurrency` calls in flight. */
  readonly callsPerSecond: number;
  readonly concurrency: number;
  /** Endpoints per answer (one per shard). */
  readonly endpoints: number;
}

/** Options of one measurement. */
export interface InfoBenchOptions {
  /** Sequential calls timed for latency (after `warmup` untimed ones). */
  readonly calls: number;
  readonly warmup: number;
  /** Calls for the rate measurement, and how many are in flight at once. */
  readonly rateCalls: number;
  readonly concurrency: number;
}

/** Measure GetFlightInfo of `dataset` at `uri`. */
export async function measureFlightInfo(uri: string, dataset: string, options: InfoBenchOptions): Promise<InfoFigures> {
  const client = connect(uri);
  const descriptor = FlightDescriptor.forPath(dataset);
  try {
    let endpoints = 0;
    for (let i = 0; i < options.warmup; i++) endpoints = (await client.getFlightInfo(descriptor)).endpoints.length;
    const samples: number[] = [];
    for (let i = 0; i < options.calls; i++) {
      const started = performance.now();
      await client.getFlightInfo(descriptor);
      samples.push(performance.now() - started);
    }
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next++ < options.rateCalls) await client.getFlightInfo(descriptor);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      latency: summarizeLatencies(samples),
      callsPerSecond: options.rateCalls / seconds,
      concurrency: options.concurrency,
      endpoints,
    };
  } finally {
    client.close();
  }
}
