/**
 * What the long-running commands (`planner`, `worker`, `up`) share: opening the
 * registry, the Prometheus endpoint, waiting for the shutdown signal, and turning
 * start-up failures into one clear line.
 */

import { createRegistry, type Registry } from "@flight-cluster/registry";
import { CliError } from "./cli-error.js";
import type { OptionSpec } from "./command.js";
import { type MetricsServer, type PrometheusSource, startMetricsServer } from "./metrics-server.js";

/** Flags every server command takes. */
export const SERVER_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  host: {
    type: "string",
    value: "HOST",
    description: "interface to listen on (0.0.0.0 for all)",
    defaultText: "127.0.0.1",
  },
  "metrics-port": {
    type: "string",
    value: "PORT",
    description: "serve Prometheus /metrics and /healthz over HTTP on this port (0: any free port)",
    defaultText: "off",
  },
  "metrics-host": {
    type: "string",
    value: "HOST",
    description: "interface of the metrics endpoint",
    defaultText: "the --host value",
  },
  "drain-timeout": {
    type: "string",
    value: "DURATION",
    description: "on SIGTERM/SIGINT, time in-flight calls get to finish before they are cancelled",
    defaultText: "10s",
  },
  "log-level": {
    type: "string",
    value: "LEVEL",
    description: "lowest level of the JSON logs on stderr: debug, info, warn, error",
    defaultText: "info (debug with --verbose)",
  },
};

/** Log levels of the JSON logs. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Parse `--log-level`. */
export function parseLogLevel(value: string | undefined, verbose: boolean): LogLevel {
  if (value === undefined) return verbose ? "debug" : "info";
  if (value === "debug" || value === "info" || value === "warn" || value === "error") return value;
  throw new CliError("CLI_USAGE", `--log-level ${JSON.stringify(value)} is not one of debug, info, warn, error`);
}

/**
 * Open the registry named by `url` (`redis://…`, `memory://`, or undefined for memory).
 * @throws CliError CLI_START_FAILED naming the (password-free) URL when it cannot be opened.
 */
export async function openRegistry(url: string | undefined): Promise<Registry> {
  try {
    return await createRegistry(url);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError("CLI_START_FAILED", `cannot open the registry: ${message}`, { cause: error });
  }
}

/** Start the metrics endpoint when a port was given; undefined otherwise. */
export async function maybeStartMetrics(
  port: number | undefined,
  host: string,
  registry: PrometheusSource,
  healthy: () => boolean,
): Promise<MetricsServer | undefined> {
  if (port === undefined) return undefined;
  try {
    return await startMetricsServer({ registry, port, host, healthy });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError("CLI_START_FAILED", `cannot serve metrics on ${host}:${port}: ${message}`, { cause: error });
  }
}

/** Resolves when `signal` aborts (SIGINT/SIGTERM). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** Wrap a start-up failure as one line naming what failed to start. */
export function startFailure(what: string, error: unknown): CliError {
  if (error instanceof CliError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CliError("CLI_START_FAILED", `${what} could not start: ${message}`, { cause: error });
}

/** `http://host:port/metrics` of a metrics server, for ready lines. */
export function metricsUrl(server: MetricsServer | undefined): string | undefined {
  return server === undefined ? undefined : `${server.url}/metrics`;
}
