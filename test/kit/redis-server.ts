/**
 * A real Redis for tests, from the first source that works:
 * 1. `REDIS_URL` from the environment (used as is and assumed disposable: `flushAll` empties it);
 * 2. a private `redis-server` process on a free loopback port, in a temp dir, with
 *    persistence off (`--save "" --appendonly no`);
 * 3. a `redis:7` container through testcontainers, when that package is installed and
 *    Docker answers (it is not a dependency here, so it is imported lazily);
 * otherwise an Error saying how to get Redis.
 *
 * Readiness is the server's own "Ready to accept connections" line followed by a
 * successful PING; nothing waits on a timer.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { type ChildHandle, startProcess } from "./process.js";

const execFileAsync = promisify(execFile);

/** A Redis server a test can use. */
export interface RedisServer {
  /** `redis://host:port` (or the REDIS_URL given). */
  readonly url: string;
  /** Where it came from. */
  readonly source: "env" | "process" | "container";
  /** Delete every key in every database (FLUSHALL). */
  flushAll(): Promise<void>;
  /** Stop the server (a no-op for REDIS_URL) and wait for it to exit. Safe to call twice. */
  close(): Promise<void>;
  /** Same as {@link RedisServer.close}. */
  stop(): Promise<void>;
}

/** Options for {@link startRedisServer}. */
export interface StartRedisOptions {
  /** Upper bound for the server to become ready, in ms (default 30 000). */
  readonly readyTimeoutMs?: number;
  /** Ignore REDIS_URL and start a private server (for tests that must kill or flush it). */
  readonly private?: boolean;
  /** The redis-server executable (default `redis-server` from PATH). */
  readonly command?: string;
}

/** Send one command on a fresh connection that never retries; resolves with the reply. */
async function once(url: string, command: "ping" | "flushall"): Promise<string> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return command === "ping" ? await client.ping() : await client.flushall();
  } finally {
    client.disconnect();
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("could not read a free port");
  return address.port;
}

/** How to run one redis-server process (plain, cluster node or sentinel). */
interface SpawnSpec {
  readonly command: string;
  readonly readyTimeoutMs: number;
  /** Arguments for the chosen port and private directory. */
  args(port: number, dir: string): Promise<string[]>;
  /** The stdout line that says the server is ready. */
  isReady(line: string): boolean;
}

async function spawnRedis(spec: SpawnSpec): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "flight-cluster-redis-"));
  let lastError: unknown;
  // The free port can be taken between probing and binding; try a few ports.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    let handle: ChildHandle;
    try {
      handle = await startProcess({
        name: `redis-server :${port}`,
        command: spec.command,
        args: await spec.args(port, dir),
        cwd: dir,
        isReady: spec.isReady,
        readyTimeoutMs: spec.readyTimeoutMs,
      });
    } catch (error) {
      lastError = error;
      if (/ENOENT/.test(String(error))) break; // not installed: no point trying other ports
      continue;
    }
    const url = `redis://127.0.0.1:${port}`;
    const close = async () => {
      await handle.stop({ graceMs: 5_000 });
      await rm(dir, { recursive: true, force: true });
    };
    try {
      if ((await once(url, "ping")) !== "PONG") throw new Error("redis-server did not answer PONG");
    } catch (error) {
      await close();
      throw new Error(`redis-server on port ${port} started but did not answer PING: ${handle.diagnostics()}`, {
        cause: error,
      });
    }
    return { url, source: "process", flushAll: async () => void (await once(url, "flushall")), close, stop: close };
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}

const NO_PERSISTENCE = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
const READY = (line: string) => line.includes("Ready to accept connections");

function startProcessServer(command: string, readyTimeoutMs: number, extra: readonly string[] = []) {
  return spawnRedis({
    command,
    readyTimeoutMs,
    args: async (port, dir) => ["--port", String(port), ...NO_PERSISTENCE, "--dir", dir, ...extra],
    isReady: READY,
  });
}

interface StartedContainer {
  getHost(): string;
  getMappedPort(port: number): number;
  stop(): Promise<unknown>;
}
interface TestcontainersModule {
  GenericContainer: new (
    image: string,
  ) => {
    withExposedPorts(...ports: number[]): { start(): Promise<StartedContainer> };
  };
}

async function startContainer(): Promise<RedisServer | undefined> {
  let module: TestcontainersModule;
  try {
    const name = "testcontainers"; // a variable, so TypeScript does not require the package
    module = (await import(name)) as TestcontainersModule;
  } catch {
    return undefined;
  }
  try {
    const container = await new module.GenericContainer("redis:7").withExposedPorts(6379).start();
    const url = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
    await once(url, "ping");
    const close = async () => void (await container.stop());
    return { url, source: "container", flushAll: async () => void (await once(url, "flushall")), close, stop: close };
  } catch {
    return undefined;
  }
}

