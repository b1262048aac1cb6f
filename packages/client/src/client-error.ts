/**
 * The client's own errors: one class, {@link ClientError}, with a stable string `reason`
 * (listed in docs/errors.md) on top of the gRPC status code it is reported as.
 *
 * A ClientError is a {@link FlightError}, so callers catch every failure of a fetch or a
 * put by status code (`instanceof FlightUnavailableError`, ...) whether it came from a
 * server or from the client's own checks; the reason tells the client's checks apart.
 * Errors from servers pass through unchanged; cancellation is always a CANCELLED
 * FlightError (`instanceof FlightCancelledError`).
 */
import { FlightError, StatusCode } from "@flight-cluster/protocol";

/** Every reason a client operation can fail with, mapped to the status it is reported as. */
export const ClientErrorReasons = {
  /** An option is missing, of the wrong type or out of range. */
  CLIENT_INVALID_OPTIONS: StatusCode.INVALID_ARGUMENT,
  /** Every location of an endpoint failed or is known dead; the message lists each one's error. */
  CLIENT_NO_LOCATION: StatusCode.UNAVAILABLE,
  /** An endpoint delivered other rows than its metadata announced (a resume went wrong). */
  CLIENT_ROW_COUNT_MISMATCH: StatusCode.DATA_LOSS,
  /** A server answered a cluster action with something the client cannot interpret. */
  CLIENT_BAD_RESPONSE: StatusCode.INTERNAL,
  /** The replicas of one uploaded shard reported different rows or digests. */
  CLIENT_REPLICA_MISMATCH: StatusCode.DATA_LOSS,
  /** An upload has no schema: an empty stream of batches without the `schema` option. */
  CLIENT_NO_SCHEMA: StatusCode.INVALID_ARGUMENT,
  /** The client was used after `close()`. */
  CLIENT_CLOSED: StatusCode.FAILED_PRECONDITION,
} as const satisfies Record<string, StatusCode>;

/** A stable reason string of a {@link ClientError}. */
export type ClientErrorReason = keyof typeof ClientErrorReasons;

const clientBrand = Symbol.for("flight-cluster.ClientError");

/**
 * A failure detected by the client itself: a FlightError whose status code follows from
 * its `reason`.
 *
 * @example `throw new ClientError("CLIENT_NO_LOCATION", "endpoint 3: every location failed")`
 */
export class ClientError extends FlightError {
  /** Stable reason, listed in docs/errors.md. */
  readonly reason: ClientErrorReason;

  constructor(reason: ClientErrorReason, message: string, options: { readonly cause?: unknown } = {}) {
    super(ClientErrorReasons[reason], message, options.cause === undefined ? {} : { cause: options.cause });
    this.reason = reason;
    Object.defineProperty(this, clientBrand, { value: true });
  }

  /** Branded check: FlightError's own check matches by status code, which would not identify client errors. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && clientBrand in value;
  }

  override get name(): string {
    return "ClientError";
  }
}

/** True when `value` is a {@link ClientError} (with `reason`, when given). */
export function isClientError(value: unknown, reason?: ClientErrorReason): value is ClientError {
  return value instanceof ClientError && (reason === undefined || value.reason === reason);
}

/**
 * The error a cancelled operation rejects with: a CANCELLED FlightError (DEADLINE_EXCEEDED
 * when the signal's reason is a `TimeoutError`), keeping a FlightError reason as it is.
 */
export function abortError(signal: AbortSignal): FlightError {
  const reason: unknown = signal.reason;
  if (reason instanceof FlightError) return reason;
  if (reason instanceof Error && reason.name === "TimeoutError") {
    return FlightError.from(reason);
  }
  return new FlightError(StatusCode.CANCELLED, "the operation was cancelled", { cause: reason });
}
