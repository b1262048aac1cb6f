/**
 * The error and metadata boundary with grpc-js, both ways.
 *
 * - FlightError -> grpc status object (server side): code, message, trailers.
 * - grpc-js ServiceError / status -> FlightError subclass (client side),
 *   including grpc-js's own failures: UNAVAILABLE when a connection cannot be
 *   made, CANCELLED for a cancelled call, DEADLINE_EXCEEDED for a passed deadline,
 *   RESOURCE_EXHAUSTED for an oversized message.
 * - AbortSignal reasons -> CANCELLED / DEADLINE_EXCEEDED.
 * - Our header records <-> grpc-js Metadata.
 */
import { Metadata, type StatusObject } from "@grpc/grpc-js";
import type { HeaderValue, IncomingHeaders, OutgoingHeaders } from "./call-options.js";
import {
  createFlightError,
  type ErrorMetadata,
  FlightError,
  FlightInvalidArgumentError,
  StatusCode,
} from "./flight-error.js";

const HEADER_NAME = /^[0-9a-z_.-]+$/;

/**
 * Converts a header record to grpc-js Metadata.
 * @throws FlightInvalidArgumentError for a name that is not lower-case token characters,
 *   or for bytes given to a name without the `-bin` suffix.
 */
export function toMetadata(...sets: ReadonlyArray<OutgoingHeaders | ErrorMetadata | undefined>): Metadata {
  const md = new Metadata();
  for (const set of sets) {
    if (set === undefined) continue;
    for (const [rawName, value] of Object.entries(set)) {
      if (value === undefined) continue;
      const name = rawName.toLowerCase();
      if (!HEADER_NAME.test(name) || name.startsWith("grpc-")) {
        throw new FlightInvalidArgumentError(`header name '${rawName}' is not allowed`);
      }
      const values: readonly HeaderValue[] = Array.isArray(value) ? value : [value as HeaderValue];
      for (const v of values) {
        if (name.endsWith("-bin")) {
          md.add(
            name,
            typeof v === "string" ? Buffer.from(v, "utf8") : Buffer.from(v.buffer, v.byteOffset, v.byteLength),
          );
        } else if (typeof v === "string") {
          md.add(name, v);
        } else {
          throw new FlightInvalidArgumentError(`header '${name}' carries bytes; binary header names must end in -bin`);
        }
      }
    }
  }
  return md;
}

/** Converts grpc-js Metadata to a header record (names lower-case; `-bin` values as bytes). */
export function fromMetadata(md: Metadata | null | undefined): IncomingHeaders {
  const out: Record<string, HeaderValue[]> = {};
  if (md === null || md === undefined) return out;
  for (const [name, values] of Object.entries(md.getMap())) {
    void values;
    out[name] = md
      .get(name)
      .map((v) => (typeof v === "string" ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)));
  }
  return out;
}

/** The grpc status object a FlightError travels as; `trailers` are merged with the error's own metadata. */
export function toGrpcStatus(error: FlightError, trailers?: OutgoingHeaders): StatusObject {
  let metadata: Metadata;
  try {
    metadata = toMetadata(trailers, error.metadata);
  } catch {
    metadata = new Metadata();
  }
  return { code: error.code, details: error.rawMessage, metadata };
}

interface StatusLike {
  readonly code: number;
  readonly details?: string;
  readonly metadata?: Metadata;
}

function isStatusLike(value: unknown): value is StatusLike {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "number" &&
    ((value as { details?: unknown }).details === undefined ||
      typeof (value as { details?: unknown }).details === "string")
  );
}

/** Builds the FlightError for a non-OK grpc status (client side). */
export function flightErrorFromStatus(status: StatusLike): FlightError {
  const code = (status.code >= 1 && status.code <= 16 ? status.code : StatusCode.UNKNOWN) as StatusCode;
  return createFlightError(code, status.details || "call failed", {
    metadata: status.metadata === undefined ? {} : fromMetadata(status.metadata),
  });
}

/**
 * Turns anything a grpc-js client call rejects with into a FlightError: a grpc
 * ServiceError keeps its code, details and trailers; a FlightError passes through;
 * anything else goes through {@link FlightError.from}.
 */
export function flightErrorFromGrpc(error: unknown): FlightError {
  if (error instanceof FlightError) return error;
  if (isStatusLike(error) && error instanceof Error) return flightErrorFromStatus(error);
  return FlightError.from(error);
}

/** The FlightError for an aborted signal: CANCELLED, or DEADLINE_EXCEEDED for a TimeoutError reason; a FlightError reason passes through. */
export function flightErrorFromAbort(signal: AbortSignal): FlightError {
  const reason: unknown = signal.reason;
  if (reason instanceof FlightError) return reason;
  if (reason instanceof Error && reason.name === "TimeoutError") {
    return createFlightError(StatusCode.DEADLINE_EXCEEDED, reason.message || "deadline exceeded", { cause: reason });
  }
  return createFlightError(StatusCode.CANCELLED, "call cancelled by the caller", { cause: reason });
}
