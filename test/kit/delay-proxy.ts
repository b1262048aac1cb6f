/**
 * A TCP proxy that adds a fixed one-way delay to every chunk in both directions, keeping
 * the byte order, so tests can put real latency on the wire (this kernel has no netem).
 * Run it as its own process:
 *
 *   node --import ./test/interop/ts-register.mjs test/kit/delay-proxy.ts --delay-ms 20 [--target host:port]
 *
 * It listens on 127.0.0.1 (port 0 unless `--port`) and prints one JSON line
 * `{"event":"listening","port":N}`. The target can be given later on stdin as a line
 * `target host:port` (answered with `{"event":"target","target":"host:port"}`), so a server
 * can be started after the proxy and advertise the proxy's address. The stdin line `stats`
 * is answered with `{"event":"stats","connections":N,"bytesUp":N,"bytesDown":N}`. Closing
 * stdin or SIGTERM stops it.
 *
 * Each direction is a FIFO of `{due, chunk}`: a chunk is written `delay` ms after it was
 * read. Backpressure: the source is paused while more than 64 MiB wait in one direction
 * or while the destination's buffer is full. A side that closes (or is reset) ends the
 * other side after the same delay.
 *
 * {@link startDelayProxy} starts it from a test.
 */
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { fileURLToPath } from "node:url";
import { type ChildHandle, startProcess } from "./process.js";

const MAX_WAITING_BYTES = 64 * 1024 * 1024;

interface Pending {
  readonly due: number;
  readonly chunk: Buffer | undefined;
}

/** Forwards `from` to `to`, each chunk `delayMs` later. `count` adds forwarded bytes. */
function delayedPipe(from: Socket, to: Socket, delayMs: number, count: (bytes: number) => void): void {
  const queue: Pending[] = [];
  let waiting = 0;
  let timer: NodeJS.Timeout | undefined;
  let blocked = false;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (!blocked && queue.length > 0 && (queue[0] as Pending).due <= now) {
      const { chunk } = queue.shift() as Pending;
      if (chunk === undefined) {
        to.end();
        return;
      }
      waiting -= chunk.byteLength;
      count(chunk.byteLength);
      if (!to.write(chunk)) {
        blocked = true;
        to.once("drain", () => {
          blocked = false;
          flush();
        });
      }
    }
    if (from.isPaused() && waiting < MAX_WAITING_BYTES / 2 && !blocked) from.resume();
    schedule();
  };
  const schedule = () => {
    if (timer !== undefined || blocked || queue.length === 0) return;
    timer = setTimeout(flush, Math.max(0, (queue[0] as Pending).due - performance.now()));
  };
  from.on("data", (chunk: Buffer) => {
    queue.push({ due: performance.now() + delayMs, chunk });
    waiting += chunk.byteLength;
    if (waiting > MAX_WAITING_BYTES) from.pause();
    schedule();
  });
  from.on("end", () => {
    queue.push({ due: performance.now() + delayMs, chunk: undefined });
    schedule();
  });
  from.on("close", (hadError) => {
    if (hadError) setTimeout(() => to.destroy(), delayMs);
  });
}

function parseTarget(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(":");
  const port = Number(text.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad target ${text}`);
  return { host: text.slice(0, colon).replace(/^\[|\]$/g, ""), port };
}

function main(argv: readonly string[]): void {
  let delayMs = 0;
  let port = 0;
  let target: { host: string; port: number } | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1] ?? "";
    if (flag === "--delay-ms") delayMs = Number(value);
    else if (flag === "--port") port = Number(value);
    else if (flag === "--target") target = parseTarget(value);
    else throw new Error(`unknown flag ${flag}`);
    i++;
  }
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error("--delay-ms must be a non-negative number");
  let connections = 0;
  let bytesUp = 0;
  let bytesDown = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    connections++;
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    if (target === undefined) {
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = tcpConnect(target);
    upstream.setNoDelay(true);
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => {});
    delayedPipe(client, upstream, delayMs, (n) => {
      bytesUp += n;
    });
    delayedPipe(upstream, client, delayMs, (n) => {
      bytesDown += n;
    });
  });
  const stop = () => {
    server.close();
    for (const s of sockets) s.destroy();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  server.listen(port, "127.0.0.1", () => {
    const address = server.address();
    const bound = typeof address === "object" && address !== null ? address.port : 0;
    process.stdout.write(`${JSON.stringify({ event: "listening", port: bound })}\n`);
  });
  let pending = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (text: string) => {
    const lines = (pending + text).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const [command, argument] = line.trim().split(/\s+/);
      if (command === "target" && argument !== undefined) {
        target = parseTarget(argument);
        process.stdout.write(`${JSON.stringify({ event: "target", target: argument })}\n`);
      } else if (command === "stats") {
        process.stdout.write(`${JSON.stringify({ event: "stats", connections, bytesUp, bytesDown })}\n`);
      }
    }
  });
  process.stdin.on("end", stop);
}

/** A delay proxy child process. */
export interface DelayProxy {
  readonly port: number;
  /** `grpc+tcp://127.0.0.1:<port>`. */
  readonly uri: string;
  readonly process: ChildHandle;
  /** Forward new connections to `host:port`. */
  setTarget(host: string, port: number): Promise<void>;
  /** Connections accepted and bytes forwarded so far. */
  stats(): Promise<{ connections: number; bytesUp: number; bytesDown: number }>;
  stop(): Promise<void>;
}

const HERE = fileURLToPath(new URL(".", import.meta.url));

function jsonLine(line: string): Record<string, unknown> {
  return JSON.parse(line) as Record<string, unknown>;
}

/** Starts a delay proxy process adding `delayMs` each way; resolves once it listens. */
export async function startDelayProxy(delayMs: number): Promise<DelayProxy> {
  const child = await startProcess({
    name: `delay proxy (${delayMs} ms)`,
    command: process.execPath,
    args: ["--import", `${HERE}../interop/ts-register.mjs`, `${HERE}delay-proxy.ts`, "--delay-ms", String(delayMs)],
    isReady: (line) => line.includes('"listening"'),
  });
  const port = Number(jsonLine(child.readyLine)["port"]);
  const ask = async (command: string, event: string) => {
    await child.writeLine(command);
    for (;;) {
      const line = jsonLine(await child.nextLine({ timeoutMs: 10_000 }));
      if (line["event"] === event) return line;
    }
  };
  return {
    port,
    uri: `grpc+tcp://127.0.0.1:${port}`,
    process: child,
    async setTarget(host, targetPort) {
      await ask(`target ${host}:${targetPort}`, "target");
    },
    async stats() {
      const line = await ask("stats", "stats");
      return {
        connections: Number(line["connections"]),
        bytesUp: Number(line["bytesUp"]),
        bytesDown: Number(line["bytesDown"]),
      };
    },
    async stop() {
      await child.stop({ graceMs: 2000 });
    },
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2));
}
