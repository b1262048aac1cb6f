/**
 * FlightServer: serves a {@link FlightServerHandlers} implementation over gRPC, with
 * Basic -> Bearer auth, middleware, TLS/mTLS and graceful drain.
 *
 * Lifecycle: `starting` (constructed) -> `serving` (after the first `listen`) ->
 * `draining` (after `drain`: in-flight calls finish, new calls get UNAVAILABLE) ->
 * `stopped`. `close()` stops at once, cancelling in-flight calls.
 */
import { DEFAULT_MAX_MESSAGE_BYTES } from "./flight-data.js";
import { FlightError, FlightInvalidArgumentError, FlightUnavailableError, StatusCode } from "./flight-error.js";
import type { Location } from "./flight-messages.js";
import { type FlightServerHandlers, type RpcSettings, runRpc } from "./flight-server-handlers.js";
import { HTTP2_DEFAULT_WINDOW_BYTES, HTTP2_MAX_WINDOW_BYTES } from "./grpc-server-window.js";
import { createGrpcServer, type GrpcServerHandle, type ServerCallAdapter } from "./grpc-service.js";
import { formatHost, parseLocation } from "./location.js";
import { consoleLogger, type FlightLogger } from "./logger.js";
import type { ServerMiddlewareFactory } from "./middleware.js";
import { SendBufferPool } from "./send-buffer-pool.js";
import { authenticateCall, type ServerAuthHandler } from "./server-auth.js";
import { ServerCallContextImpl } from "./server-call-context.js";
import { type ServerTlsOptions, validateServerTls } from "./tls-options.js";

/** Options of {@link FlightServer}. */
export interface FlightServerOptions {
  /** Require Basic -> Bearer authentication on every call. Default: no authentication. */
  readonly auth?: ServerAuthHandler;
  /** Middleware factories by key (`ctx.getMiddleware(key)` returns the call's instance), run in insertion order. */
  readonly middleware?: Readonly<Record<string, ServerMiddlewareFactory>>;
  /** Serve TLS (`grpc+tls://`), optionally mTLS. */
  readonly tls?: ServerTlsOptions;
  /** Where internal error causes are logged. Default: JSON lines on stderr. */
  readonly logger?: FlightLogger;
  /** Largest accepted incoming message in bytes (larger: RESOURCE_EXHAUSTED). Default: 64 MiB. */
  readonly maxReceiveMessageBytes?: number;
  /** Largest outgoing message in bytes. Default: 64 MiB. */
  readonly maxSendMessageBytes?: number;
  /** Upper bound for FlightData messages the server encodes (batches are sliced). Default: 2 MiB. */
  readonly maxMessageBytes?: number;
  /**
   * HTTP/2 receive window in bytes, per stream (SETTINGS_INITIAL_WINDOW_SIZE, advertised
   * in the server's first SETTINGS frame) and per connection, for every connection the
   * server accepts: how much a client may send before the server grants more. It paces
   * uploads (DoPut, the client half of DoExchange): with HTTP/2's 64 KiB default each
   * stream waits a round trip and an event-loop turn of the server every 64 KiB.
   *
   * Memory stays bounded: the server reads a stream only as its handler pulls messages,
   * so a slow handler makes HTTP/2 buffer at most this many bytes per stream (a server
   * with N uploads in progress may hold N times this; cap N with the grpc-js option
   * `grpc.max_concurrent_streams` if needed). The connection window is consumed as data
   * arrives and bounds bytes in flight, not memory.
   *
   * An integer from 65,535 (HTTP/2's default: leaves grpc-js's settings untouched) to
   * 2^31-1. Default: 16 MiB. Set through private fields of grpc-js 1.14; if they are not
   * as expected the server logs one warning and runs with HTTP/2's defaults.
   */
  readonly receiveWindowBytes?: number;
  /**
   * Largest receive window a connection grows to when PING-timed round trips show the window
   * holds the sender back (an upload over a long link; docs/client.md, "Windows on long
   * links"). The per-stream memory bound above then becomes this value. Default: 64 MiB, or
   * `receiveWindowBytes` if larger; equal to `receiveWindowBytes` keeps windows fixed.
   */
  readonly maxReceiveWindowBytes?: number;
  /** Extra grpc-js server options. */
  readonly grpcOptions?: Readonly<Record<string, string | number>>;
}

