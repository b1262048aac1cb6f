/**
 * @flight-cluster/protocol: Apache Arrow Flight for Node.js.
 *
 * Public API. Sibling packages may also import "@flight-cluster/protocol/internal".
 */

// Server, client, auth, middleware, TLS (flight-server.ts, flight-client.ts and friends).
export * from "./call-options.js";
export { extractBearerToken, formatBasicHeader } from "./client-auth.js";
export { type DoExchangeCall, type DoPutCall, FlightPutWriter } from "./client-call-streams.js";
export {
  type BasicAuthOptions,
  connect,
  FlightClient,
  type FlightClientOptions,
  type WaitForReadyOptions,
} from "./flight-client.js";
export * from "./flight-data.js";
export * from "./flight-data-decoder.js";
export * from "./flight-data-encoder.js";
export * from "./flight-error.js";
export * from "./flight-messages.js";
export {
  DEFAULT_RECEIVE_WINDOW_BYTES,
  FlightServer,
  type FlightServerOptions,
  type FlightServerState,
  type ListenResult,
  type ListenTarget,
  type ResolvedFlightServerOptions,
  resolveFlightServerOptions,
} from "./flight-server.js";
export type { AnyIterable, FlightServerHandlers, MaybePromise } from "./flight-server-handlers.js";
export * from "./flight-stream-reader.js";
export * from "./flight-stream-writer.js";
export { allocateGrpcMessage } from "./grpc-framed-send.js";
export { FLIGHT_SERVICE_NAME, FlightMethod, flightMethodPath } from "./grpc-service.js";
export { type WindowTunerStats, windowTunerStats } from "./grpc-window-tuner.js";
export { STREAMING_HEAP_GROWING_PERCENT, useStreamingHeapGrowth } from "./heap-growth.js";
export * from "./ipc-schema.js";
export * from "./ipc-stream.js";
export * from "./location.js";
export * from "./logger.js";
export * from "./middleware.js";
export { SendBufferPool } from "./send-buffer-pool.js";
export {
  type BasicTokenAuthOptions,
  createBasicTokenAuthHandler,
  parseBasicAuthorization,
  parseBearerAuthorization,
  type ServerAuthHandler,
} from "./server-auth.js";
export type { ServerCallContext } from "./server-call-context.js";
export * from "./server-data-stream.js";
export * from "./tls-options.js";
