/**
 * Prometheus wiring of {@link PlannerMetrics} (prom-client). Used by the entry points (the
 * CLI serves the registry over HTTP); domain code only sees the PlannerMetrics interface.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import type { PlannerMetrics } from "./metrics.js";

/** PlannerMetrics recorded into a prom-client registry. */
export interface PromPlannerMetrics extends PlannerMetrics {
  /** The prom-client registry holding the planner's metrics. */
  readonly registry: Registry;
}

/** Options of {@link createPromPlannerMetrics}. */
export interface PromPlannerMetricsOptions {
  /** Registry to register into (default: a new one). */
  readonly registry?: Registry;
  /** Also collect Node.js process metrics (default true). */
  readonly processMetrics?: boolean;
}

/**
 * Create planner metrics: `flight_planner_rpc_total{method,code}`,
 * `flight_planner_rpc_duration_seconds{method}`, `flight_planner_tickets_issued_total`,
 * `flight_planner_uploads_total{outcome}`, `flight_planner_upload_rows_total`,
 * `flight_planner_upload_bytes_total`, `flight_planner_repair_actions_total{action}`,
 * `flight_planner_commit_notices_total{outcome}`.
 */
export function createPromPlannerMetrics(options: PromPlannerMetricsOptions = {}): PromPlannerMetrics {
  const registry = options.registry ?? new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const rpcs = new Counter({
    name: "flight_planner_rpc_total",
    help: "Planner RPCs and actions finished, by method and gRPC status",
    labelNames: ["method", "code"] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: "flight_planner_rpc_duration_seconds",
    help: "Planner RPC and action durations in seconds",
    labelNames: ["method"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 600],
    registers: [registry],
  });
  const tickets = new Counter({
    name: "flight_planner_tickets_issued_total",
    help: "Tickets registered by GetFlightInfo and PollFlightInfo",
    registers: [registry],
  });
  const uploads = new Counter({
    name: "flight_planner_uploads_total",
    help: "Uploads finished, by outcome",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const uploadRows = new Counter({
    name: "flight_planner_upload_rows_total",
    help: "Rows committed by uploads",
    registers: [registry],
  });
  const uploadBytes = new Counter({
    name: "flight_planner_upload_bytes_total",
    help: "Shard bytes committed by uploads (one copy)",
    registers: [registry],
  });
  const repairs = new Counter({
    name: "flight_planner_repair_actions_total",
    help: "Repair loop actions, by kind",
    labelNames: ["action"] as const,
    registers: [registry],
  });
  const notices = new Counter({
    name: "flight_planner_commit_notices_total",
    help: "Commit notices to replica workers (shard.commit), by outcome",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  return {
    registry,
    rpcFinished(method, code, seconds) {
      rpcs.inc({ method, code });
      durations.observe({ method }, seconds);
    },
    ticketsIssued(count) {
      tickets.inc(count);
    },
    uploadFinished(outcome, rows, bytes) {
      uploads.inc({ outcome });
      uploadRows.inc(rows);
      uploadBytes.inc(bytes);
    },
    repairAction(action) {
      repairs.inc({ action });
    },
    commitNotice(outcome) {
      notices.inc({ outcome });
    },
  };
}
