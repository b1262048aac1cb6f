/**
 * Prometheus wiring of {@link WorkerMetrics} (prom-client). Used by the entry points
 * (CLI); domain code only sees the WorkerMetrics interface.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { WorkerMetrics } from "./metrics.js";

/** WorkerMetrics recorded into a prom-client registry. */
export interface PromWorkerMetrics extends WorkerMetrics {
  /** The prom-client registry holding the worker's metrics. */
  readonly registry: Registry;
}

/** Options of {@link createPromWorkerMetrics}. */
export interface PromWorkerMetricsOptions {
  /** Registry to register into (default: a new one). */
  readonly registry?: Registry;
  /** Also collect Node.js process metrics (default true). */
  readonly processMetrics?: boolean;
}

const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

/**
 * Create worker metrics: `flight_worker_bytes_served_total`,
 * `flight_worker_streams_active{kind}`, `flight_worker_streams_total{kind,outcome}`,
 * `flight_worker_stream_duration_seconds{kind}` (DoGet, DoPut and copy durations),
 * `flight_worker_stream_bytes_total{kind}`, `flight_worker_shards_held`,
 * `flight_worker_shard_bytes_held`, `flight_worker_heartbeats_total{outcome}`
 * (heartbeat failures are `outcome="failed"`), `flight_worker_orphans_deleted_total`,
 * `flight_worker_cpu_task_duration_seconds{kind,outcome}`.
 */
export function createPromWorkerMetrics(options: PromWorkerMetricsOptions = {}): PromWorkerMetrics {
  const registry = options.registry ?? new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const served = new Counter({
    name: "flight_worker_bytes_served_total",
    help: "FlightData bytes handed to the transport by DoGet",
    registers,
  });
  const active = new Gauge({
    name: "flight_worker_streams_active",
    help: "Streams being served, by kind (doget, doput, copy)",
    labelNames: ["kind"] as const,
    registers,
  });
  const streams = new Counter({
    name: "flight_worker_streams_total",
    help: "Streams finished, by kind and outcome",
    labelNames: ["kind", "outcome"] as const,
    registers,
  });
  const durations = new Histogram({
    name: "flight_worker_stream_duration_seconds",
    help: "Durations of DoGet, DoPut and copy streams in seconds",
    labelNames: ["kind"] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const streamBytes = new Counter({
    name: "flight_worker_stream_bytes_total",
    help: "Payload bytes moved by finished streams, by kind",
    labelNames: ["kind"] as const,
    registers,
  });
  const shards = new Gauge({ name: "flight_worker_shards_held", help: "Shards held by this worker", registers });
  const shardBytes = new Gauge({
    name: "flight_worker_shard_bytes_held",
    help: "Bytes of shard files held by this worker",
    registers,
  });
  const heartbeats = new Counter({
    name: "flight_worker_heartbeats_total",
    help: "Heartbeat attempts by outcome (ok, announced, reregistered, failed, fenced)",
    labelNames: ["outcome"] as const,
    registers,
  });
  const orphans = new Counter({
    name: "flight_worker_orphans_deleted_total",
    help: "Orphan shard files deleted by the collector",
    registers,
  });
  const cpu = new Histogram({
    name: "flight_worker_cpu_task_duration_seconds",
    help: "CPU pool task durations in seconds, by kind and outcome",
    labelNames: ["kind", "outcome"] as const,
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers,
  });
  return {
    registry,
    streamStarted(kind) {
      active.inc({ kind });
    },
    streamFinished(kind, outcome, seconds, bytes) {
      active.dec({ kind });
      streams.inc({ kind, outcome });
      durations.observe({ kind }, seconds);
      streamBytes.inc({ kind }, bytes);
    },
    bytesServed(bytes) {
      served.inc(bytes);
    },
    shardsHeld(count, bytes) {
      shards.set(count);
      shardBytes.set(bytes);
    },
    heartbeat(outcome) {
      heartbeats.inc({ outcome });
    },
    orphansDeleted(count) {
      orphans.inc(count);
    },
    cpuTask(kind, outcome, seconds) {
      cpu.observe({ kind, outcome }, seconds);
    },
  };
}
