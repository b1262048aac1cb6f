/**
 * @flight-cluster/planner: the cluster's stateless coordinator (catalog, placement,
 * tickets, FlightInfo assembly, uploads and repair).
 *
 * Public API. Sibling packages may also import "@flight-cluster/planner/internal".
 */

export * from "./dataset-descriptor.js";
export * from "./dataset-name.js";
export type { CallerInfo, EndpointMetadata } from "./flight-info-builder.js";
export * from "./metrics.js";
export * from "./metrics-prom.js";
export * from "./placement.js";
export * from "./planner.js";
export * from "./planner-error.js";
export * from "./planner-logger.js";
export * from "./planner-options.js";
export { PLANNER_ACTIONS, PlannerAction } from "./planner-service.js";
export type { RepairReport } from "./repair-loop.js";
export * from "./replica-order.js";
export * from "./schema-projection.js";
export type { UploadSummary } from "./upload-coordinator.js";
export type {
  AbortUploadResult,
  BeginUploadResult,
  PlannedReplica,
  PlannedShard,
} from "./write-plan.js";
