/**
 * A cluster whose workers are reached through delay proxies: a private redis-server,
 * one planner and N workers as processes of the built CLI (`packages/cli/dist/main.js`),
 * and in front of each worker its own delay proxy process (test/kit/delay-proxy.ts) that
 * adds a fixed one-way delay to every chunk in both directions. Each worker advertises its
 * proxy's address, so every location in a FlightInfo is a proxy; the planner and the
 * workers' heartbeats reach Redis directly. With `directWithoutDelay`, a worker whose
 * delay is 0 gets no proxy and advertises its own address (no added latency means no
 * extra hop, and no proxy process taking CPU from the machine's two cores).
 */
import { join } from "node:path";
import { type BenchChild, freePort, startChild } from "./child-process.js";

/** One worker to start. */
export interface WorkerSpec {
  readonly zone: string;
  /** Delay the worker's proxy adds in each direction, ms. */
  readonly delayMs: number;
}

/** Options of {@link startLatencyCluster}. */
export interface LatencyClusterOptions {
  /** The repository root (for the built CLI and the delay proxy). */
  readonly repoRoot: string;
  /** Parent of the workers' data directories (created as needed). */
  readonly workDir: string;
  readonly workers: readonly WorkerSpec[];
  /** Copies of every shard the planner asks for. */
  readonly replicas: number;
  /** The planner's shard target, bytes of Arrow body. */
  readonly shardTargetBytes: number;
  /** Start no proxy for a worker whose delay is 0 (it advertises its own address). Default false. */
  readonly directWithoutDelay?: boolean;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** A started worker. */
export interface ClusterWorker {
  /** Worker id (`w0`, `w1`, ...). */
  readonly id: string;
  readonly zone: string;
  readonly delayMs: number;
  /** The advertised location: the proxy, `grpc+tcp://127.0.0.1:<proxy port>` (the worker itself when it has no proxy). */
  readonly location: string;
  /** The worker's own address, bypassing the proxy (for loading data). */
  readonly directUri: string;
  readonly workerPid: number;
  /** The delay proxy's process, undefined when the worker is reached directly. */
  readonly proxyPid: number | undefined;
}

/** A running cluster. */
export interface LatencyCluster {
  readonly plannerUri: string;
  readonly plannerPid: number;
  readonly redisPid: number;
  readonly workers: readonly ClusterWorker[];
  /** Stops every process (workers drain, then the planner, the proxies and Redis). Idempotent. */
  stop(): Promise<void>;
}

const READY_URI = /\bready\b.*?\b(grpc(?:\+tcp)?:\/\/[^\s,;)]+)/;

/**
 * Starts the cluster and resolves once every process printed its ready line (workers are
 * then registered).
 * @throws Error naming the process that failed to start (everything started is stopped first).
 */
export async function startLatencyCluster(options: LatencyClusterOptions): Promise<LatencyCluster> {
  const { repoRoot, log = () => {} } = options;
  const cli = join(repoRoot, "packages/cli/dist/main.js");
  const started: Record<"redis" | "planner" | "proxy" | "worker", BenchChild[]> = {
    redis: [],
    planner: [],
    proxy: [],
    worker: [],
  };
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // Workers first (they deregister and drain), then the planner, the proxies and Redis.
      for (const role of ["worker", "planner", "proxy", "redis"] as const) {
        await Promise.all(started[role].map((child) => child.stop(10_000).catch(() => undefined)));
      }
    })();
    return stopped;
  };
  try {
    const redisPort = await freePort();
    const redis = await startChild({
      name: "redis-server",
      command: "redis-server",
      args: ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      isReady: (line) => line.includes("Ready to accept connections"),
    });
    started.redis.push(redis);
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    const planner = await startChild({
      name: "planner",
      command: process.execPath,
      args: [
        cli,
        "planner",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--redis",
        redisUrl,
        "--replicas",
        String(options.replicas),
        "--shard-target-bytes",
        String(options.shardTargetBytes),
        "--log-level",
        "warn",
      ],
      isReady: (line) => READY_URI.test(line),
    });
    started.planner.push(planner);
    const plannerUri = READY_URI.exec(planner.readyLine)?.[1] ?? "";
    const startProxy = async (spec: WorkerSpec, i: number, workerPort: number): Promise<BenchChild> => {
      const proxy = await startChild({
        name: `delay proxy ${i} (${spec.delayMs} ms)`,
        command: process.execPath,
        args: [
          "--import",
          join(repoRoot, "test/interop/ts-register.mjs"),
          join(repoRoot, "test/kit/delay-proxy.ts"),
          "--delay-ms",
          String(spec.delayMs),
          "--target",
          `127.0.0.1:${workerPort}`,
        ],
        isReady: (line) => line.includes('"listening"'),
      });
      started.proxy.push(proxy);
      return proxy;
    };
    const startOne = async (spec: WorkerSpec, i: number): Promise<ClusterWorker> => {
      const workerPort = await freePort();
      const direct = options.directWithoutDelay === true && spec.delayMs === 0;
      const proxy = direct ? undefined : await startProxy(spec, i, workerPort);
      const proxyPort =
        proxy === undefined ? workerPort : Number((JSON.parse(proxy.readyLine) as { port?: unknown }).port);
      const location = `grpc+tcp://127.0.0.1:${proxyPort}`;
      const id = `w${i}`;
      const worker = await startChild({
        name: `worker ${id}`,
        command: process.execPath,
        args: [
          cli,
          "worker",
          "--host",
          "127.0.0.1",
          "--port",
          String(workerPort),
          "--advertise",
          location,
          "--redis",
          redisUrl,
          "--zone",
          spec.zone,
          "--id",
          id,
          "--data-dir",
          join(options.workDir, id),
          "--cpu-threads",
          "0",
          "--log-level",
          "warn",
        ],
        isReady: (line) => READY_URI.test(line),
      });
      started.worker.push(worker);
      return {
        id,
        zone: spec.zone,
        delayMs: spec.delayMs,
        location,
        directUri: `grpc+tcp://127.0.0.1:${workerPort}`,
        workerPid: worker.pid,
        proxyPid: proxy?.pid,
      };
    };
    const workers = await Promise.all(options.workers.map(startOne));
    const proxied = workers.filter((worker) => worker.proxyPid !== undefined).length;
    log(`cluster up: planner ${plannerUri}, ${workers.length} workers (${proxied} behind delay proxies)`);
    return { plannerUri, plannerPid: planner.pid, redisPid: redis.pid, workers, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