/** Default {@link FlightServerOptions.receiveWindowBytes}: 16 MiB. */
export const DEFAULT_RECEIVE_WINDOW_BYTES = 16 * 1024 * 1024;
/** Default {@link FlightServerOptions.maxReceiveWindowBytes}: 64 MiB. */
export const DEFAULT_MAX_RECEIVE_WINDOW_BYTES = 64 * 1024 * 1024;

/** Validated, filled-in {@link FlightServerOptions}. */
export interface ResolvedFlightServerOptions {
  readonly auth: ServerAuthHandler | undefined;
  readonly middleware: ReadonlyArray<readonly [string, ServerMiddlewareFactory]>;
  readonly tls: ServerTlsOptions | undefined;
  readonly logger: FlightLogger;
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  readonly maxMessageBytes: number;
  readonly receiveWindowBytes: number;
  readonly maxReceiveWindowBytes: number;
  readonly grpcOptions: Readonly<Record<string, string | number>>;
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v <= 0)
    throw new FlightInvalidArgumentError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/** Validates and fills in server options. @throws FlightInvalidArgumentError naming the bad option. */
export function resolveFlightServerOptions(options: FlightServerOptions = {}): ResolvedFlightServerOptions {
  if (options.tls !== undefined) validateServerTls(options.tls);
  const maxReceiveMessageBytes = positiveInt(
    options.maxReceiveMessageBytes,
    64 * 1024 * 1024,
    "maxReceiveMessageBytes",
  );
  const maxSendMessageBytes = positiveInt(options.maxSendMessageBytes, 64 * 1024 * 1024, "maxSendMessageBytes");
  const maxMessageBytes = positiveInt(options.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES, "maxMessageBytes");
  if (maxMessageBytes > maxSendMessageBytes) {
    throw new FlightInvalidArgumentError("maxMessageBytes must not exceed maxSendMessageBytes");
  }
  const receiveWindowBytes = options.receiveWindowBytes ?? DEFAULT_RECEIVE_WINDOW_BYTES;
  if (
    !Number.isInteger(receiveWindowBytes) ||
    receiveWindowBytes < HTTP2_DEFAULT_WINDOW_BYTES ||
    receiveWindowBytes > HTTP2_MAX_WINDOW_BYTES
  ) {
    throw new FlightInvalidArgumentError(
      `receiveWindowBytes must be an integer from ${HTTP2_DEFAULT_WINDOW_BYTES} to ${HTTP2_MAX_WINDOW_BYTES}, got ${receiveWindowBytes}`,
    );
  }
  const maxReceiveWindowBytes =
    options.maxReceiveWindowBytes ?? Math.max(DEFAULT_MAX_RECEIVE_WINDOW_BYTES, receiveWindowBytes);
  if (
    !Number.isInteger(maxReceiveWindowBytes) ||
    maxReceiveWindowBytes < receiveWindowBytes ||
    maxReceiveWindowBytes > HTTP2_MAX_WINDOW_BYTES
  ) {
    throw new FlightInvalidArgumentError(
      `maxReceiveWindowBytes must be an integer from receiveWindowBytes (${receiveWindowBytes}) to ${HTTP2_MAX_WINDOW_BYTES}, got ${maxReceiveWindowBytes}`,
    );
  }
  return {
    auth: options.auth,
    middleware: Object.entries(options.middleware ?? {}),
    tls: options.tls,
    logger: options.logger ?? consoleLogger,
    maxReceiveMessageBytes,
    maxSendMessageBytes,
    maxMessageBytes,
    receiveWindowBytes,
    maxReceiveWindowBytes,
    grpcOptions: options.grpcOptions ?? {},
  };
}

/** How long a stopping server waits for cancelled calls to send their status, in milliseconds. */
const STATUS_FLUSH_MS = 1_000;

function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms), value).unref());
}

/** Lifecycle state of a {@link FlightServer}. */
export type FlightServerState = "starting" | "serving" | "draining" | "stopped";

/** Where to listen: a location URI/object, or a host and port (port 0 picks a free one). */
export type ListenTarget = Location | string | { readonly host?: string; readonly port: number };

/** Where a server listens. */
export interface ListenResult {
  /** The bound port (0 for unix sockets). */
  readonly port: number;
  /** The location clients connect to. */
  readonly location: Location;
}

