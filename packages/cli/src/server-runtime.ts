/**
 * What the long-running commands (`planner`, `worker`, `up`) share: opening the
 * registry, the Prometheus endpoint, waiting for the shutdown signal, and turning
 * start-up failures into one clear line.
 */

import { createRegistry, type Registry } from "@flight-cluster/registry";
import { CliError } from "./cli-error.js";
import type { CliIo, OptionSpec } from "./command.js";
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

/** A started planner or worker, as a server command runs it. */
export interface ServingProcess {
  /** "serving" while it accepts calls (the metrics endpoint's /healthz reports it). */
  readonly state: string;
  drain(graceMs: number): Promise<void>;
  close(): Promise<void>;
}

/** What {@link serveUntilAborted} runs. */
export interface ServeSpec<T extends ServingProcess> {
  /** Names the process in a start-up failure ("the planner"). */
  readonly what: string;
  /** Closed when anything fails to start, and after the drain. */
  readonly registry: Registry;
  start(): Promise<T>;
  /** `--metrics-port` (undefined: no endpoint), its host, and the Prometheus registry to serve. */
  readonly metrics: { readonly port: number | undefined; readonly host: string; readonly source: PrometheusSource };
  /** The ready line (without newline), given the metrics URL when there is an endpoint. */
  readyLine(process: T, metricsUrl: string | undefined): string;
  /** Grace for in-flight calls once `signal` aborts, ms. */
  readonly drainMs: number;
  readonly io: CliIo;
  readonly signal: AbortSignal;
}

/**
 * The life of a server command: start the process (closing the registry if it cannot),
 * start the metrics endpoint (closing both if it cannot), print the ready line, serve until
 * `signal` aborts, then drain and close everything.
 * @throws CliError CLI_START_FAILED when the process or the metrics endpoint cannot start.
 */
export async function serveUntilAborted<T extends ServingProcess>(spec: ServeSpec<T>): Promise<void> {
  const closeRegistry = () => spec.registry.close().catch(() => undefined);
  let served: T;
  try {
    served = await spec.start();
  } catch (error) {
    await closeRegistry();
    throw startFailure(spec.what, error);
  }
  const { port, host, source } = spec.metrics;
  const metricsServer = await maybeStartMetrics(port, host, source, () => served.state === "serving").catch(
    async (error: unknown) => {
      await served.close();
      await closeRegistry();
      throw error;
    },
  );
  spec.io.stdout.write(`${spec.readyLine(served, metricsUrl(metricsServer))}\n`);
  await untilAborted(spec.signal);
  await served.drain(spec.drainMs);
  await metricsServer?.close();
  await closeRegistry();
}
