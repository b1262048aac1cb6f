/**
 * The worker's edge between its internal errors and the wire: everything a handler
 * throws becomes a FlightError here, in one place.
 *
 * - FlightErrors pass through.
 * - WorkerErrors and RegistryErrors keep their message and get their `grpcCode`;
 *   registry outages read "the cluster registry is unavailable; retry later" and a
 *   corrupt registry record a generic INTERNAL message (details go to the logs).
 * - Aborts become CANCELLED; anything else INTERNAL "internal error" (cause logged).
 *
 * The stable code (`WORKER_…`, `REGISTRY_…`) also travels in the
 * `x-flight-cluster-error` trailer so tools can act on it without parsing messages.
 */
import { createFlightError, FlightError, StatusCode } from "@flight-cluster/protocol";
import { RegistryError } from "@flight-cluster/registry";
import { WorkerError } from "./worker-errors.js";

/** Trailer carrying the internal error code. */
export const ERROR_CODE_TRAILER = "x-flight-cluster-error";

/** A FlightError for the client, plus the internal code when there is one. */
export interface MappedError {
  readonly error: FlightError;
  readonly code: string | undefined;
}

/** Map anything thrown by worker code to what the client sees. */
export function toFlightError(thrown: unknown): MappedError {
  if (thrown instanceof FlightError) return { error: thrown, code: undefined };
  if (thrown instanceof WorkerError) {
    return {
      error: createFlightError(thrown.grpcCode as StatusCode, thrown.message, { cause: thrown }),
      code: thrown.code,
    };
  }
  if (thrown instanceof RegistryError) {
    let message = thrown.message;
    if (thrown.code === "REGISTRY_UNAVAILABLE" || thrown.code === "REGISTRY_CLOSED") {
      message = "the cluster registry is unavailable; retry later";
    } else if (thrown.code === "REGISTRY_CORRUPT") {
      message = "internal error (registry record)";
    }
    return { error: createFlightError(thrown.grpcCode as StatusCode, message, { cause: thrown }), code: thrown.code };
  }
  if (thrown instanceof Error && (thrown.name === "AbortError" || thrown.name === "TimeoutError")) {
    return { error: FlightError.from(thrown), code: undefined };
  }
  return { error: createFlightError(StatusCode.INTERNAL, "internal error", { cause: thrown }), code: undefined };
}
