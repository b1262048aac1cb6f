/**
 * Call middleware for servers and clients, shaped like pyarrow.flight's
 * `ServerMiddlewareFactory` / `ClientMiddlewareFactory`.
 *
 * A factory's `startCall` runs once per call and returns the middleware for that
 * call (or undefined to stay out of it). Hooks run synchronously on the call's
 * path; keep them cheap.
 */
import type { IncomingHeaders, OutgoingHeaders } from "./call-options.js";
import type { FlightError } from "./flight-error.js";
import type { FlightMethod } from "./grpc-service.js";

/** What a middleware learns about the call it starts on. */
export interface CallInfo {
  /** The Flight RPC (`"DoGet"`, `"GetFlightInfo"`, ...). */
  readonly method: FlightMethod;
}

/** Server middleware for one call. */
export interface ServerMiddleware {
  /** Headers to add to the response headers, called just before they are sent. */
  sendingHeaders?(): OutgoingHeaders | undefined;
  /** The call finished: `error` is undefined on success. Called exactly once. */
  callCompleted?(error: FlightError | undefined): void;
}

/** Creates {@link ServerMiddleware} per call. */
export interface ServerMiddlewareFactory {
  /**
   * Called when a call starts, before authentication and the handler.
   * Throw a FlightError to reject the call with that status.
   */
  startCall(info: CallInfo, headers: IncomingHeaders): ServerMiddleware | undefined;
}

/** Client middleware for one call. */
export interface ClientMiddleware {
  /** Headers to add to the request, called just before the call starts. */
  sendingHeaders?(): OutgoingHeaders | undefined;
  /** Response headers arrived (not called if the call failed before any). */
  receivedHeaders?(headers: IncomingHeaders): void;
  /** The call finished: `error` is undefined on success; `trailers` as received. Called exactly once. */
  callCompleted?(error: FlightError | undefined, trailers: IncomingHeaders): void;
}

/** Creates {@link ClientMiddleware} per call. */
export interface ClientMiddlewareFactory {
  startCall(info: CallInfo): ClientMiddleware | undefined;
}
