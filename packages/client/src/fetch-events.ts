/**
 * What a fetch reports while it runs: events (`FetchOptions.onEvent`) and a progress
 * snapshot (`FlightFetch.progress()`).
 */
import type { FlightError } from "@flight-cluster/protocol";

/** Events of a fetch, in the order they happen. Endpoint numbers are indexes into `FlightInfo.endpoints`. */
export type FetchEvent =
  /** GetFlightInfo answered. */
  | {
      readonly kind: "info";
      readonly endpoints: number;
      readonly totalRecords: number;
      readonly totalBytes: number;
      /** Whether batches are yielded in endpoint order. */
      readonly ordered: boolean;
    }
  /** A location's probe finished: its round-trip time, or why it is considered dead. */
  | { readonly kind: "probe"; readonly location: string; readonly rttMs?: number; readonly error?: FlightError }
  /** A location is avoided from now on (until the dead-location TTL passes). */
  | { readonly kind: "location-dead"; readonly location: string; readonly error: FlightError }
  /** A DoGet starts for an endpoint. `skipBatches` > 0 is a resume. */
  | {
      readonly kind: "attempt";
      readonly endpoint: number;
      readonly location: string;
      readonly attempt: number;
      readonly skipBatches: number;
    }
  /** A resumed DoGet answered: whether the server skipped (acknowledged) or the client skips. */
  | {
      readonly kind: "resume";
      readonly endpoint: number;
      readonly location: string;
      readonly skipBatches: number;
      readonly skippedBy: "server" | "client";
    }
  /** A record batch was received (and queued for the consumer). */
  | {
      readonly kind: "batch";
      readonly endpoint: number;
      readonly location: string;
      readonly rows: number;
      readonly bytes: number;
    }
  /** A DoGet failed; the endpoint moves on (`willRetry`) or fails the fetch. */
  | {
      readonly kind: "failover";
      readonly endpoint: number;
      readonly location: string;
      readonly error: FlightError;
      /** Batches of this endpoint already delivered (the resume point). */
      readonly batchesDelivered: number;
      readonly willRetry: boolean;
    }
  /** An endpoint is complete. */
  | {
      readonly kind: "endpoint-done";
      readonly endpoint: number;
      readonly location: string;
      readonly rows: number;
      readonly batches: number;
    }
  /** A ticket was renewed. */
  | { readonly kind: "renewed"; readonly endpoint: number; readonly expirationTime: Date | undefined }
  /** A renewal failed; the endpoint is not renewed again. */
  | { readonly kind: "renew-failed"; readonly endpoint: number; readonly error: FlightError };

/** A snapshot of a fetch's progress. */
export interface FetchProgress {
  /** Endpoints in the FlightInfo (0 until it arrived). */
  readonly endpointsTotal: number;
  readonly endpointsDone: number;
  /** Record batches received. */
  readonly batches: number;
  /** Rows received. */
  readonly rows: number;
  /** Arrow message bytes received (headers and bodies). */
  readonly bytes: number;
  /** For each endpoint being read: the location serving it. */
  readonly current: ReadonlyMap<number, string>;
}
