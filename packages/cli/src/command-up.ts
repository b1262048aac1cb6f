/**
 * `flight-cluster up`: a whole cluster in one process (a planner and N workers spread
 * round-robin over the zones) on the embedded registry, or on Redis with `--redis`;
 * loads the demo dataset through the planner, prints `ready` and the planner URI, serves
 * until SIGINT/SIGTERM, then drains and exits 0.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createJsonLogger, createPromPlannerMetrics, type RunningPlanner, startPlanner } from "@flight-cluster/planner";
import type { Registry } from "@flight-cluster/registry";
import { createWorkerJsonLogger, type RunningWorker, startWorker } from "@flight-cluster/worker";
import { usageError } from "./cli-error.js";
import type { CommandSpec } from "./command.js";
import { DEMO_DATASET_NAME, DEMO_DEFAULT_ROWS } from "./demo-dataset.js";
import { loadDemoDataset } from "./demo-loader.js";
import { PLANNER_OPTIONS, plannerFlags } from "./planner-flags.js";
import {
  maybeStartMetrics,
  metricsUrl,
  openRegistry,
  parseLogLevel,
  SERVER_OPTIONS,
  startFailure,
  untilAborted,
} from "./server-runtime.js";
import { WORKER_OPTIONS, workerFlags } from "./worker-flags.js";

/** Default shard target of `up`: small enough that the demo dataset spans several shards. */
const UP_SHARD_TARGET_BYTES = 8 * 1024 * 1024;

