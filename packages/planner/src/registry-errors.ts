/**
 * The planner's edge for registry errors: a RegistryError carries the gRPC status a
 * Flight server should answer with; this turns it into the FlightError that crosses
 * the wire. Store failures and corrupt records keep their detail for logs only.
 */
import { createFlightError, FlightError, type StatusCode } from "@flight-cluster/protocol";
import { RegistryError, RegistryErrorCode } from "@flight-cluster/registry";

/**
 * Turn anything thrown by registry calls into a FlightError: RegistryErrors keep
 * their status and message (except store failures and corrupt records, which get a
 * generic message; the original stays as `cause`), FlightErrors pass through,
 * anything else becomes INTERNAL through {@link FlightError.from}.
 */
export function toFlightError(error: unknown): FlightError {
  if (error instanceof FlightError) return error;
  if (error instanceof RegistryError) {
    const code = error.grpcCode as StatusCode;
    if (error.code === RegistryErrorCode.UNAVAILABLE || error.code === RegistryErrorCode.CLOSED) {
      return createFlightError(code, "the cluster registry is unavailable; retry later", { cause: error });
    }
    if (error.code === RegistryErrorCode.CORRUPT) {
      return createFlightError(code, "internal error: a registry record could not be read", { cause: error });
    }
    return createFlightError(code, error.message, { cause: error });
  }
  return FlightError.from(error);
}
