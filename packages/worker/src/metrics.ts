/**
 * What the worker measures, as a small interface with a no-op default. The
 * prom-client implementation lives in `metrics-prom.ts` and is wired in by the entry
 * points (CLI); domain code never touches prom-client.
 */

/** Kinds of data streams a worker serves. */
export type WorkerStreamKind = "doget" | "doput" | "copy";

/** Outcome of a stream or call. */
export type WorkerOutcome = "ok" | "error" | "cancelled";

/** Outcome of one heartbeat attempt. */
export type HeartbeatOutcome = "ok" | "reregistered" | "announced" | "failed" | "fenced";

/** Worker measurements. Every method must be cheap and must not throw. */
export interface WorkerMetrics {
  /** A stream started (it stays active until {@link streamFinished}). */
  streamStarted(kind: WorkerStreamKind): void;
  /**
   * A stream finished.
   * @param seconds duration in seconds; @param bytes payload bytes served or stored.
   */
  streamFinished(kind: WorkerStreamKind, outcome: WorkerOutcome, seconds: number, bytes: number): void;
  /** Bytes of FlightData handed to the transport by DoGet (counted as they are sent). */
  bytesServed(bytes: number): void;
  /** Shards and bytes held after a change. */
  shardsHeld(count: number, bytes: number): void;
  /** A heartbeat (or re-registration) attempt. */
  heartbeat(outcome: HeartbeatOutcome): void;
  /** Orphan shard files deleted by the garbage collector. */
  orphansDeleted(count: number): void;
  /** A CPU pool task finished, with its duration in seconds. */
  cpuTask(kind: string, outcome: WorkerOutcome, seconds: number): void;
}

/** A {@link WorkerMetrics} that records nothing (the default). */
export const noopWorkerMetrics: WorkerMetrics = Object.freeze({
  streamStarted() {},
  streamFinished() {},
  bytesServed() {},
  shardsHeld() {},
  heartbeat() {},
  orphansDeleted() {},
  cpuTask() {},
});
