/**
 * A real cluster for tests: a Redis server (test/kit/redis-server.ts), a planner and N
 * workers, each a child process of the built CLI (`packages/cli/dist/main.js`, so run
 * `pnpm exec tsc --build` first), each awaited on its ready line. Helpers SIGKILL and
 * restart processes, FLUSHALL Redis, run CLI commands and pyarrow scripts, and poll
 * for conditions with bounded deadlines. `close()` kills everything and awaits every exit.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { CLI_MAIN } from "./cluster-commands.js";
import { type ChildHandle, type ProcessExit, startProcess } from "./process.js";
import { REPO_ROOT } from "./python.js";
import { type RedisServer, startRedisServer } from "./redis-server.js";

/** The command helpers (see cluster-commands.ts). */
export { CLI_MAIN, type CommandResult, lastJson, runCli, runPython, waitFor } from "./cluster-commands.js";

/** Matches a ready line and captures the gRPC URI in it. */
export const READY_LINE = /\bready\b.*?\b(grpc(?:\+tcp)?:\/\/[^\s,;)]+)/;

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Worker processes (default 3). */
  readonly workers?: number;
  /** Zones, assigned round-robin to workers (default a, b, c). */
  readonly zones?: readonly string[];
  /** Copies of every shard (default 2). */
  readonly replicas?: number;
  /** Planner's shard target size (default 4MiB). */
  readonly shardTargetBytes?: string;
  /** Planner's ticket TTL (default 60s). */
  readonly ticketTtl?: string;
  /** Workers' registration TTL (default 3s: lost workers leave the listings quickly). */
  readonly heartbeatTtl?: string;
  /** Extra planner flags. */
  readonly plannerArgs?: readonly string[];
  /** Extra worker flags. */
  readonly workerArgs?: readonly string[];
  /** Upper bound for every process to print its ready line (default 60 s). */
  readonly readyTimeoutMs?: number;
}

/** One process of the cluster. */
export interface ClusterNode {
  readonly role: "planner" | "worker";
  readonly name: string;
  /** The gRPC URI from its ready line (`grpc+tcp://127.0.0.1:40123`). */
  readonly uri: string;
  /** The worker's zone (workers only). */
  readonly zone: string | undefined;
  /** The worker's id (workers only). */
  readonly id: string | undefined;
  /** The worker's data directory (workers only). */
  readonly dataDir: string | undefined;
  readonly handle: ChildHandle;
  /** The flags it was started with. */
  readonly args: readonly string[];
}

/** A running cluster. */
export interface Cluster {
  readonly redis: RedisServer;
  readonly redisUrl: string;
  /** Temporary directory holding every worker's data directory. */
  readonly root: string;
  /** The first planner. */
  readonly planner: ClusterNode;
  readonly plannerUri: string;
  /** Workers, in start order; a restarted worker replaces its entry. */
  readonly workers: readonly ClusterNode[];
  /** Every live planner (the first one plus those from {@link Cluster.startPlanner}). */
  readonly planners: readonly ClusterNode[];
  /** The zone of the worker serving `location`, or undefined. */
  zoneOf(location: string): string | undefined;
  /** Start another planner on the same Redis (stateless: it must answer like the first). */
  startPlanner(extraArgs?: readonly string[]): Promise<ClusterNode>;
  /** Send `signal` (default SIGKILL) to worker `index` and await its exit. */
  killWorker(index: number, signal?: NodeJS.Signals): Promise<ProcessExit>;
  /** Start worker `index` again with its id, zone, data directory and port. */
  restartWorker(index: number): Promise<ClusterNode>;
  /** Stop the first planner (SIGTERM, drain) and start it again on the same port. */
  restartPlanner(): Promise<ClusterNode>;
  /** FLUSHALL on the cluster's Redis. */
  flushAll(): Promise<void>;
  /** Names of processes that exited though the test did not stop them (empty when all are alive). */
  deadProcesses(): string[];
  /** Every file under every worker data directory, relative to {@link Cluster.root}, sorted. */
  dataFiles(): Promise<string[]>;
  /** Stop every process (SIGTERM, then SIGKILL) and Redis, await their exits, delete the data. */
  close(): Promise<void>;
}

function uriOf(name: string, handle: ChildHandle): string {
  const match = READY_LINE.exec(handle.readyLine);
  if (match?.[1] === undefined) throw new Error(`${name}: no URI in its ready line: ${handle.readyLine}`);
  return match[1];
}

function portOf(uri: string): string {
  return new URL(uri).port;
}

async function startNode(
  role: "planner" | "worker",
  name: string,
  args: readonly string[],
  readyTimeoutMs: number,
  worker?: { zone: string; id: string; dataDir: string },
): Promise<ClusterNode> {
  const handle = await startProcess({
    name,
    command: process.execPath,
    args: [CLI_MAIN, role, ...args],
    cwd: REPO_ROOT,
    isReady: (line) => READY_LINE.test(line),
    readyTimeoutMs,
  });
  void handle.exited.then(() => exitedHandles.add(handle));
  return {
    role,
    name,
    uri: uriOf(name, handle),
    zone: worker?.zone,
    id: worker?.id,
    dataDir: worker?.dataDir,
    handle,
    args,
  };
}