/**
 * Get a Redis server for a test (see the file comment for the order tried).
 * @throws Error explaining how to provide Redis when none is available.
 */
export async function startRedisServer(options: StartRedisOptions = {}): Promise<RedisServer> {
  const fromEnv = process.env["REDIS_URL"];
  if (fromEnv !== undefined && fromEnv !== "" && options.private !== true) {
    await once(fromEnv, "ping");
    const noop = async () => undefined;
    return {
      url: fromEnv,
      source: "env",
      flushAll: async () => void (await once(fromEnv, "flushall")),
      close: noop,
      stop: noop,
    };
  }
  let processError: unknown;
  try {
    return await startProcessServer(options.command ?? "redis-server", options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    processError = error;
  }
  const container = await startContainer();
  if (container !== undefined) return container;
  const why = processError instanceof Error ? processError.message : String(processError);
  throw new Error(
    `no Redis available for tests (${why}). Install it (\`apt-get install redis-server\`), ` +
      "set REDIS_URL=redis://host:port to a disposable server, or install testcontainers with Docker running.",
    { cause: processError },
  );
}

/** A group of private Redis processes reached through one registry URL. */
export interface RedisTopology {
  /** `redis-cluster://...` or `redis-sentinel://.../mymaster`. */
  readonly url: string;
  /** Every data-holding server (cluster masters, or the sentinel's master). */
  readonly servers: readonly RedisServer[];
  /** FLUSHALL on every data-holding server. */
  flushAll(): Promise<void>;
  /** Stop every process and wait for them to exit. Safe to call twice. */
  close(): Promise<void>;
}

async function closeAll(servers: readonly RedisServer[]): Promise<void> {
  await Promise.all(servers.map((s) => s.close()));
}

/**
 * Start a Redis Cluster of `masters` (default 3) private nodes with no replicas, and
 * wait until every node reports `cluster_state:ok` (polled, at most `readyTimeoutMs`).
 * @throws Error when redis-server or redis-cli is missing or the cluster does not form.
 */
export async function startRedisCluster(
  options: { readonly masters?: number; readonly readyTimeoutMs?: number } = {},
): Promise<RedisTopology> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const extra = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"];
  const servers: RedisServer[] = [];
  try {
    for (let i = 0; i < (options.masters ?? 3); i++) {
      servers.push(await startProcessServer("redis-server", readyTimeoutMs, extra));
    }
    const nodes = servers.map((s) => s.url.replace("redis://", ""));
    await execFileAsync("redis-cli", ["--cluster", "create", ...nodes, "--cluster-replicas", "0", "--cluster-yes"], {
      timeout: readyTimeoutMs,
    });
    const deadline = Date.now() + readyTimeoutMs;
    for (const server of servers) {
      for (;;) {
        const info = await command(server.url, ["CLUSTER", "INFO"]);
        if (info.includes("cluster_state:ok")) break;
        if (Date.now() > deadline) throw new Error(`Redis Cluster did not reach cluster_state:ok: ${info}`);
        await delay(50);
      }
    }
    return {
      url: `redis-cluster://${nodes.join(",")}`,
      servers,
      flushAll: async () => void (await Promise.all(servers.map((s) => s.flushAll()))),
      close: () => closeAll(servers),
    };
  } catch (error) {
    await closeAll(servers);
    throw error;
  }
}

/**
 * Start a private Redis master and one Sentinel monitoring it as `mymaster`, and wait
 * for the Sentinel's `+monitor` line and a PING answer.
 */
export async function startRedisSentinel(options: { readonly readyTimeoutMs?: number } = {}): Promise<RedisTopology> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const master = await startProcessServer("redis-server", readyTimeoutMs);
  try {
    const masterPort = master.url.slice(master.url.lastIndexOf(":") + 1);
    const sentinel = await spawnRedis({
      command: "redis-server",
      readyTimeoutMs,
      async args(port, dir) {
        const conf = join(dir, "sentinel.conf");
        const lines = [
          `port ${port}`,
          "bind 127.0.0.1",
          `dir ${dir}`,
          `sentinel monitor mymaster 127.0.0.1 ${masterPort} 1`,
          "sentinel down-after-milliseconds mymaster 60000",
        ];
        await writeFile(conf, `${lines.join("\n")}\n`);
        return [conf, "--sentinel"];
      },
      isReady: (line) => line.includes("+monitor master mymaster"),
    });
    const servers = [master];
    return {
      url: `redis-sentinel://${sentinel.url.replace("redis://", "")}/mymaster`,
      servers,
      flushAll: () => master.flushAll(),
      close: () => closeAll([sentinel, master]),
    };
  } catch (error) {
    await master.close();
    throw error;
  }
}

/** Send one command on a fresh connection; the reply as text. */
async function command(url: string, args: readonly [string, ...string[]]): Promise<string> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return String(await client.call(...args));
  } finally {
    client.disconnect();
  }
}
