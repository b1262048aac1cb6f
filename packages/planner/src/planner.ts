/**
 * `startPlanner`: a planner process's core: the Flight server with the planner's
 * handlers, the pooled worker clients, and the repair loop.
 *
 * Lifecycle: `starting` -> `serving` -> `draining` (`drain(graceMs)`: new calls get
 * UNAVAILABLE, in-flight uploads and actions may finish) -> `stopped`. `close()` stops
 * at once, cancelling in-flight calls (uploads then abort and clean up).
 */
import { type FlightLogger, FlightServer } from "@flight-cluster/protocol";
import { createRegistry, type Registry } from "@flight-cluster/registry";
import { createCommitNotifier } from "./commit-notifier.js";
import type { PlannerLogger } from "./planner-logger.js";
import { type PlannerOptions, type ResolvedPlannerOptions, resolvePlannerOptions } from "./planner-options.js";
import { createPlannerService } from "./planner-service.js";
import { createRepairLoop, type RepairReport } from "./repair-loop.js";
import { createWorkerClientPool } from "./worker-client-pool.js";

/** Lifecycle state of a planner. */
export type PlannerState = "starting" | "serving" | "draining" | "stopped";

/** A running planner. */
export interface RunningPlanner {
  /** The URI clients use (`grpc+tcp://host:port`, or the `advertise` option). */
  readonly uri: string;
  /** The bound port. */
  readonly port: number;
  readonly state: PlannerState;
  /** The registry the planner uses. */
  readonly registry: Registry;
  /** The options in effect. */
  readonly options: ResolvedPlannerOptions;
  /** The repair loop; `runOnce()` runs a pass now (tests, operators). */
  readonly repair: { runOnce(signal?: AbortSignal): Promise<RepairReport> };
  /**
   * Graceful stop: stop repairing, refuse new calls, let in-flight calls finish for up
   * to `graceMs` (default 10 000) ms, then cancel the rest and release everything.
   */
  drain(graceMs?: number): Promise<void>;
  /** Immediate stop: cancel in-flight calls and release everything. Idempotent. */
  close(): Promise<void>;
}

function flightLogger(logger: PlannerLogger): FlightLogger {
  return {
    error: (message, fields) => logger.log("error", message, fields),
    warn: (message, fields) => logger.log("warn", message, fields),
    info: (message, fields) => logger.log("info", message, fields),
  };
}

/**
 * Start a planner: open the registry when given a URL, listen, start the repair loop.
 * A registry passed as an instance stays the caller's to close.
 * @throws PlannerError `PLANNER_INVALID_OPTIONS` for bad options; FlightError UNAVAILABLE
 *   when the port cannot be bound; RegistryError when a registry URL cannot be opened.
 */
export async function startPlanner(options: PlannerOptions): Promise<RunningPlanner> {
  const resolved = resolvePlannerOptions(options);
  const { logger, metrics } = resolved;
  const ownsRegistry = typeof resolved.registry === "string";
  const registry = typeof resolved.registry === "string" ? await createRegistry(resolved.registry) : resolved.registry;
  const transport = createWorkerClientPool({
    maxMessageBytes: resolved.maxMessageBytes,
    actionTimeoutMs: resolved.workerActionTimeoutMs,
    client: resolved.workerClient,
  });
  // One notifier: uploads queue the notices they could not deliver, the repair loop re-sends them.
  const notifier = createCommitNotifier({ registry, transport, metrics, logger });
  const handlers = createPlannerService({ ...resolved, registry, transport, notifier });
  const server = new FlightServer(handlers, { logger: flightLogger(logger), ...resolved.server });
  const repair = createRepairLoop({
    registry,
    transport,
    replicas: resolved.replicas,
    intervalMs: resolved.repairIntervalMs,
    ticketTtlMs: resolved.ticketTtlMs,
    notifier,
    metrics,
    logger,
  });
  let state: PlannerState = "starting";
  let stopping: Promise<void> | undefined;

  const release = async () => {
    await transport.close();
    if (ownsRegistry) await registry.close();
    state = "stopped";
    logger.log("info", "planner_stopped", {});
  };

  let listening: { port: number; uri: string };
  try {
    const bound = await server.listen({ host: resolved.host, port: resolved.port });
    listening = { port: bound.port, uri: resolved.advertise ?? bound.location.uri };
  } catch (error) {
    await server.close().catch(() => undefined);
    await release();
    throw error;
  }
  state = "serving";
  if (resolved.repair) repair.start();
  logger.log("info", "planner_serving", {
    uri: listening.uri,
    replicas: resolved.replicas,
    shardTargetBytes: resolved.shardTargetBytes,
    registry: registry.backend,
  });

  return {
    uri: listening.uri,
    port: listening.port,
    get state() {
      return state;
    },
    registry,
    options: resolved,
    repair: { runOnce: (signal) => repair.runOnce(signal) },
    drain(graceMs = 10_000) {
      stopping ??= (async () => {
        state = "draining";
        logger.log("info", "planner_draining", { graceMs });
        await repair.stop();
        await server.drain(graceMs);
        await release();
      })();
      return stopping;
    },
    close() {
      stopping ??= (async () => {
        state = "draining";
        const stopped = repair.stop();
        await server.close();
        await stopped;
        await release();
      })();
      return stopping;
    },
  };
}
