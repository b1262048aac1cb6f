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
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { type ChildHandle, startProcess } from "./process.js";

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

async function startProcessServer(command: string, readyTimeoutMs: number): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "flight-cluster-redis-"));
  let lastError: unknown;
  // The free port can be taken between probing and binding; try a few ports.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    let handle: ChildHandle;
    try {
      handle = await startProcess({
        name: "redis-server",
        command,
        args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
        cwd: dir,
        isReady: (line) => line.includes("Ready to accept connections"),
        readyTimeoutMs,
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
