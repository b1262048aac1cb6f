/** `flight-cluster worker`: run one worker process (production shape). */
import { createPromWorkerMetrics, createWorkerJsonLogger, startWorker } from "@flight-cluster/worker";
import { usageError } from "./cli-error.js";
import type { CommandSpec } from "./command.js";
import { openRegistry, parseLogLevel, SERVER_OPTIONS, serveUntilAborted } from "./server-runtime.js";
import { WORKER_OPTIONS, workerFlags } from "./worker-flags.js";

/** Command `worker`: run one worker until SIGTERM/SIGINT, then deregister and drain; throws CliError CLI_START_FAILED when it cannot start. */
export const workerCommand: CommandSpec = {
  name: "worker",
  summary: "run a worker: stores shards on local disk, serves DoGet, takes DoPut, heartbeats into the registry",
  description:
    "Prints a line containing 'ready' and the worker's URI once it is registered; logs JSON lines to stderr;\n" +
    "on SIGTERM or SIGINT it deregisters, drains (in-flight streams get --drain-timeout) and exits 0.\n" +
    "The data directory keeps the shards and a manifest; restarting on the same directory brings them back.",
  positionals: [],
  options: {
    port: { type: "string", value: "PORT", description: "Flight port (0: any free port)", defaultText: "8816" },
    redis: {
      type: "string",
      value: "URL",
      description: "the registry: redis://, rediss://, redis-sentinel://, redis-cluster:// (required)",
    },
    zone: {
      type: "string",
      value: "ZONE",
      description: "this worker's failure domain, e.g. an availability zone (required)",
    },
    "data-dir": { type: "string", value: "DIR", description: "where shards and the manifest live (required)" },
    advertise: {
      type: "string",
      value: "URI",
      description: "URI clients and other workers use to reach this worker",
      defaultText: "grpc+tcp://HOST:PORT",
    },
    id: {
      type: "string",
      value: "ID",
      description: "worker id, 1-128 of [A-Za-z0-9._:@-]",
      defaultText: "the one stored in the data directory, else a new one",
    },
    ...WORKER_OPTIONS,
    ...SERVER_OPTIONS,
  },
  examples: [
    "worker --port 8816 --zone a --data-dir /var/lib/flight-cluster --redis redis://localhost:6379",
    "worker --host 0.0.0.0 --advertise grpc+tcp://worker-a.example:8816 --zone a --data-dir /data --redis redis://redis:6379",
  ],
  async run(args, { io, signal, verbose }) {
    const redis = args.string("redis");
    const zone = args.string("zone");
    const dataDir = args.string("data-dir");
    const missing = [
      redis === undefined ? "--redis URL" : "",
      zone === undefined ? "--zone ZONE" : "",
      dataDir === undefined ? "--data-dir DIR" : "",
    ]
      .filter(Boolean)
      .join(", ");
    if (redis === undefined || zone === undefined || dataDir === undefined)
      throw usageError(`worker needs ${missing}`, "worker");
    const host = args.string("host") ?? "127.0.0.1";
    const port = args.port("port", 8816);
    const metricsPort = args.string("metrics-port") === undefined ? undefined : args.port("metrics-port", 0);
    const flags = workerFlags(args);
    const advertise = args.uri("advertise");
    const id = args.string("id");
    const drainMs = args.durationMs("drain-timeout", 10_000, 0, 3_600_000);
    const logger = createWorkerJsonLogger({ level: parseLogLevel(args.string("log-level"), verbose) });
    const metrics = createPromWorkerMetrics();
    const registry = await openRegistry(redis);
    await serveUntilAborted({
      what: "the worker",
      registry,
      start: () =>
        startWorker({
          registry,
          dataDir,
          zone,
          host,
          port,
          ...(advertise === undefined ? {} : { advertise }),
          ...(id === undefined ? {} : { id }),
          ...flags,
          metrics,
          logger,
        }),
      metrics: { port: metricsPort, host: args.string("metrics-host") ?? host, source: metrics.registry },
      readyLine: (worker, url) =>
        `flight-cluster worker ready ${worker.uri} (id ${worker.id}, zone ${zone}${url === undefined ? "" : `, metrics ${url}`})`,
      drainMs,
      io,
      signal,
    });
  },
};