/** Replace `--port X` in `args` by `--port port`. */
function withPort(args: readonly string[], port: string): string[] {
  const out = [...args];
  const at = out.indexOf("--port");
  if (at >= 0) out[at + 1] = port;
  else out.push("--port", port);
  return out;
}

/**
 * Start Redis, a planner and the workers; resolves once every process printed its
 * ready line and every worker is registered (the planner lists it).
 * @throws Error with the failing process's diagnostics; everything started is stopped first.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const workerCount = options.workers ?? 3;
  const zones = options.zones ?? ["a", "b", "c"];
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const root = await mkdtemp(join(tmpdir(), "flight-cluster-test-"));
  const redis = await startRedisServer({ private: true });
  const planners: ClusterNode[] = [];
  const workers: ClusterNode[] = [];
  const stopped = new Set<ChildHandle>();
  const common = ["--host", "127.0.0.1", "--redis", redis.url];
  const plannerArgs = [
    ...common,
    "--port",
    "0",
    "--replicas",
    String(options.replicas ?? 2),
    "--shard-target-bytes",
    options.shardTargetBytes ?? "4MiB",
    "--ticket-ttl",
    options.ticketTtl ?? "60s",
    ...(options.plannerArgs ?? []),
  ];
  const workerArgs = (index: number): { args: string[]; zone: string; id: string; dataDir: string } => {
    const zone = zones[index % zones.length] ?? "a";
    const id = `worker-${index}`;
    const dataDir = join(root, id);
    const args = [
      ...common,
      "--port",
      "0",
      "--zone",
      zone,
      "--id",
      id,
      "--data-dir",
      dataDir,
      "--heartbeat-ttl",
      options.heartbeatTtl ?? "3s",
      ...(options.workerArgs ?? []),
    ];
    return { args, zone, id, dataDir };
  };
  const stopAll = async (): Promise<void> => {
    const all = [...planners, ...workers].map((node) => node.handle);
    for (const handle of all) stopped.add(handle);
    await Promise.all(all.map((handle) => handle.stop({ graceMs: 5_000 })));
    await redis.stop();
  };
  try {
    planners.push(await startNode("planner", "planner-0", plannerArgs, readyTimeoutMs));
    const started = await Promise.all(
      Array.from({ length: workerCount }, (_, index) => {
        const spec = workerArgs(index);
        return startNode("worker", spec.id, spec.args, readyTimeoutMs, spec);
      }),
    );
    workers.push(...started);
  } catch (error) {
    await stopAll();
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  const cluster: Cluster = {
    redis,
    redisUrl: redis.url,
    root,
    get planner() {
      return planners[0] as ClusterNode;
    },
    get plannerUri() {
      return (planners[0] as ClusterNode).uri;
    },
    workers,
    planners,
    zoneOf(location) {
      return workers.find((worker) => worker.uri === location)?.zone;
    },
    async startPlanner(extraArgs = []) {
      const node = await startNode(
        "planner",
        `planner-${planners.length}`,
        [...plannerArgs, ...extraArgs],
        readyTimeoutMs,
      );
      planners.push(node);
      return node;
    },
    async killWorker(index, signal = "SIGKILL") {
      const node = workers[index];
      if (node === undefined) throw new Error(`no worker ${index}`);
      stopped.add(node.handle);
      process.kill(node.handle.pid, signal);
      return await node.handle.exited;
    },
    async restartWorker(index) {
      const node = workers[index];
      if (node === undefined) throw new Error(`no worker ${index}`);
      if (!stopped.has(node.handle)) {
        stopped.add(node.handle);
        await node.handle.stop({ graceMs: 10_000 });
      }
      const spec = workerArgs(index);
      const args = withPort(spec.args, portOf(node.uri));
      const restarted = await startNode("worker", spec.id, args, readyTimeoutMs, spec);
      workers[index] = restarted;
      return restarted;
    },
    async restartPlanner() {
      const node = planners[0] as ClusterNode;
      stopped.add(node.handle);
      const exit = await node.handle.stop({ graceMs: 10_000 });
      if (exit.code !== 0) throw new Error(`planner did not drain and exit 0: ${node.handle.diagnostics()}`);
      const restarted = await startNode("planner", node.name, withPort(node.args, portOf(node.uri)), readyTimeoutMs);
      planners[0] = restarted;
      return restarted;
    },
    async flushAll() {
      await redis.flushAll();
    },
    deadProcesses() {
      return [...planners, ...workers]
        .filter((node) => !stopped.has(node.handle) && (exitedHandles.has(node.handle) || !isAlive(node.handle.pid)))
        .map((node) => `${node.name}\n${node.handle.diagnostics()}`);
    },
    async dataFiles() {
      const files: string[] = [];
      for (const worker of workers) {
        if (worker.dataDir !== undefined) await listFiles(worker.dataDir, root, files);
      }
      return files.sort();
    },
    async close() {
      await stopAll();
      await rm(root, { recursive: true, force: true });
    },
  };
  return cluster;
}

/** Handles whose process has exited (filled as exits happen). */
const exitedHandles = new WeakSet<ChildHandle>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function listFiles(dir: string, root: string, out: string[]): Promise<void> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await listFiles(path, root, out);
    else out.push(relative(root, path));
  }
}
