/**
 * What the planner measures, as a small interface with a no-op default; the
 * prom-client implementation lives in `metrics-prom.ts` and is wired in by the
 * entry points (CLI), so domain code never touches prom-client.
 */

/** Outcome of an upload through the planner or a write plan. */
export type UploadOutcome = "committed" | "aborted";

/** What the repair loop did for one shard or worker. */
export type RepairAction = "copied" | "copy_failed" | "unrepairable" | "worker_forgotten" | "dataset_rebuilt";

/**
 * What became of one commit notice (`shard.commit` to one replica worker for one
 * upload): `delivered` at commit time, `missed` at commit time (the client still gets
 * its answer), `resent` later by the repair loop, `abandoned` (refused, or still
 * undeliverable when it aged out or the queue was full).
 */
export type CommitNoticeOutcome = "delivered" | "missed" | "resent" | "abandoned";

/** Planner measurements. Every method must be cheap and must not throw. */
export interface PlannerMetrics {
  /**
   * One RPC or action finished.
   * @param method RPC name (`GetFlightInfo`) or `DoAction:<type>`.
   * @param code gRPC status name (`OK`, `NOT_FOUND`, ...).
   * @param seconds duration in seconds.
   */
  rpcFinished(method: string, code: string, seconds: number): void;
  /** `count` tickets were registered. */
  ticketsIssued(count: number): void;
  /** An upload finished; rows and bytes are what was stored (0 when aborted). */
  uploadFinished(outcome: UploadOutcome, rows: number, bytes: number): void;
  /** The repair loop took an action. */
  repairAction(action: RepairAction): void;
  /** A commit notice to a worker reached `outcome`. */
  commitNotice(outcome: CommitNoticeOutcome): void;
}

/** A {@link PlannerMetrics} that records nothing (the default). */
export const noopPlannerMetrics: PlannerMetrics = Object.freeze({
  rpcFinished() {},
  ticketsIssued() {},
  uploadFinished() {},
  repairAction() {},
  commitNotice() {},
});