/** Command `up`: a local cluster until SIGTERM/SIGINT, then drain; throws CliError CLI_START_FAILED when a process cannot start. */
export const upCommand: CommandSpec = {
  name: "up",
  summary: "start a local cluster (planner + workers in zones) with a demo dataset, and serve until interrupted",
  description:
    "Without --redis every process shares an embedded in-memory registry (one process, nothing to install);\n" +
    "with --redis URL the planner and workers use that Redis, and other planners and workers may join.\n" +
    "Workers get ports after the planner's (--port + 1, + 2, ...; all free ports with --port 0) and data\n" +
    "directories DIR/worker-<n> (default .data/ here; a temporary directory with --ephemeral). Once the\n" +
    `demo dataset (${DEMO_DATASET_NAME}) is loaded it prints a line containing 'ready' and the planner URI.`,
  positionals: [],
  options: {
    workers: { type: "string", value: "N", description: "worker processes", defaultText: "3" },
    zones: {
      type: "string",
      value: "A,B,C",
      description: "zones, assigned to workers round-robin",
      defaultText: "a,b,c",
    },
    port: { type: "string", value: "PORT", description: "the planner's port (0: any free port)", defaultText: "8815" },
    redis: {
      type: "string",
      value: "URL",
      description: "use this Redis as the registry",
      defaultText: "embedded memory",
    },
    "data-dir": {
      type: "string",
      value: "DIR",
      description: "parent of the workers' data directories",
      defaultText: ".data",
    },
    ephemeral: { type: "boolean", description: "keep data in a temporary directory, deleted on exit" },
    "advertise-host": {
      type: "string",
      value: "HOST",
      description:
        "host name clients use to reach every process (needs a fixed --port), e.g. with --host 0.0.0.0 in a container",
      defaultText: "--host (the machine's name when --host is 0.0.0.0)",
    },
    "demo-rows": {
      type: "string",
      value: "N",
      description: "rows of the demo dataset (0: none)",
      defaultText: "1000000",
    },
    ...PLANNER_OPTIONS,
    ...WORKER_OPTIONS,
    ...SERVER_OPTIONS,
  },
  examples: [
    "up",
    "up --workers 6 --zones a,b,c --replicas 3",
    "up --redis redis://localhost:6379 --port 0 --ephemeral",
  ],
  async run(args, { io, signal, verbose }) {
    const workerCount = args.integer("workers", 3, 1, 64);
    const zones = args.list("zones") ?? ["a", "b", "c"];
    const port = args.port("port", 8815);
    const host = args.string("host") ?? "127.0.0.1";
    const redis = args.string("redis");
    const ephemeral = args.flag("ephemeral");
    if (ephemeral && args.string("data-dir") !== undefined)
      throw usageError("--ephemeral and --data-dir exclude each other", "up");
    const advertiseHost = args.string("advertise-host");
    if (advertiseHost !== undefined && port === 0) throw usageError("--advertise-host needs a fixed --port", "up");
    const advertise = (p: number): { advertise?: string } =>
      advertiseHost === undefined
        ? {}
        : { advertise: `grpc+tcp://${advertiseHost.includes(":") ? `[${advertiseHost}]` : advertiseHost}:${p}` };
    const demoRows = args.integer("demo-rows", DEMO_DEFAULT_ROWS, 0, 100_000_000);
    const planner = plannerFlags(args, { shardTargetBytes: UP_SHARD_TARGET_BYTES });
    if (planner.replicas > workerCount) {
      throw usageError(
        `--replicas ${planner.replicas} needs at least as many workers (--workers is ${workerCount})`,
        "up",
      );
    }
    if (port !== 0 && port + workerCount > 65_535)
      throw usageError(`--port ${port} leaves no room for ${workerCount} worker ports`, "up");
    const worker = workerFlags(args);
    const metricsPort = args.string("metrics-port") === undefined ? undefined : args.port("metrics-port", 0);
    const drainMs = args.durationMs("drain-timeout", 10_000, 0, 3_600_000);
    const level = parseLogLevel(args.string("log-level") ?? (verbose ? "debug" : "warn"), verbose);

    const dataRoot = ephemeral
      ? await mkdtemp(join(tmpdir(), "flight-cluster-up-"))
      : resolve(io.cwd, args.string("data-dir") ?? ".data");
    await mkdir(dataRoot, { recursive: true });
    const registry: Registry = await openRegistry(redis ?? "memory://");
    const workers: RunningWorker[] = [];
    let running: RunningPlanner | undefined;
    const stopAll = async (drain: boolean): Promise<void> => {
      if (running !== undefined) await (drain ? running.drain(drainMs) : running.close()).catch(() => undefined);
      await Promise.all(workers.map((w) => (drain ? w.drain(drainMs) : w.close()).catch(() => undefined)));
      await registry.close().catch(() => undefined);
      if (ephemeral) await rm(dataRoot, { recursive: true, force: true }).catch(() => undefined);
    };
    const metrics = createPromPlannerMetrics();
    let metricsServer: Awaited<ReturnType<typeof maybeStartMetrics>>;
    let demo: { rows: number; loaded: boolean } | undefined;
    try {
      running = await startPlanner({
        registry,
        host,
        port,
        ...advertise(port),
        ...planner,
        metrics,
        logger: createJsonLogger({ level, component: "planner" }),
      }).catch((error: unknown) => {
        throw startFailure("the planner", error);
      });
      for (let i = 0; i < workerCount; i++) {
        const zone = zones[i % zones.length] as string;
        const started = await startWorker({
          registry,
          dataDir: join(dataRoot, `worker-${i}`),
          zone,
          id: `worker-${i}`,
          host,
          port: port === 0 ? 0 : port + 1 + i,
          ...(port === 0 ? {} : advertise(port + 1 + i)),
          ...worker,
          logger: createWorkerJsonLogger({ level, base: { worker: `worker-${i}` } }),
        }).catch((error: unknown) => {
          throw startFailure(`worker ${i} (zone ${zone})`, error);
        });
        workers.push(started);
      }
      const plannerUri = running.uri;
      metricsServer = await maybeStartMetrics(
        metricsPort,
        args.string("metrics-host") ?? host,
        metrics.registry,
        () => {
          return running?.state === "serving";
        },
      );
      if (demoRows > 0)
        demo = await loadDemoDataset({ registry, plannerUri, rows: demoRows, signal, stderr: io.stderr });
    } catch (error) {
      await stopAll(false);
      throw error;
    }
    if (signal.aborted) {
      await stopAll(true);
      return;
    }
    const uri = running.uri;
    const extra = metricsUrl(metricsServer);
    const zoneText = [...new Set(workers.map((_, i) => zones[i % zones.length]))].join(", ");
    const demoText =
      demo === undefined
        ? ""
        : `; dataset ${DEMO_DATASET_NAME}: ${demo.rows.toLocaleString("en-US")} rows${demo.loaded ? "" : " (kept from the last run)"}`;
    io.stdout.write(
      `flight-cluster up ready ${uri} (planner + ${workers.length} workers in zones ${zoneText}; registry ${registry.backend}` +
        `${demoText}${extra === undefined ? "" : `; metrics ${extra}`})\n`,
    );
    io.stdout.write(
      [
        "",
        "Query it with pyarrow:",
        "  import pyarrow as pa, pyarrow.flight as flight",
        `  client = flight.connect("${uri}")`,
        `  info = client.get_flight_info(flight.FlightDescriptor.for_path("${DEMO_DATASET_NAME}"))`,
        "  table = pa.concat_tables(flight.connect(e.locations[0]).do_get(e.ticket).read_all() for e in info.endpoints)",
        "Or with this tool:",
        `  pnpm flight-cluster status ${uri}`,
        `  pnpm flight-cluster get ${uri} ${DEMO_DATASET_NAME} --limit 5`,
        `Data: ${ephemeral ? "temporary, deleted on exit" : dataRoot}. Stop with Ctrl-C (drains, then exits).`,
        "",
      ].join("\n"),
    );
    await untilAborted(signal);
    io.stderr.write("flight-cluster up: draining\n");
    await metricsServer?.close();
    await stopAll(true);
  },
};
