/**
 * A tiny HTTP server for operators: `GET /metrics` (Prometheus text format from a
 * prom-client registry) and `GET /healthz` (200 `ok` while healthy, 503 otherwise).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** Options of {@link startWorkerMetricsServer}. */
export interface WorkerMetricsServerOptions {
  readonly registry: Registry;
  /** Port (0 picks a free one). */
  readonly port: number;
  /** Interface (default `localhost`). */
  readonly host?: string;
  /** `/healthz` answers 200 when this returns true, 503 otherwise (e.g. `() => worker.state === "serving"`). */
  readonly healthy: () => boolean;
}

/** A running metrics endpoint. */
export interface WorkerMetricsServer {
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  /** Stop listening and close connections. */
  close(): Promise<void>;
}

/**
 * Serve `/metrics` and `/healthz`; other paths are 404, other methods 405.
 * @throws Error when the port cannot be bound.
 */
export async function startWorkerMetricsServer(options: WorkerMetricsServerOptions): Promise<WorkerMetricsServer> {
  const host = options.host ?? "localhost";
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") {
      const ok = options.healthy();
      response.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ok\n" : "unavailable\n");
      return;
    }
    if (path === "/metrics") {
      options.registry.metrics().then(
        (text) => response.writeHead(200, { "content-type": options.registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
      return;
    }
    response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
