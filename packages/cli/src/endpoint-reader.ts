/**
 * Read one FlightEndpoint: try its locations in order (nearest first, as the planner
 * listed them); if a location fails before sending anything, move to the next; if it
 * fails mid-stream, resume at the next location after the batches already received
 * (`x-flight-cluster-skip-batches`), so nothing is duplicated or lost.
 */
import { type FlightEndpoint, FlightError, StatusCode } from "@flight-cluster/protocol";
import type { RecordBatch } from "apache-arrow";
import { CliError } from "./cli-error.js";
import type { PlannerSession } from "./planner-session.js";

/** Header asking a worker to skip the first N record batches (docs/architecture.md, "Headers"). */
export const SKIP_BATCHES_HEADER = "x-flight-cluster-skip-batches";

/** Codes worth trying another replica for (the replica, not the request, is the problem). */
const RETRYABLE: ReadonlySet<number> = new Set([
  StatusCode.UNAVAILABLE,
  StatusCode.INTERNAL,
  StatusCode.UNKNOWN,
  StatusCode.DATA_LOSS,
  StatusCode.CANCELLED,
  StatusCode.DEADLINE_EXCEEDED,
  StatusCode.NOT_FOUND,
]);

/**
 * Yield the endpoint's record batches, failing over between its locations.
 * @param onFailover called with the location that failed and the error (for logs).
 * @throws the last location's FlightError when every location failed; CliError when the endpoint has none.
 */
export async function* readEndpoint(
  session: PlannerSession,
  endpoint: FlightEndpoint,
  signal: AbortSignal,
  onFailover?: (location: string, error: unknown) => void,
): AsyncGenerator<RecordBatch> {
  const locations = endpoint.locations.length === 0 ? [undefined] : endpoint.locations.map((l) => l.uri);
  let received = 0;
  let lastError: unknown;
  for (const location of locations) {
    signal.throwIfAborted();
    const client = session.clientFor(location);
    const headers: Record<string, string> = received > 0 ? { [SKIP_BATCHES_HEADER]: String(received) } : {};
    const reader = client.doGet(endpoint.ticket, session.streamOptions(headers));
    try {
      for await (const batch of reader) {
        received += 1;
        yield batch;
      }
      return;
    } catch (error) {
      if (signal.aborted || !(error instanceof FlightError) || !RETRYABLE.has(error.code)) throw error;
      lastError = error;
      onFailover?.(location ?? session.uri, error);
    }
  }
  if (lastError !== undefined) throw lastError;
  throw new CliError("CLI_BAD_RESPONSE", "an endpoint has no location to read from");
}