/** A Flight server. */
export class FlightServer {
  readonly #handlers: FlightServerHandlers;
  readonly #options: ResolvedFlightServerOptions;
  readonly #rpcSettings: RpcSettings;
  readonly #grpc: GrpcServerHandle;
  readonly #inFlight = new Set<ServerCallContextImpl>();
  readonly #idleWaiters: Array<() => void> = [];
  readonly #locations: Location[] = [];
  #state: FlightServerState = "starting";
  #draining: Promise<void> | undefined;
  #cutGrace: () => void = () => {};
  #closing = false;

  /** @throws FlightInvalidArgumentError for invalid options. */
  constructor(handlers: FlightServerHandlers, options: FlightServerOptions = {}) {
    this.#handlers = handlers;
    this.#options = resolveFlightServerOptions(options);
    this.#rpcSettings = {
      maxMessageBytes: this.#options.maxMessageBytes,
      maxReceiveMessageBytes: this.#options.maxReceiveMessageBytes,
      sendBuffers: new SendBufferPool(this.#options.maxMessageBytes),
    };
    this.#grpc = createGrpcServer(
      {
        maxReceiveMessageBytes: this.#options.maxReceiveMessageBytes,
        maxSendMessageBytes: this.#options.maxSendMessageBytes,
        grpcOptions: this.#options.grpcOptions,
        receiveWindowBytes: this.#options.receiveWindowBytes,
        maxReceiveWindowBytes: this.#options.maxReceiveWindowBytes,
        warn: (message, fields) => {
          const logger = this.#options.logger;
          if (logger.warn !== undefined) logger.warn(message, fields);
          else logger.error(message, fields);
        },
      },
      (call) => this.#dispatch(call),
    );
  }

  /** The lifecycle state. */
  get state(): FlightServerState {
    return this.#state;
  }

  /** Number of calls being served. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Every location this server listens on. */
  get locations(): readonly Location[] {
    return this.#locations;
  }

  /**
   * Starts listening. `{host, port}` (host default `localhost`) listens with TLS when the
   * server has TLS options; a location's scheme must match them (`grpc+tls` needs `tls`).
   * May be called several times (e.g. TCP and a unix socket). Unix sockets are served
   * without TLS (`grpc+unix://`), whatever the TLS options.
   * @returns the bound port and the location to give clients.
   * @throws FlightInvalidArgumentError for a bad target, FlightUnavailableError when binding fails.
   */
  async listen(target: ListenTarget): Promise<ListenResult> {
    if (this.#state === "draining" || this.#state === "stopped") {
      throw new FlightUnavailableError(`cannot listen: the server is ${this.#state}`);
    }
    const tls = this.#options.tls;
    let address: string;
    let make: (port: number) => string;
    if (typeof target === "object" && !("uri" in target)) {
      const host = target.host ?? "localhost";
      address = `${formatHost(host)}:${target.port}`;
      const scheme = tls === undefined ? "grpc+tcp" : "grpc+tls";
      make = (port) => `${scheme}://${formatHost(host)}:${port}`;
    } else {
      const parsed = parseLocation(target);
      if (parsed.kind === "reuse")
        throw new FlightInvalidArgumentError("cannot listen on the reuse-connection location");
      if (parsed.kind === "unix") {
        address = `unix://${parsed.path}`;
        make = () => `grpc+unix://${parsed.path}`;
      } else {
        if (parsed.kind === "tls" && tls === undefined) {
          throw new FlightInvalidArgumentError(`listen on ${parsed.uri}: grpc+tls needs the server's tls option`);
        }
        if (parsed.kind === "tcp" && tls !== undefined) {
          throw new FlightInvalidArgumentError(`listen on ${parsed.uri}: the server has TLS options; use grpc+tls://`);
        }
        address = `${formatHost(parsed.host)}:${parsed.port}`;
        const scheme = parsed.kind === "tls" ? "grpc+tls" : "grpc+tcp";
        make = (port) => `${scheme}://${formatHost(parsed.host)}:${port}`;
      }
    }
    const unix = address.startsWith("unix:");
    const bound = await this.#grpc.bind(address, unix ? undefined : tls);
    const port = unix ? 0 : bound; // grpc-js reports 1 for unix sockets
    const location: Location = { uri: make(port) };
    this.#locations.push(location);
    if (this.#state === "starting") this.#state = "serving";
    this.#options.logger.info?.("flight server listening", { location: location.uri });
    return { port, location };
  }

  /**
   * Graceful stop: new calls get UNAVAILABLE, the listeners close, in-flight calls may
   * finish for up to `graceMs` milliseconds; calls still running then are cancelled.
   * Resolves when the server is `stopped`. Calling it again returns the same promise.
   */
  drain(graceMs: number): Promise<void> {
    if (this.#draining !== undefined) return this.#draining;
    if (this.#state === "stopped") return Promise.resolve();
    this.#state = "draining";
    this.#options.logger.info?.("flight server draining", { inFlight: this.#inFlight.size, graceMs });
    this.#draining = this.#drain(graceMs);
    return this.#draining;
  }

  async #drain(graceMs: number): Promise<void> {
    // Close the listeners and send GOAWAY; resolves once every connection has closed.
    const shutdown = this.#grpc.tryShutdown();
    const graceOver = new Promise<"timeout">((resolve) => {
      const timer = setTimeout(() => resolve("timeout"), Math.max(0, graceMs));
      timer.unref();
      this.#cutGrace = () => {
        clearTimeout(timer);
        resolve("timeout");
      };
    });
    const outcome = await Promise.race([this.#whenIdle().then(() => "idle" as const), graceOver]);
    if (outcome === "timeout") {
      this.#cancelAll(this.#closing ? "the server was closed" : "the server stopped before the call finished");
      // Let the cancelled handlers send their status before connections are torn down.
      await Promise.race([this.#whenIdle(), delay(STATUS_FLUSH_MS, undefined)]);
    }
    await Promise.race([shutdown, delay(STATUS_FLUSH_MS, undefined)]);
    this.#grpc.forceShutdown();
    this.#state = "stopped";
  }

  /**
   * Stops now: in-flight calls are cancelled (their clients get UNAVAILABLE), listeners
   * and connections close. Waits at most about two seconds for cancelled calls to send
   * their status. Cuts a running `drain` short.
   */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#draining === undefined) {
      await this.drain(0);
      return;
    }
    this.#cutGrace();
    await this.#draining;
  }

  #cancelAll(message: string): void {
    for (const ctx of this.#inFlight) ctx.abort(new FlightUnavailableError(message));
  }

  #whenIdle(): Promise<void> {
    if (this.#inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #dispatch(call: ServerCallAdapter): void {
    if (this.#state !== "serving") {
      call.fail(
        new FlightUnavailableError(`the server is ${this.#state === "starting" ? "starting" : "shutting down"}`),
      );
      return;
    }
    void this.#serve(call);
  }

  async #serve(call: ServerCallAdapter): Promise<void> {
    const ctx = new ServerCallContextImpl(call);
    this.#inFlight.add(ctx);
    let error: FlightError | undefined;
    try {
      for (const [key, factory] of this.#options.middleware) {
        const m = factory.startCall({ method: call.method }, ctx.headers);
        if (m !== undefined) ctx.middleware.set(key, m);
      }
      if (this.#options.auth !== undefined) await authenticateCall(this.#options.auth, ctx);
      await runRpc(this.#handlers, ctx, call, this.#rpcSettings);
      if (ctx.signal.aborted) error = FlightError.from(ctx.signal.reason);
    } catch (thrown) {
      error = this.#toFlightError(thrown, ctx);
    }
    try {
      ctx.flushHeaders();
      if (error === undefined) call.end(ctx.trailers);
      else call.fail(error, ctx.trailers);
    } catch (thrown) {
      // Invalid header names added by the handler or middleware.
      error = this.#toFlightError(thrown, ctx);
      call.fail(error);
    }
    for (const m of ctx.middleware.values()) {
      try {
        m.callCompleted?.(error);
      } catch (thrown) {
        this.#options.logger.error("server middleware callCompleted threw", { method: call.method, error: thrown });
      }
    }
    ctx.dispose();
    this.#inFlight.delete(ctx);
    if (this.#inFlight.size === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #toFlightError(thrown: unknown, ctx: ServerCallContextImpl): FlightError {
    if (thrown instanceof FlightError) return thrown;
    if (ctx.signal.aborted) return FlightError.from(ctx.signal.reason);
    const error = FlightError.from(thrown);
    if (error.code === StatusCode.INTERNAL) {
      this.#options.logger.error("flight handler failed", { method: ctx.method, peer: ctx.peer, error: thrown });
    }
    return error;
  }
}
