/**
 * FetchProgressTracker: counts what a fetch received and forwards its events to the
 * caller's `onEvent`. One per fetch.
 */
import type { FetchEvent, FetchProgress } from "./fetch-events.js";

/** Counters and event fan-out of one fetch. */
export class FetchProgressTracker {
  readonly #emit: (event: FetchEvent) => void;
  readonly #current = new Map<number, string>();
  #endpointsTotal = 0;
  #endpointsDone = 0;
  #batches = 0;
  #rows = 0;
  #bytes = 0;

  /** @param emit - the caller's observer (already guarded against throwing). */
  constructor(emit: (event: FetchEvent) => void) {
    this.#emit = emit;
  }

  /** Reports an event. */
  emit(event: FetchEvent): void {
    this.#emit(event);
  }

  /** GetFlightInfo answered with `endpoints` endpoints. */
  setTotal(endpoints: number): void {
    this.#endpointsTotal = endpoints;
  }

  /** `endpoint` is being read from `location`. */
  reading(endpoint: number, location: string): void {
    this.#current.set(endpoint, location);
  }

  /** A batch of `endpoint` arrived. */
  batch(endpoint: number, location: string, rows: number, bytes: number): void {
    this.#batches++;
    this.#rows += rows;
    this.#bytes += bytes;
    this.#emit({ kind: "batch", endpoint, location, rows, bytes });
  }

  /** `endpoint` is complete. */
  endpointDone(endpoint: number, location: string, rows: number, batches: number): void {
    this.#current.delete(endpoint);
    this.#endpointsDone++;
    this.#emit({ kind: "endpoint-done", endpoint, location, rows, batches });
  }

  /** A snapshot of the counters. */
  snapshot(): FetchProgress {
    return {
      endpointsTotal: this.#endpointsTotal,
      endpointsDone: this.#endpointsDone,
      batches: this.#batches,
      rows: this.#rows,
      bytes: this.#bytes,
      current: new Map(this.#current),
    };
  }
}
