/** `flight-cluster planner`: run one planner process (production shape). */
import { createJsonLogger, createPromPlannerMetrics, startPlanner } from "@flight-cluster/planner";
import { usageError } from "./cli-error.js";
import type { CommandSpec } from "./command.js";
import { PLANNER_OPTIONS, plannerFlags } from "./planner-flags.js";
import { openRegistry, parseLogLevel, SERVER_OPTIONS, serveUntilAborted } from "./server-runtime.js";

/** Command `planner`: run one planner until SIGTERM/SIGINT, then drain; throws CliError CLI_START_FAILED when it cannot start. */
export const plannerCommand: CommandSpec = {
  name: "planner",
  summary: "run a planner: GetFlightInfo, uploads, catalog actions, repair (stateless; run several behind one address)",
  description:
    "Prints a line containing 'ready' and the planner's URI once it serves; logs JSON lines to stderr;\n" +
    "on SIGTERM or SIGINT it drains (new calls are refused, in-flight calls get --drain-timeout) and exits 0.",
  positionals: [],
  options: {
    port: { type: "string", value: "PORT", description: "Flight port (0: any free port)", defaultText: "8815" },
    redis: {
      type: "string",
      value: "URL",
      description: "the registry: redis://, rediss://, redis-sentinel://, redis-cluster:// (required)",
    },
    advertise: {
      type: "string",
      value: "URI",
      description: "URI clients use to reach this planner",
      defaultText: "grpc+tcp://HOST:PORT",
    },
    ...PLANNER_OPTIONS,
    ...SERVER_OPTIONS,
  },
  examples: [
    "planner --port 8815 --redis redis://localhost:6379",
    "planner --host 0.0.0.0 --redis redis://redis:6379 --metrics-port 9464 --replicas 3",
  ],
  async run(args, { io, signal, verbose }) {
    const redis = args.string("redis");
    if (redis === undefined)
      throw usageError("planner needs --redis URL (use 'flight-cluster up' for a local cluster)", "planner");
    const host = args.string("host") ?? "127.0.0.1";
    const port = args.port("port", 8815);
    const metricsPort = args.string("metrics-port") === undefined ? undefined : args.port("metrics-port", 0);
    const options = {
      host,
      port,
      advertise: args.uri("advertise"),
      ...plannerFlags(args, { shardTargetBytes: 64 * 1024 * 1024 }),
    };
    const drainMs = args.durationMs("drain-timeout", 10_000, 0, 3_600_000);
    const logger = createJsonLogger({ level: parseLogLevel(args.string("log-level"), verbose), component: "planner" });
    const metrics = createPromPlannerMetrics();
    const registry = await openRegistry(redis);
    await serveUntilAborted({
      what: "the planner",
      registry,
      start: () => startPlanner({ ...options, registry, metrics, logger }),
      metrics: { port: metricsPort, host: args.string("metrics-host") ?? host, source: metrics.registry },
      readyLine: (planner, url) =>
        `flight-cluster planner ready ${planner.uri} (registry ${registry.backend}${url === undefined ? "" : `, metrics ${url}`})`,
      drainMs,
      io,
      signal,
    });
  },
};
