/**
 * The operators' HTTP endpoint of every long-running command (`planner`, `worker`, `up`):
 * `GET /metrics` in Prometheus text format and `GET /healthz`. It lives in the CLI because
 * prom-client is wired in at the entry points; the planner and worker packages only
 * create their prom-client registries.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What the endpoint reads from a prom-client `Registry` (so the CLI needs no prom-client import). */
export interface PrometheusSource {
  /** The exposition text. */
  metrics(): Promise<string>;
  /** Its content type. */
  readonly contentType: string;
}

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  readonly registry: PrometheusSource;
  /** Port (0 picks a free one). */
  readonly port: number;
  /** Interface (default `localhost`). */
  readonly host?: string;
  /** Health check for `/healthz`: true answers 200, false 503. */
  readonly healthy: () => boolean;
}

/** A running metrics HTTP server. */
export interface MetricsServer {
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  /** Stop listening and close connections. */
  close(): Promise<void>;
}

/**
 * Serve `GET /metrics` (Prometheus text format) and `GET /healthz` (200 `ok` when
 * healthy, 503 `unavailable` otherwise); anything else is 404.
 * @throws Error when the port cannot be bound.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? "localhost";
  const server: Server = createServer((request, response) => {
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
