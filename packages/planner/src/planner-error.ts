/**
 * The planner's errors: one class, {@link PlannerError}, with a stable string `reason`
 * (listed in docs/errors.md) on top of the gRPC status code it travels as.
 *
 * A PlannerError is a {@link FlightError}, so the Flight server sends it with its status
 * code and message; the reason also travels as the `x-flight-cluster-error` trailer so
 * that clients and operators can tell e.g. "dataset not found" from "ticket not found"
 * without parsing messages.
 */
import { FlightError, StatusCode } from "@flight-cluster/protocol";

/** Trailer that carries a {@link PlannerError}'s reason. */
export const PLANNER_ERROR_TRAILER = "x-flight-cluster-error";

/** Every reason a planner call can fail with, mapped to the gRPC status it travels as. */
export const PlannerErrorReasons = {
  /** A dataset name breaks the naming rules (docs/architecture.md). */
  PLANNER_INVALID_DATASET_NAME: StatusCode.INVALID_ARGUMENT,
  /** A descriptor is neither `PATH [dataset]` nor a valid CMD JSON request. */
  PLANNER_INVALID_DESCRIPTOR: StatusCode.INVALID_ARGUMENT,
  /** A descriptor or action body is larger than the configured limit. */
  PLANNER_REQUEST_TOO_LARGE: StatusCode.RESOURCE_EXHAUSTED,
  /** A projection names a column the dataset does not have. */
  PLANNER_UNKNOWN_COLUMN: StatusCode.INVALID_ARGUMENT,
  /** No committed version of the dataset exists. */
  PLANNER_DATASET_NOT_FOUND: StatusCode.NOT_FOUND,
  /** A shard has no live replica, so the dataset cannot be read right now. */
  PLANNER_SHARD_UNAVAILABLE: StatusCode.UNAVAILABLE,
  /** Too few live workers to place a shard's replicas. */
  PLANNER_NOT_ENOUGH_WORKERS: StatusCode.UNAVAILABLE,
  /** The replicas of one shard reported different rows or digests. */
  PLANNER_REPLICA_MISMATCH: StatusCode.DATA_LOSS,
  /** A worker failed while storing a replica during an upload. */
  PLANNER_REPLICA_FAILED: StatusCode.UNAVAILABLE,
  /** An upload's schema changed mid-stream, or a stream carried no schema. */
  PLANNER_SCHEMA_MISMATCH: StatusCode.INVALID_ARGUMENT,
  /** An upload id is unknown, expired or already finished. */
  PLANNER_UPLOAD_NOT_FOUND: StatusCode.NOT_FOUND,
  /** commit_upload was called before every replica of every shard was stored. */
  PLANNER_UPLOAD_INCOMPLETE: StatusCode.FAILED_PRECONDITION,
  /** A ticket is unknown, expired or cancelled. */
  PLANNER_TICKET_NOT_FOUND: StatusCode.NOT_FOUND,
  /** A DoAction type the planner does not offer. */
  PLANNER_UNKNOWN_ACTION: StatusCode.UNIMPLEMENTED,
  /** A DoAction body is malformed (bad JSON, wrong types, unknown fields). */
  PLANNER_INVALID_ACTION_BODY: StatusCode.INVALID_ARGUMENT,
  /** A planner option is missing or out of range (startPlanner). */
  PLANNER_INVALID_OPTIONS: StatusCode.INVALID_ARGUMENT,
} as const satisfies Record<string, StatusCode>;

const plannerBrand = Symbol.for("flight-cluster.PlannerError");

/** A stable reason string of a {@link PlannerError}. */
export type PlannerErrorReason = keyof typeof PlannerErrorReasons;

/**
 * A planner failure: a FlightError whose status code follows from its `reason`.
 *
 * @example `throw new PlannerError("PLANNER_DATASET_NOT_FOUND", "dataset 'sales' does not exist")`
 */
export class PlannerError extends FlightError {
  /** Stable reason, listed in docs/errors.md. */
  readonly reason: PlannerErrorReason;

  constructor(reason: PlannerErrorReason, message: string, options: { readonly cause?: unknown } = {}) {
    super(PlannerErrorReasons[reason], message, {
      cause: options.cause,
      metadata: { [PLANNER_ERROR_TRAILER]: reason },
    });
    this.reason = reason;
    Object.defineProperty(this, plannerBrand, { value: true });
  }

  /** Branded check (FlightError's own check matches by status code, which would not identify planner errors). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && plannerBrand in value;
  }

  override get name(): string {
    return "PlannerError";
  }
}

/** True when `error` is a {@link PlannerError} with the given reason. */
export function isPlannerError(error: unknown, reason?: PlannerErrorReason): error is PlannerError {
  return error instanceof PlannerError && (reason === undefined || error.reason === reason);
}
