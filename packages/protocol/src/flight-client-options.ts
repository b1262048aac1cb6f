/**
 * The options of a FlightClient, their defaults, and how a location becomes the target of
 * its channel.
 */
import type { CallOptions, OutgoingHeaders } from "./call-options.js";
import { FlightInvalidArgumentError } from "./flight-error.js";
import type { Location } from "./flight-messages.js";
import type { ChannelTarget } from "./grpc-channel.js";
import { parseLocation } from "./location.js";
import type { ClientMiddlewareFactory } from "./middleware.js";
import type { ClientTlsOptions } from "./tls-options.js";

/** Default {@link FlightClientOptions.flowControlWindowBytes}: 16 MiB. */
export const DEFAULT_FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;
/** Default {@link FlightClientOptions.maxFlowControlWindowBytes}: 64 MiB. */
export const DEFAULT_MAX_FLOW_CONTROL_WINDOW_BYTES = 64 * 1024 * 1024;

/** Options of `connect`. */
export interface FlightClientOptions {
  /** TLS settings for `grpc+tls://` locations (default: system roots). */
  readonly tls?: ClientTlsOptions;
  /** Client middleware, run in order for every call. */
  readonly middleware?: readonly ClientMiddlewareFactory[];
  /** Headers sent with every call. */
  readonly headers?: OutgoingHeaders;
  /** Default deadline of every call in milliseconds (a call's own `timeoutMs` wins). Default: none. */
  readonly timeoutMs?: number;
  /** Largest accepted response message in bytes. Default: 64 MiB. */
  readonly maxReceiveMessageBytes?: number;
  /** Largest request message in bytes. Default: 64 MiB. */
  readonly maxSendMessageBytes?: number;
  /** HTTP/2 flow-control window in bytes, at first. Default: 16 MiB (about 3x the throughput of grpc-js's default). */
  readonly flowControlWindowBytes?: number;
  /**
   * Largest window the client grows to when a PING-timed round trip shows the window holds the
   * sender back (a long link). Default: 64 MiB; equal to `flowControlWindowBytes` keeps the window fixed.
   */
  readonly maxFlowControlWindowBytes?: number;
  /**
   * Run DoGet streams in this many worker threads (shared by every client of the process that
   * asks; the first client's count wins), each with its own channels, and decode their messages
   * on the main thread. 0 (the default): everything on the main thread. Measured on two cores:
   * 2 threads read 1.15-1.32 x faster (docs/client.md, "Threads or the main thread?").
   */
  readonly receiveThreads?: number;
  /** Upper bound for FlightData messages this client encodes (batches are sliced). Default: 2 MiB. */
  readonly maxMessageBytes?: number;
  /** Extra grpc-js channel options (e.g. `grpc.use_local_subchannel_pool: 1` for a dedicated connection). */
  readonly grpcOptions?: Readonly<Record<string, string | number>>;
}

/** Options of {@link FlightClient.authenticateBasicToken}. */
export interface BasicAuthOptions extends CallOptions {
  /** Send the returned bearer header on every later call of this client. Default: true. */
  readonly attach?: boolean;
}

/** Options of {@link FlightClient.waitForReady}. */
export interface WaitForReadyOptions {
  /** Give up after this many milliseconds (FlightUnavailableError). Default: 30,000. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The channel target of a location. @throws FlightInvalidArgumentError for the reuse-connection location or a bad URI. */
export function toTarget(location: Location | string, tls: ClientTlsOptions | undefined): ChannelTarget {
  const parsed = parseLocation(location);
  switch (parsed.kind) {
    case "reuse":
      throw new FlightInvalidArgumentError(
        "cannot connect to the reuse-connection location; use the client that returned it",
      );
    case "unix":
      return { kind: "unix", path: parsed.path };
    case "tls":
      return { kind: "tls", host: parsed.host, port: parsed.port, tls: tls ?? {} };
    case "tcp":
      return { kind: "tcp", host: parsed.host, port: parsed.port };
  }
}
