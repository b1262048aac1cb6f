/**
 * Planner options in two types: {@link PlannerOptions} as passed, and
 * {@link ResolvedPlannerOptions}, validated and filled with defaults. Nothing after
 * {@link resolvePlannerOptions} checks for undefined again.
 */
import type { FlightClientOptions, FlightServerOptions } from "@flight-cluster/protocol";
import { DEFAULT_MAX_MESSAGE_BYTES } from "@flight-cluster/protocol";
import type { Registry } from "@flight-cluster/registry";
import { DEFAULT_MAX_DESCRIPTOR_BYTES } from "./dataset-descriptor.js";
import { noopPlannerMetrics, type PlannerMetrics } from "./metrics.js";
import { PlannerError } from "./planner-error.js";
import { createJsonLogger, type PlannerLogger } from "./planner-logger.js";

/** Options of `startPlanner`, as passed. Every field but `registry` is optional. */
export interface PlannerOptions {
  /**
   * The registry: an instance (the caller's: the planner does not close it) or a URL
   * (`memory://`, `redis://host:6379`, `redis-sentinel://…`, `redis-cluster://…`) that the
   * planner opens with `createRegistry` and closes when it stops.
   */
  readonly registry: Registry | string;
  /** TCP port to listen on; 0 picks a free one (default 8815). */
  readonly port?: number;
  /** Interface to listen on (default `localhost`). */
  readonly host?: string;
  /** URI clients should use to reach this planner (default derived from host and bound port). */
  readonly advertise?: string;
  /** Copies of each shard, R (default 2). */
  readonly replicas?: number;
  /** Target shard size in Arrow body bytes (default 64 MiB). */
  readonly shardTargetBytes?: number;
  /** Lifetime of issued tickets in ms (default 10 minutes). */
  readonly ticketTtlMs?: number;
  /** Lifetime of a pending upload in ms, renewed while data flows (default 10 minutes). */
  readonly uploadTtlMs?: number;
  /** Pause between repair passes in ms (default 5000). */
  readonly repairIntervalMs?: number;
  /** Run the repair loop (default true). Tests turn it off and call `repair.runOnce()`. */
  readonly repair?: boolean;
  /** Largest FlightData message sent to workers, in bytes (default 2 MiB). */
  readonly maxMessageBytes?: number;
  /** Largest descriptor accepted, in bytes (default 64 KiB). */
  readonly maxDescriptorBytes?: number;
  /** Largest DoAction body accepted, in bytes (default 16 MiB). */
  readonly maxActionBodyBytes?: number;
  /** Deadline of each call to a worker's actions, in ms (default 120 000; copies can be large). */
  readonly workerActionTimeoutMs?: number;
  /** Extra Flight server options (auth, TLS, middleware, receive limits). */
  readonly server?: FlightServerOptions;
  /** Options of the planner's clients to workers (TLS roots for `grpc+tls://` workers, middleware). */
  readonly workerClient?: FlightClientOptions;
  /** Measurements (default: none). */
  readonly metrics?: PlannerMetrics;
  /** Structured logs (default: JSON lines on stderr, level info). */
  readonly logger?: PlannerLogger;
}

/** {@link PlannerOptions} validated and filled in. */
export interface ResolvedPlannerOptions {
  readonly registry: Registry | string;
  readonly port: number;
  readonly host: string;
  readonly advertise: string | undefined;
  readonly replicas: number;
  readonly shardTargetBytes: number;
  readonly ticketTtlMs: number;
  readonly uploadTtlMs: number;
  readonly repairIntervalMs: number;
  readonly repair: boolean;
  readonly maxMessageBytes: number;
  readonly maxDescriptorBytes: number;
  readonly maxActionBodyBytes: number;
  readonly workerActionTimeoutMs: number;
  readonly server: FlightServerOptions;
  readonly workerClient: FlightClientOptions;
  readonly metrics: PlannerMetrics;
  readonly logger: PlannerLogger;
}

const MINUTE = 60_000;
/** Upper bound of ticket and upload TTLs (the registry's limit: one week), in ms. */
const MAX_TTL_MS = 604_800_000;

function integer(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new PlannerError(
      "PLANNER_INVALID_OPTIONS",
      `planner option ${name} must be an integer in ${min}..${max}, got ${v}`,
    );
  }
  return v;
}

/**
 * Validate and fill planner options.
 * @throws PlannerError `PLANNER_INVALID_OPTIONS` (INVALID_ARGUMENT) naming the option and its valid range.
 */
export function resolvePlannerOptions(options: PlannerOptions): ResolvedPlannerOptions {
  const registry: unknown = options.registry;
  if ((typeof registry !== "object" || registry === null) && (typeof registry !== "string" || registry === "")) {
    throw new PlannerError("PLANNER_INVALID_OPTIONS", "planner option registry is required (a Registry or a URL)");
  }
  const host = options.host ?? "localhost";
  if (host === "") throw new PlannerError("PLANNER_INVALID_OPTIONS", "planner option host must not be empty");
  const maxMessageBytes = integer(
    "maxMessageBytes",
    options.maxMessageBytes,
    DEFAULT_MAX_MESSAGE_BYTES,
    64 * 1024,
    64 * 1024 * 1024,
  );
  return {
    registry: options.registry,
    port: integer("port", options.port, 8815, 0, 65_535),
    host,
    advertise: options.advertise,
    replicas: integer("replicas", options.replicas, 2, 1, 16),
    shardTargetBytes: integer("shardTargetBytes", options.shardTargetBytes, 64 * 1024 * 1024, 1024, 2 ** 40),
    ticketTtlMs: integer("ticketTtlMs", options.ticketTtlMs, 10 * MINUTE, 100, MAX_TTL_MS),
    uploadTtlMs: integer("uploadTtlMs", options.uploadTtlMs, 10 * MINUTE, 300, MAX_TTL_MS),
    repairIntervalMs: integer("repairIntervalMs", options.repairIntervalMs, 5000, 50, 86_400_000),
    repair: options.repair ?? true,
    maxMessageBytes,
    maxDescriptorBytes: integer(
      "maxDescriptorBytes",
      options.maxDescriptorBytes,
      DEFAULT_MAX_DESCRIPTOR_BYTES,
      256,
      16 * 1024 * 1024,
    ),
    maxActionBodyBytes: integer(
      "maxActionBodyBytes",
      options.maxActionBodyBytes,
      16 * 1024 * 1024,
      1024,
      256 * 1024 * 1024,
    ),
    workerActionTimeoutMs: integer("workerActionTimeoutMs", options.workerActionTimeoutMs, 120_000, 100, 86_400_000),
    server: options.server ?? {},
    workerClient: options.workerClient ?? {},
    metrics: options.metrics ?? noopPlannerMetrics,
    logger: options.logger ?? createJsonLogger(),
  };
}
